// GPU parity in headless Chromium: the parity cases on gpu.js webgl2, webgl and webgpu on SwiftShader, and DCL-MoE trained with trainAsync on webgpu, driven by playwright-core.
//
// vitest cannot drive a browser itself, so this test bundles test/browser/gpu-parity-entry.ts with esbuild
// (an IIFE), serves it from a throwaway node:http server on 127.0.0.1 and loads it in Debian's chromium
// (SwiftShader: no GPU needed), then asserts every case's report, with the tolerances of the Node parity test.
// NOTE: a localhost page, not about:blank: WebGPU exists only in a secure context (https or localhost),
// and about:blank has no `navigator.gpu`. It skips where /usr/bin/chromium is absent (.ci/run installs it).
// webgpu runs the engine's deferred queue (src/kernels/gpu/context.ts): ops record, `flush()` runs them.

import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, type Plugin } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { GpuMode } from '../../../src/kernels/gpu/index.ts';
import { trainingFailures, type BrowserParityReport, type EpochSummary, type TrainingReport } from '../../browser/gpu-parity-entry.ts';
import { parityCases } from './parity-cases.ts';

const CHROMIUM = '/usr/bin/chromium';
const ENTRY = new URL('../../browser/gpu-parity-entry.ts', import.meta.url).pathname;

/** SwiftShader for WebGL (ANGLE) and WebGPU; nothing that phones home. */
const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu-sandbox', '--ignore-gpu-blocklist', '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

const MODES: GpuMode[] = ['webgl2', 'webgl', 'webgpu'];

/** Epochs of DCL-MoE (2 steps each, then validation) trained with trainAsync on webgpu and compared with the CPU's train. */
const TRAINING_EPOCHS = 2;

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

/** Serve the page and the bundle from 127.0.0.1 on a free port (a secure context for WebGPU); nothing else. */
async function serve(script: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    if (request.url === '/entry.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(script);
    } else if (request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!doctype html><html><head><script src="/entry.js"></script></head><body></body></html>');
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

type PageApi = {
  runBrowserParity(mode: string): Promise<BrowserParityReport>;
  runBrowserTraining(mode: string, epochs: number): Promise<TrainingReport>;
};

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser-parity: skipped, ${CHROMIUM} is absent (apt-get install chromium; .ci/run does)`);

describe.skipIf(!hasChromium)('gpu.js kernels in headless Chromium (SwiftShader) match the CPU kernels', () => {
  let browser: Browser;
  let page: Page;
  let server: Server | undefined;

  beforeAll(async () => {
    const [script, launched] = await Promise.all([bundleEntry(), chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })]);
    browser = launched;
    const served = await serve(script);
    server = served.server;
    page = await browser.newPage();
    await page.goto(served.url);
    expect(await page.evaluate(() => (globalThis as { isSecureContext?: boolean }).isSecureContext), 'the page is a secure context (WebGPU needs one)').toBe(true);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it.each(MODES)('%s: every parity case', async (mode) => {
    const report = await page.evaluate((m) => (globalThis as unknown as PageApi).runBrowserParity(m), mode);
    const worst = report.results.reduce((w, r) => (r.maxAbsError > w.maxAbsError ? r : w), report.results[0]);
    console.log(
      `browser-parity ${mode} (${report.renderer}): ${report.results.filter((r) => r.failure === null).length}/${report.results.length} cases pass in ${Math.round(report.ms)} ms` +
        ` (${report.compiles} kernels); max |gpu - cpu| ${worst?.maxAbsError.toExponential(2)} (${worst?.name}), max error/tolerance ${Math.max(...report.results.map((r) => r.maxToleranceRatio)).toFixed(3)}`,
    );
    expect(report.error, `${mode} starts`).toBeNull();
    // The WebGL renderer string, or the WebGPU adapter ("google swiftshader"): SwiftShader really ran.
    expect(report.renderer, `${mode} runs on SwiftShader`).toMatch(/SwiftShader/i);
    expect(report.results.map((r) => r.name)).toEqual(parityCases.map((c) => c.name));
    expect(report.results.filter((r) => r.failure !== null).map((r) => `${r.name}: ${r.failure}`)).toEqual([]);
    expect(report.liveArrays, 'device arrays left after every case was disposed').toBe(0);
  }, 240_000);

  it(`webgpu: DCL-MoE trained ${TRAINING_EPOCHS} epochs with trainAsync gives the CPU train history (float32 tolerance)`, async () => {
    const report = await page.evaluate((n) => (globalThis as unknown as PageApi).runBrowserTraining('webgpu', n), TRAINING_EPOCHS);
    const losses = (h: EpochSummary[]) => h.map((e) => `${e.trainLoss.toFixed(6)}/${e.valLoss.toFixed(6)}`).join(', ');
    const worst = Math.max(...report.gpu.flatMap((g, i) => [Math.abs(g.trainLoss - report.cpu[i].trainLoss), Math.abs(g.valLoss - report.cpu[i].valLoss)]));
    console.log(
      `browser-training webgpu: train/val losses ${losses(report.gpu)} (cpu ${losses(report.cpu)}); max |gpu - cpu| ${worst.toExponential(2)};` +
        ` accuracies ${report.gpu.map((e) => `${e.trainAccuracy}/${e.valAccuracy}`).join(', ')}; best epoch ${report.gpuBest} (cpu ${report.cpuBest});` +
        ` max |w_gpu - w_cpu| ${report.maxWeightDiff.toExponential(2)}; ${report.calls} kernel calls, ${report.downloads} downloads;` +
        ` epochs ${report.gpuEpochSeconds.map((t) => t.toFixed(2)).join(', ')} s, ${Math.round(report.gpuMs)} ms in all (cpu ${Math.round(report.cpuMs)} ms)`,
    );
    expect(trainingFailures(report, TRAINING_EPOCHS)).toEqual([]);
    expect(report.calls).toBeGreaterThan(1000); // the model really ran on the device
  }, 240_000);
});
