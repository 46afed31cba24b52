// GPU parity in headless Chromium: the parity cases on gpu.js webgl2 (and webgl) on SwiftShader, driven by playwright-core.
//
// vitest cannot drive a browser itself, so this test bundles test/browser/gpu-parity-entry.ts with esbuild
// (an IIFE: no server, no file:// module loading), injects it into a blank page of Debian's chromium
// (SwiftShader: no GPU needed) and asserts every case's report, with the tolerances of the Node parity test.
// It skips where /usr/bin/chromium is absent (.ci/run installs it). webgpu is not run: gpu.js reads WebGPU
// results back only asynchronously and the synchronous engine's probe declines it (src/kernels/gpu/context.ts).
// NOTE: a webgpu run would also need the page served from http://127.0.0.1 (measured: the blank page used
// here is not a secure context, so `navigator.gpu` is absent; from localhost gpu.js's WebGPUKernel runs on
// SwiftShader and a 64x64x64 matmul agrees with float32 to 2e-7, its result a Promise).

import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, type Plugin } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { GpuMode } from '../../../src/kernels/gpu/index.ts';
import type { BrowserParityReport } from '../../browser/gpu-parity-entry.ts';
import { parityCases } from './parity-cases.ts';

const CHROMIUM = '/usr/bin/chromium';
const ENTRY = new URL('../../browser/gpu-parity-entry.ts', import.meta.url).pathname;

/** SwiftShader for WebGL (ANGLE) and WebGPU; nothing that phones home. */
const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu-sandbox', '--ignore-gpu-blocklist', '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

const MODES: GpuMode[] = ['webgl2', 'webgl'];

/**
 * NOTE: the engine's Node-only modules (files, worker threads) are reachable from src/index.ts but never
 * called by the kernels: `node:*` imports become empty modules, and the wasm fast path is switched off
 * (NETMOE_KERNELS=reference) so the page needs no `process`.
 */
const stubNodeBuiltins: Plugin = {
  name: 'stub-node-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

async function bundleEntry(): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NETMOE_KERNELS': '"reference"' },
    plugins: [stubNodeBuiltins],
  });
  return result.outputFiles[0].text;
}

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser-parity: skipped, ${CHROMIUM} is absent (apt-get install chromium; .ci/run does)`);

describe.skipIf(!hasChromium)('gpu.js kernels in headless Chromium (SwiftShader) match the CPU kernels', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const [script, launched] = await Promise.all([bundleEntry(), chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })]);
    browser = launched;
    page = await browser.newPage();
    await page.setContent('<!doctype html><html><body></body></html>');
    await page.addScriptTag({ content: script });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it.each(MODES)('%s: every parity case', async (mode) => {
    const report = await page.evaluate((m) => (globalThis as unknown as { runBrowserParity(m: string): BrowserParityReport }).runBrowserParity(m), mode);
    const worst = report.results.reduce((w, r) => (r.maxAbsError > w.maxAbsError ? r : w), report.results[0]);
    console.log(
      `browser-parity ${mode} (${report.renderer}): ${report.results.filter((r) => r.failure === null).length}/${report.results.length} cases pass in ${Math.round(report.ms)} ms;` +
        ` max |gpu - cpu| ${worst?.maxAbsError.toExponential(2)} (${worst?.name}), max error/tolerance ${Math.max(...report.results.map((r) => r.maxToleranceRatio)).toFixed(3)}`,
    );
    expect(report.error, `${mode} starts`).toBeNull();
    expect(report.renderer, 'WebGL runs on SwiftShader').toMatch(/SwiftShader/i);
    expect(report.results.map((r) => r.name)).toEqual(parityCases.map((c) => c.name));
    expect(report.results.filter((r) => r.failure !== null).map((r) => `${r.name}: ${r.failure}`)).toEqual([]);
  }, 240_000);
});
