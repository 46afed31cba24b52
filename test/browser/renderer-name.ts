// The device behind a gpu.js mode in a page (the WebGL renderer string or the WebGPU adapter), to show that SwiftShader really ran; page-side code for the browser entries.

import type { GpuMode } from '../../src/kernels/gpu/index.ts';
import { webgpuAdapterName } from '../../src/kernels/gpu/context.ts';
import { glRendererName, type GlRendererSource } from '../../src/kernels/gpu/renderer.ts';

/** The WebGL renderer string (unmasked where the browser allows), or the WebGPU adapter; or why it could not be read. */
export async function rendererName(mode: GpuMode): Promise<string> {
  try {
    if (mode === 'webgpu') return await webgpuAdapterName();
    const doc = (globalThis as { document?: { createElement(tag: string): { getContext(kind: string): unknown } } }).document;
    const gl = doc?.createElement('canvas').getContext(mode) as GlRendererSource | null;
    if (!gl) return `no ${mode} context`;
    return glRendererName(gl) ?? 'unknown (the context names no renderer)';
  } catch (error) {
    return `unknown (${String(error)})`;
  }
}
