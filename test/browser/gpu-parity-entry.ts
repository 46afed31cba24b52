// Browser entry for the GPU parity run: every parity case, and a few DCL-MoE training steps, on a gpu.js mode in the page; results as JSON.
//
// Bundled by test/kernels/gpu/browser-parity.test.ts (esbuild, IIFE) and run in headless Chromium on
// SwiftShader. It does what test/kernels/gpu/parity.test.ts does per case, with the same tolerances
// (./parity-tolerance.ts), but reports instead of asserting: vitest runs in Node, the kernels in the page.
// Every step is awaited so one code path serves both kinds of mode: in webgl2 / webgl the kernels ran when
// they were called and `flush()` / `toHost()` resolve at once; in webgpu they were only recorded, and the
// flush runs them (test/kernels/gpu/deferred.test.ts runs this same code on a deferred context in Node).

import { cpuKernels } from '../../src/kernels/cpu/index.ts';
import type { Kernel } from '../../src/kernels/backend.ts';
import type { OpName } from '../../src/tensor/op-table.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { keep, tidy } from '../../src/tensor/storage.ts';
import { createGpuBackend, gpuKernels, useBackend, useBackendAsync, type GpuMode } from '../../src/kernels/gpu/index.ts';
import { createGpuContextAsync, webgpuAdapterName, type GpuContext } from '../../src/kernels/gpu/context.ts';
import { DeviceAdam } from '../../src/kernels/gpu/adam.ts';
import { createDclModel } from '../../src/models/dcl-moe.ts';
import { reseedDropout } from '../../src/layers/dropout.ts';
import { nllFromProbs } from '../../src/tensor/ops/loss.ts';
import { Adam } from '../../src/optim/adam.ts';
import type { Optimizer } from '../../src/optim/optimizer.ts';
import { Rng } from '../../src/tensor/random.ts';
import { randn, tensor } from '../../src/tensor/creation.ts';
import { parityCases, type ParityCase } from '../kernels/gpu/parity-cases.ts';
import { RTOL, atolFor, withinTolerance } from '../kernels/gpu/parity-tolerance.ts';

/** One case's outcome: `failure` is null when every output and saved tensor is within tolerance. */
export interface BrowserParityResult {
  name: string;
  op: OpName;
  failure: string | null;
  /** Largest |gpu - cpu| over all compared elements (NaN pairs excluded). */
  maxAbsError: number;
  /** Largest |gpu - cpu| / (atol + RTOL·|cpu|): below 1 means within tolerance. */
  maxToleranceRatio: number;
}

export interface BrowserParityReport {
  mode: GpuMode;
  /** The device that ran: the WebGL renderer string, or the WebGPU adapter (SwiftShader here), or why it could not be read. */
  renderer: string;
  results: BrowserParityResult[];
  /** Set when the mode could not start at all (no context, probe failed). */
  error: string | null;
  /** Device arrays still alive after every case's tensors were disposed (and, deferred, flushed): 0 unless something leaks. */
  liveArrays: number;
  /** Kernels compiled for the run (webgpu: compute pipelines built during the flushes). */
  compiles: number;
  ms: number;
}

/** Compare one GPU tensor with its CPU counterpart; returns a failure message or null, and updates the error stats. */
function compare(gpu: Tensor, cpu: Tensor, label: string, atol: number, stats: { maxAbsError: number; maxToleranceRatio: number }): string | null {
  if (gpu.shape.join(',') !== cpu.shape.join(',')) return `${label}: shape gpu [${gpu.shape}] cpu [${cpu.shape}]`;
  if (gpu.dtype !== cpu.dtype) return `${label}: dtype gpu ${gpu.dtype} cpu ${cpu.dtype}`;
  const g = gpu.toFlatArray();
  const c = cpu.toFlatArray();
  for (let i = 0; i < c.length; i++) {
    if (!withinTolerance(g[i], c[i], atol)) return `${label}: element ${i}: gpu ${g[i]}, cpu ${c[i]} (rtol ${RTOL}, atol ${atol})`;
    if (Number.isNaN(c[i])) continue;
    const err = Math.abs(g[i] - c[i]);
    stats.maxAbsError = Math.max(stats.maxAbsError, err);
    stats.maxToleranceRatio = Math.max(stats.maxToleranceRatio, err / (atol + RTOL * Math.abs(c[i])));
  }
  return null;
}

