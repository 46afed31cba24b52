// Page side of the GPU benchmark in headless Chromium: the cases of bench/gpu-ops-cases.ts timed on gpu.js webgl2, webgl or webgpu, one call from the driver per measurement.
//
// Bundled and driven by bench/gpu-ops-browser.ts (which also keeps the CPU side and the sweep logic).
// The timing code is the Node run's (bench/gpu-timing.ts): inputs on the device, the device's work
// finished at the end of each timed round (webgpu: the deferred queue flushed and the device queue idle).

import { gpuKernels, type GpuMode } from '../src/kernels/gpu/index.ts';
import { createGpuContextAsync, type GpuContext } from '../src/kernels/gpu/context.ts';
import type { KernelTable } from '../src/kernels/backend.ts';
import { rendererName } from '../test/browser/renderer-name.ts';
import { BATCH_CASES, LONG_REDUCTIONS, type OpCase } from './gpu-ops-cases.ts';
import { timeClip, timeGpu, type Measured } from './gpu-timing.ts';

const open = new Map<GpuMode, { context: GpuContext; kernels: Partial<KernelTable> }>();

const byName = (name: string): OpCase => {
  const c = [...BATCH_CASES, ...LONG_REDUCTIONS].find((k) => k.name === name);
  if (c === undefined) throw new Error(`gpu-ops page: no case '${name}'`);
  return c;
};

/** Start `mode` (a probed context); returns the device that runs it, or why the mode does not start. */
export async function startMode(mode: GpuMode): Promise<{ renderer: string; error: string | null }> {
  try {
    const context = await createGpuContextAsync(mode);
    open.set(mode, { context, kernels: gpuKernels(context) });
    return { renderer: await rendererName(mode), error: null };
  } catch (error) {
    return { renderer: await rendererName(mode), error: error instanceof Error ? error.message : String(error) };
  }
}

/** One case (by name) at batch B on a started mode; the long reductions ignore B. */
export function timeCase(mode: GpuMode, name: string, B: number): Promise<Measured> {
  const { context, kernels } = open.get(mode)!;
  return timeGpu(context, kernels, byName(name), B);
}

/** The clipping norm over the DCL-MoE gradients on a started mode. */
export function timeClipNorm(mode: GpuMode): Promise<Measured> {
  return timeClip(open.get(mode)!.context);
}

/** Dispose the mode's context; returns the device arrays still alive (0 unless the bench leaks). */
export async function stopMode(mode: GpuMode): Promise<number> {
  const entry = open.get(mode);
  if (entry === undefined) return 0;
  await entry.context.flush();
  const live = entry.context.stats.liveArrays;
  entry.context.dispose();
  open.delete(mode);
  return live;
}

// The driver calls these from the page (page.evaluate).
Object.assign(globalThis, { startMode, timeCase, timeClipNorm, stopMode });
