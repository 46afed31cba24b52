// The device behind a gpu.js GL or WebGPU mode (the renderer / adapter it really runs on), and whether that device is a software renderer.
//
// A GL or WebGPU mode that passes the start-up probe is not proof of a GPU: without one, browsers and Mesa
// run the same API on the CPU (Chromium's SwiftShader, Mesa's llvmpipe / softpipe, Windows' Microsoft Basic
// Render Driver). Measured here, those are 6-390x slower than the CPU kernels (bench/results/gpu-ops.json),
// so `useBackend('auto')` must know which one it got (src/kernels/gpu/index.ts).

/**
 * Software renderers by the names they report, with the name shown to the user. Sources of the strings:
 * Chromium's WebGL renderer "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)),
 * SwiftShader driver)" and WebGPU adapter "google swiftshader"; Mesa's GL_RENDERER "llvmpipe (LLVM 15.0.6,
 * 256 bits)" / "softpipe" and its DRI driver swrast_dri.so / kms_swrast_dri.so (all headless-gl shows, see
 * glRendererName); Mesa's old "Software Rasterizer"; Windows' "Microsoft Basic Render Driver" (WARP).
 */
const SOFTWARE_RENDERERS: readonly { pattern: RegExp; name: string }[] = [
  { pattern: /swiftshader/i, name: 'SwiftShader' },
  { pattern: /llvmpipe/i, name: 'llvmpipe' },
  { pattern: /softpipe/i, name: 'softpipe' },
  { pattern: /swrast/i, name: 'Mesa swrast (llvmpipe or softpipe)' },
  { pattern: /software rasterizer/i, name: 'Software Rasterizer' },
  { pattern: /microsoft basic render/i, name: 'Microsoft Basic Render Driver' },
];

/**
 * The software renderer a renderer / adapter name denotes ("SwiftShader", "llvmpipe", ...), or null when it
 * names none (a hardware device, or a name this list does not know).
 *
 * @example
 * softwareRendererName('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)'); // 'SwiftShader'
 * softwareRendererName('NVIDIA GeForce RTX 3080/PCIe/SSE2');                                                          // null
 */
export function softwareRendererName(renderer: string): string | null {
  return SOFTWARE_RENDERERS.find(({ pattern }) => pattern.test(renderer))?.name ?? null;
}

/** Whether `renderer` (a GL renderer string or a WebGPU adapter name) is a software renderer. */
export function isSoftwareRenderer(renderer: string): boolean {
  return softwareRendererName(renderer) !== null;
}

/** The parts of a WebGL context read here. */
export interface GlRendererSource {
  RENDERER: number;
  getParameter(p: number): unknown;
  getExtension(name: string): unknown;
}

/**
 * The renderer of a WebGL context: the unmasked one where the browser exposes WEBGL_debug_renderer_info
 * (Chromium does: the masked RENDERER is only "WebKit WebGL"), else RENDERER. headless-gl (the `gl` package)
 * has no such extension and reports only "ANGLE" (its translation layer), so there the Mesa DRI driver the
 * process loaded names the device ("ANGLE on Mesa swrast_dri.so"); null when nothing names one.
 */
export function glRendererName(gl: GlRendererSource): string | null {
  const info = gl.getExtension('WEBGL_debug_renderer_info') as { UNMASKED_RENDERER_WEBGL: number } | null;
  const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  const driver = mesaDriver();
  if (driver !== null) return `${name || 'GL'} on Mesa ${driver}`;
  // NOTE: "ANGLE" alone names the translation layer, not a device: unknown.
  return name === '' || name === 'ANGLE' ? null : name;
}

/**
 * The Mesa DRI driver (e.g. "swrast_dri.so", "iris_dri.so") loaded into this process, from /proc/self/maps
 * (Linux, Node); null elsewhere or when none is loaded (NVIDIA's own driver, a browser page).
 */
function mesaDriver(): string | null {
  const proc = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as { readFileSync(path: string, encoding: 'utf8'): string } | undefined;
  if (fs === undefined) return null;
  try {
    const drivers = new Set(fs.readFileSync('/proc/self/maps', 'utf8').match(/[^/\s]+_dri\.so/g) ?? []);
    return drivers.size > 0 ? [...drivers].join(', ') : null;
  } catch {
    return null;
  }
}

/** A WebGPU adapter's `info`, as "vendor architecture device description" (e.g. "google swiftshader"); null when empty or absent. */
export function adapterInfoName(info: { vendor: string; architecture: string; device: string; description: string } | undefined): string | null {
  if (info === undefined) return null;
  return [info.vendor, info.architecture, info.device, info.description].filter((s) => s !== '').join(' ') || null;
}