type Pair = readonly [gpu: Tensor, cpu: Tensor, label: string];

/**
 * Run one case's GPU and CPU kernels (synchronously: recording only, in a deferred mode) and return the
 * tensors to compare, kept past the tidy scope; or a failure message.
 */
function runKernels(c: ParityCase, kernels: ReturnType<typeof gpuKernels>, accepts: ReturnType<typeof createGpuBackend>['accepts']): Pair[] | string {
  return tidy(() => {
    const kernel = kernels[c.op] as Kernel<OpName> | undefined;
    if (kernel === undefined) return `${c.op} has no GPU kernel`;
    const inputs = c.inputs();
    const accept = accepts?.[c.op] as ((x: readonly Tensor[], a: unknown) => boolean) | undefined;
    if (!(accept?.(inputs, c.attrs) ?? true)) return `${c.op}: the GPU backend declines these inputs`;
    const expected = (cpuKernels[c.op] as Kernel<OpName>)(inputs, c.attrs);
    const got = kernel(c.inputs(), c.attrs);
    if (got.outputs.some((y) => y.storage.device === null)) return `${c.op}: an output is not device-resident`;
    if (got.outputs.length !== expected.outputs.length) return `${c.op}: ${got.outputs.length} outputs, cpu ${expected.outputs.length}`;
    if ((got.saved?.length ?? 0) !== (expected.saved?.length ?? 0)) return `${c.op}: saved count differs`;
    const pairs: Pair[] = [
      ...got.outputs.map((y, i) => [y, expected.outputs[i], `${c.op} output ${i}`] as const),
      ...(got.saved ?? []).map((s, i) => [s, expected.saved![i], `${c.op} saved ${i}`] as const),
    ];
    for (const [g, e] of pairs) {
      keep(g);
      keep(e);
    }
    return pairs;
  });
}

