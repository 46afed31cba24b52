// Node driver of the GPU benchmark's browser modes: bundles bench/gpu-ops-page.ts, opens it in headless Chromium (SwiftShader) and runs measurements in the page.
//
// Used by bench/gpu-ops.ts (`npm run bench:gpu`; `-- --no-browser` skips it). Each measurement is one
// page.evaluate: the driver keeps the CPU times and decides the sweep (bench/gpu-timing.ts sweepMode).

import type { GpuMode } from '../src/kernels/gpu/index.ts';
import { CHROMIUM_ARGS, CHROMIUM_HARDWARE_ARGS, hasChromium, openEntryPage, CHROMIUM } from '../test/browser/serve-bundle.ts';
import type { Measured } from './gpu-timing.ts';

export const BROWSER_MODES: readonly GpuMode[] = ['webgl2', 'webgl', 'webgpu'];

const PAGE_ENTRY = new URL('./gpu-ops-page.ts', import.meta.url).pathname;

type PageApi = {
  startMode(mode: GpuMode): Promise<{ renderer: string; error: string | null }>;
  timeCase(mode: GpuMode, name: string, B: number): Promise<Measured>;
  timeClipNorm(mode: GpuMode): Promise<Measured>;
  stopMode(mode: GpuMode): Promise<number>;
};

export interface BrowserBench {
  /** Chromium's version string. */
  version: string;
  start(mode: GpuMode): Promise<{ renderer: string; error: string | null }>;
  time(mode: GpuMode, name: string, B: number): Promise<Measured>;
  clip(mode: GpuMode): Promise<Measured>;
  /** Dispose the mode's context in the page; returns its device arrays still alive. */
  stop(mode: GpuMode): Promise<number>;
  close(): Promise<void>;
}

/** Open the benchmark page, or null (with the reason) where Chromium is absent. */
export async function openBrowserBench(): Promise<BrowserBench | string> {
  if (!hasChromium()) return `${CHROMIUM} is absent (apt-get install chromium)`;
  // NETMOE_CHROMIUM_GPU=1: the machine's GPU (ANGLE on Vulkan) instead of SwiftShader; the renderer is printed either way.
  const { browser, page, close } = await openEntryPage(PAGE_ENTRY, process.env.NETMOE_CHROMIUM_GPU === '1' ? CHROMIUM_HARDWARE_ARGS : CHROMIUM_ARGS);
  return {
    version: browser.version(),
    // NOTE: each function is serialised and runs in the page: it may only reference its argument and the page's globals.
    start: (mode) => page.evaluate((m) => (globalThis as unknown as PageApi).startMode(m), mode),
    time: (mode, name, B) => page.evaluate(([m, n, b]) => (globalThis as unknown as PageApi).timeCase(m, n, b), [mode, name, B] as const),
    clip: (mode) => page.evaluate((m) => (globalThis as unknown as PageApi).timeClipNorm(m), mode),
    stop: (mode) => page.evaluate((m) => (globalThis as unknown as PageApi).stopMode(m), mode),
    close,
  };
}
