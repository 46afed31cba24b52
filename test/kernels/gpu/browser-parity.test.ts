// GPU parity in headless Chromium: the parity cases on gpu.js webgl2, webgl and webgpu on SwiftShader, and DCL-MoE trained with trainAsync on webgpu, driven by playwright-core.
//
// vitest cannot drive a browser itself, so this test bundles test/browser/gpu-parity-entry.ts with esbuild
// (an IIFE), serves it from a throwaway node:http server on 127.0.0.1 (a secure context: WebGPU needs one)
// and loads it in Debian's chromium (SwiftShader: no GPU needed), all through test/browser/serve-bundle.ts,
// then asserts every case's report, with the tolerances of the Node parity test. It skips where
// /usr/bin/chromium is absent (.ci/run installs it).
// webgpu runs the engine's deferred queue (src/kernels/gpu/context.ts): ops record, `flush()` runs them.
// It also checks the backend choice in the page: on SwiftShader 'auto' stays on the CPU, 'gpu' takes webgpu.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { GpuMode } from '../../../src/kernels/gpu/index.ts';
import { trainingFailures, type BackendChoiceReport, type BrowserParityReport, type EpochSummary, type TrainingReport } from '../../browser/gpu-parity-entry.ts';
import { CHROMIUM, hasChromium, openEntryPage, type EntryPage } from '../../browser/serve-bundle.ts';
import { parityCases } from './parity-cases.ts';

const ENTRY = new URL('../../browser/gpu-parity-entry.ts', import.meta.url).pathname;

const MODES: GpuMode[] = ['webgl2', 'webgl', 'webgpu'];

/** Epochs of DCL-MoE (2 steps each, then validation) trained with trainAsync on webgpu and compared with the CPU's train. */
const TRAINING_EPOCHS = 2;

type PageApi = {
  runBrowserParity(mode: string): Promise<BrowserParityReport>;
  runBrowserTraining(mode: string, epochs: number): Promise<TrainingReport>;
  runBackendChoice(): Promise<BackendChoiceReport>;
};

const chromiumHere = hasChromium();
if (!chromiumHere) console.warn(`browser-parity: skipped, ${CHROMIUM} is absent (apt-get install chromium; .ci/run does)`);

describe.skipIf(!chromiumHere)('gpu.js kernels in headless Chromium (SwiftShader) match the CPU kernels', () => {
  let opened: EntryPage | undefined;
  let page: Page;

  // openEntryPage throws unless the page is a secure context (WebGPU needs one).
  beforeAll(async () => {
    opened = await openEntryPage(ENTRY);
    page = opened.page;
  }, 120_000);

  afterAll(async () => {
    await opened?.close();
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

  it("on SwiftShader, useBackendAsync('auto') stays on the CPU and names it; 'gpu' takes webgpu and names it", async () => {
    const report = await page.evaluate(() => (globalThis as unknown as PageApi).runBackendChoice());
    console.log(`browser backend choice:\n  auto: ${report.auto.message}\n  gpu: ${report.gpu.message}\n  auto on webgl2: ${report.autoWebgl2.message}`);
    expect(report.error).toBeNull();
    expect(report.auto.backend).toBe('cpu');
    expect(report.auto.message).toMatch(/^backend: cpu \(auto: gpu\.js 'webgpu' runs on SwiftShader .*a software renderer, measured slower than the CPU kernels/);
    expect(report.gpu.backend).toBe('webgpu');
    expect(report.gpu.message).toMatch(/^backend: gpu \(gpu\.js 'webgpu' on SwiftShader \("google swiftshader"\), a software renderer/);
    // The GL modes read the renderer from gpu.js's own context (unmasked: Chromium's is "ANGLE (Google, Vulkan ... SwiftShader driver)").
    expect(report.autoWebgl2.backend).toBe('cpu');
    expect(report.autoWebgl2.message).toMatch(/^backend: cpu \(auto: gpu\.js 'webgl2' runs on SwiftShader \("ANGLE \(Google, .*SwiftShader.*\)"\), a software renderer/);
  }, 60_000);

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