async function runCase(c: ParityCase, context: GpuContext, kernels: ReturnType<typeof gpuKernels>, accepts: ReturnType<typeof createGpuBackend>['accepts']): Promise<BrowserParityResult> {
  const stats = { maxAbsError: 0, maxToleranceRatio: 0 };
  let failure: string | null = null;
  let pairs: Pair[] = [];
  try {
    const ran = runKernels(c, kernels, accepts);
    if (typeof ran === 'string') failure = ran;
    else {
      pairs = ran;
      await context.flush();
      for (const [g, e, label] of pairs) {
        await g.toHost();
        failure = compare(g, e, label, atolFor(c), stats);
        if (failure !== null) break;
      }
    }
  } catch (error) {
    failure = `${c.op}: threw ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    for (const [g, e] of pairs) {
      g.dispose();
      e.dispose();
    }
  }
  return { name: c.name, op: c.op, failure, ...stats };
}

/** Every parity case on `context`, in order. */
export async function runParityCases(context: GpuContext): Promise<BrowserParityResult[]> {
  const kernels = gpuKernels(context);
  const { accepts } = createGpuBackend(context);
  const results: BrowserParityResult[] = [];
  for (const c of parityCases) results.push(await runCase(c, context, kernels, accepts));
  await context.flush(); // frees queued behind the last case
  return results;
}

/** The device behind `mode` in this page (to show SwiftShader really ran). */
async function rendererName(mode: GpuMode): Promise<string> {
  try {
    if (mode === 'webgpu') return await webgpuAdapterName();
    const doc = (globalThis as { document?: { createElement(tag: string): { getContext(kind: string): unknown } } }).document;
    const gl = doc?.createElement('canvas').getContext(mode) as
      | { getExtension(name: string): { UNMASKED_RENDERER_WEBGL: number } | null; getParameter(p: number): string; RENDERER: number }
      | null;
    if (!gl) return `no ${mode} context`;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    return gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
  } catch (error) {
    return `unknown (${String(error)})`;
  }
}

/** Run every parity case on `mode` in this page. */
export async function runBrowserParity(mode: GpuMode): Promise<BrowserParityReport> {
  const start = performance.now();
  let context: GpuContext | null = null;
  const report = { mode, renderer: '', results: [] as BrowserParityResult[], error: null as string | null, liveArrays: -1, compiles: 0 };
  try {
    context = await createGpuContextAsync(mode);
    report.results = await runParityCases(context);
    report.liveArrays = context.stats.liveArrays;
    report.compiles = context.stats.compiles;
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
  } finally {
    context?.dispose();
  }
  report.renderer = await rendererName(mode);
  return { ...report, ms: performance.now() - start };
}

// ---- a few DCL-MoE training steps --------------------------------------------------------------------

export interface TrainingReport {
  mode: GpuMode;
  /** Losses of the same seeded steps on the CPU backend (host Adam) and on `mode` (the backend + DeviceAdam). */
  cpu: number[];
  gpu: number[];
  /** Kernel calls the GPU steps made (the model really ran there) and host reads of device values (none but the losses). */
  calls: number;
  downloads: number;
  /** Device arrays alive after the run (the model's and optimiser's were disposed or read back). */
  liveArrays: number;
  error: string | null;
  cpuMs: number;
  gpuMs: number;
  /** Each GPU step, flush and loss read included (the first builds the pipelines). */
  gpuStepMs: number[];
}

// The model and data of test/kernels/gpu/training.test.ts (the Node run of the same comparison on webasm).
const F = 16;
const C = 4;
const B = 24;

/**
 * `steps` seeded optimiser steps of DCL-MoE (dropout on: masks come from the engine's Rng on either
 * backend); the loss of each step is read after the step, asynchronously. The loop lives here, not in
 * src/train: the trainer also validates, snapshots weights and clips on the host, all synchronous reads.
 */
async function trainLosses(
  steps: number,
  optimizer: (model: ReturnType<typeof createDclModel>) => Optimizer,
  context: GpuContext | null,
  stepMs: number[] = [],
): Promise<number[]> {
  const model = createDclModel({ numFeatures: F, numClasses: C, dropout: 0.2, seed: 11, kind: 'dcl-moe' });
  reseedDropout(model, 11, 1);
  const rng = new Rng(5);
  const x = randn([B, F], { rng }).keep();
  const labels = tensor(Array.from({ length: B }, (_, i) => i % C), { dtype: 'int32' }).keep();
  const opt = optimizer(model);
  const losses: number[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      const start = performance.now();
      const loss = tidy(() => {
        model.zeroGrad();
        const nll = nllFromProbs(model.predict(x).probs, labels);
        nll.backward();
        opt.step();
        return nll;
      });
      await context?.flush(); // the step runs on the device here (pipelines build on their first use)
      losses.push((await loss.toHost()).item());
      loss.dispose();
      stepMs.push(performance.now() - start);
    }
  } finally {
    (opt as Partial<DeviceAdam>).releaseMoments?.();
    model.zeroGrad();
    for (const p of model.parameters()) p.dispose();
    x.dispose();
    labels.dispose();
    await context?.flush();
  }
  return losses;
}

/** The losses of `steps` DCL-MoE steps on whatever backends are registered now (host Adam). */
export function cpuLosses(steps: number): Promise<number[]> {
  return trainLosses(steps, (model) => new Adam(model.namedParameters(), { lr: 3e-3 }), null);
}

/** The same steps with DeviceAdam on `context`, whose backend the caller registered. */
export function gpuLosses(context: GpuContext, steps: number, stepMs?: number[]): Promise<number[]> {
  return trainLosses(steps, (model) => new DeviceAdam(model.namedParameters(), { lr: 3e-3 }, context), context, stepMs);
}

/** The steps on the CPU, then on `mode` through the page's public entry point (`useBackendAsync`); the driver compares the losses. */
export async function runBrowserTraining(mode: GpuMode, steps: number): Promise<TrainingReport> {
  const report: TrainingReport = { mode, cpu: [], gpu: [], calls: 0, downloads: 0, liveArrays: -1, error: null, cpuMs: 0, gpuMs: 0, gpuStepMs: [] };
  try {
    useBackend('cpu');
    let start = performance.now();
    report.cpu = await cpuLosses(steps);
    report.cpuMs = performance.now() - start;
    const { context } = await useBackendAsync('gpu', { modes: [mode] });
    const before = { calls: context!.stats.calls, downloads: context!.stats.downloads };
    start = performance.now();
    report.gpu = await gpuLosses(context!, steps, report.gpuStepMs);
    report.gpuMs = performance.now() - start;
    report.calls = context!.stats.calls - before.calls;
    report.downloads = context!.stats.downloads - before.downloads;
    report.liveArrays = context!.stats.liveArrays;
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
  } finally {
    useBackend('cpu');
  }
  return report;
}

// The driver calls these from the page (page.evaluate).
Object.assign(globalThis, { runBrowserParity, runBrowserTraining });
