// Which gpu.js modes the Node GPU suites run: the emulated modes always, headless-gl where the probe finds it, or exactly NETMOE_GPU_MODES.

import { probeGpu, type GpuMode } from '../../../src/kernels/gpu/index.ts';

/** A mode a suite runs on, or skips with the probe's reason. */
export interface TestMode {
  mode: GpuMode;
  /** Why the suite skips this mode (null: it runs). */
  skip: string | null;
}

const KNOWN: readonly GpuMode[] = ['headlessgl', 'webgl2', 'webgl', 'webgpu', 'webasm', 'cpu'];

/**
 * NETMOE_GPU_MODES (comma-separated, e.g. `headlessgl,webasm`: set by scripts/headlessgl.sh) names the
 * modes to run, and each one must work: a mode that does not fails its suite instead of skipping. Without
 * it: headless-gl (skipped, with the probe's reason, where the native `gl` package or a display is missing)
 * and then `emulated`, the modes every machine has.
 *
 * @example
 * describe.each(gpuTestModes(['webasm', 'cpu']))('$mode', ({ mode, skip }) => { ... });
 */
export function gpuTestModes(emulated: readonly GpuMode[]): TestMode[] {
  const requested = process.env.NETMOE_GPU_MODES?.trim();
  if (requested) {
    return requested.split(',').map((name) => {
      const mode = name.trim() as GpuMode;
      if (!KNOWN.includes(mode)) throw new Error(`NETMOE_GPU_MODES: unknown gpu.js mode '${name}' (known: ${KNOWN.join(', ')})`);
      return { mode, skip: null };
    });
  }
  const { context, attempts } = probeGpu(['headlessgl']);
  context?.dispose();
  return [{ mode: 'headlessgl', skip: attempts[0].error }, ...emulated.map((mode) => ({ mode, skip: null }))];
}
