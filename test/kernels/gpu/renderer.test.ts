// Software-renderer detection (src/kernels/gpu/renderer.ts) and the 'auto' backend decision it feeds (chooseBackend in src/kernels/gpu/index.ts), with injected renderer names: no GPU needed.

import { describe, expect, it } from 'vitest';
import { adapterInfoName, glRendererName, isSoftwareRenderer, softwareRendererName } from '../../../src/kernels/gpu/renderer.ts';
import { chooseBackend } from '../../../src/kernels/gpu/index.ts';

// Strings these devices really report: Chromium 156's WebGL (unmasked) and WebGPU adapter on this machine
// (bench/results/gpu-ops.json), Mesa's GL_RENDERER and headless-gl's DRI driver under Xvfb (glxinfo,
// scripts/headlessgl-info.cjs), and the renderers of Mesa's softpipe, old swrast and Windows' WARP.
const SWIFTSHADER_WEBGL = 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)';
const SWIFTSHADER_WEBGPU = 'google swiftshader';
const SOFTWARE: [string, string][] = [
  [SWIFTSHADER_WEBGL, 'SwiftShader'],
  [SWIFTSHADER_WEBGPU, 'SwiftShader'],
  ['llvmpipe (LLVM 15.0.6, 256 bits)', 'llvmpipe'],
  ['ANGLE on Mesa swrast_dri.so', 'Mesa swrast (llvmpipe or softpipe)'],
  ['GL on Mesa kms_swrast_dri.so', 'Mesa swrast (llvmpipe or softpipe)'],
  ['softpipe', 'softpipe'],
  ['Software Rasterizer', 'Software Rasterizer'],
  ['ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0 ps_5_0, D3D11)', 'Microsoft Basic Render Driver'],
];
const HARDWARE = [
  'ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11 vs_5_0 ps_5_0, D3D11)',
  'NVIDIA GeForce RTX 3080/PCIe/SSE2',
  'Mesa Intel(R) UHD Graphics 620 (KBL GT2)',
  'ANGLE on Mesa iris_dri.so',
  'AMD Radeon RX 6800 (radeonsi, navi21, LLVM 15.0.6, DRM 3.49, 6.1.0)',
  'apple metal-3 Apple M2',
  'nvidia ampere',
];

describe('isSoftwareRenderer', () => {
  it.each(SOFTWARE)('%s is the software renderer %s', (name, family) => {
    expect(softwareRendererName(name)).toBe(family);
    expect(isSoftwareRenderer(name)).toBe(true);
  });

  it.each(HARDWARE)('%s is not a software renderer', (name) => {
    expect(softwareRendererName(name)).toBeNull();
    expect(isSoftwareRenderer(name)).toBe(false);
  });
});

describe('reading the renderer', () => {
  /** A WebGL context stand-in that answers RENDERER (7937) and, when `unmasked` is set, the debug extension's 37446. */
  function fakeGl(renderer: string, unmasked: string | null) {
    return {
      RENDERER: 7937,
      getExtension: (name: string) => (name === 'WEBGL_debug_renderer_info' && unmasked !== null ? { UNMASKED_RENDERER_WEBGL: 37446 } : null),
      getParameter: (p: number) => (p === 37446 ? unmasked : p === 7937 ? renderer : null),
    };
  }

  it('a GL context: the unmasked renderer where exposed, else RENDERER', () => {
    expect(glRendererName(fakeGl('WebKit WebGL', SWIFTSHADER_WEBGL))).toBe(SWIFTSHADER_WEBGL);
    expect(glRendererName(fakeGl('llvmpipe (LLVM 15.0.6, 256 bits)', null))).toBe('llvmpipe (LLVM 15.0.6, 256 bits)');
  });

  it("headless-gl's bare 'ANGLE' names no device: unknown (this process loaded no Mesa driver)", () => {
    expect(glRendererName(fakeGl('ANGLE', null))).toBeNull();
    expect(glRendererName(fakeGl('', null))).toBeNull();
  });

  it('a WebGPU adapter: its info fields, null when empty or absent', () => {
    expect(adapterInfoName({ vendor: 'google', architecture: 'swiftshader', device: '', description: '' })).toBe(SWIFTSHADER_WEBGPU);
    expect(adapterInfoName({ vendor: '', architecture: '', device: '', description: '' })).toBeNull();
    expect(adapterInfoName(undefined)).toBeNull();
  });
});

describe("chooseBackend: 'auto' never picks a software renderer", () => {
  it.each([
    ['webgl2', SWIFTSHADER_WEBGL],
    ['webgl', SWIFTSHADER_WEBGL],
    ['webgpu', SWIFTSHADER_WEBGPU],
    ['headlessgl', 'ANGLE on Mesa swrast_dri.so'],
  ] as const)("auto on %s over '%s' stays on the CPU and names the renderer", (mode, renderer) => {
    const { useGpu, message } = chooseBackend('auto', mode, renderer);
    expect(useGpu).toBe(false);
    expect(message).toMatch(new RegExp(`^backend: cpu \\(auto: gpu\\.js '${mode}' runs on `));
    expect(message).toContain(renderer);
    expect(message).toMatch(/a software renderer, measured slower than the CPU kernels: bench\/results\/gpu-ops\.json\)$/);
  });

  it("'gpu' still uses a software renderer (asked for explicitly) and names it", () => {
    const { useGpu, message } = chooseBackend('gpu', 'webgpu', SWIFTSHADER_WEBGPU);
    expect(useGpu).toBe(true);
    expect(message).toMatch(/^backend: gpu \(gpu\.js 'webgpu' on SwiftShader \("google swiftshader"\), a software renderer measured slower/);
    expect(message).toContain('kernels queue until');
  });

  it.each(HARDWARE)("auto uses a hardware renderer (%s) and names it", (renderer) => {
    const { useGpu, message } = chooseBackend('auto', 'webgl2', renderer);
    expect(useGpu).toBe(true);
    expect(message).toBe(`backend: gpu (gpu.js 'webgl2' on ${renderer}; checked against the CPU at start-up)`);
  });

  it("an unreadable renderer keeps the GPU mode (as before) and says 'renderer unknown'", () => {
    for (const choice of ['auto', 'gpu'] as const) {
      const { useGpu, message } = chooseBackend(choice, 'headlessgl', null);
      expect(useGpu).toBe(true);
      expect(message).toBe("backend: gpu (gpu.js 'headlessgl', renderer unknown; checked against the CPU at start-up)");
    }
  });

  it('emulated modes: auto declines them whatever the renderer, gpu says they emulate', () => {
    expect(chooseBackend('auto', 'webasm', null)).toEqual({ useGpu: false, message: "backend: cpu (auto: only gpu.js 'webasm' works, which emulates the GPU on the CPU)" });
    expect(chooseBackend('gpu', 'cpu', null).message).toBe("backend: gpu (gpu.js 'cpu', which emulates the GPU on the CPU; checked against the CPU at start-up)");
  });
});
