// Browser entry for the GPU parity run: every parity case, and DCL-MoE trained with trainAsync, on a gpu.js mode in the page; results as JSON.
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
import { createGpuContextAsync, probeGpuAsync, type GpuContext } from '../../src/kernels/gpu/context.ts';
import { rendererName } from './renderer-name.ts';
import type { DeviceAdam } from '../../src/kernels/gpu/adam.ts';
import { createDclModel } from '../../src/models/dcl-moe.ts';
import { Rng } from '../../src/tensor/random.ts';
import { DEFAULT_TRAIN_CONFIG, createOptimizer, train, trainAsync, type ResumeState, type TrainConfig } from '../../src/train/trainer.ts';
import type { TabularData, TabularSplit } from '../../src/train/dataset.ts';
import { parityCases, type ParityCase } from '../kernels/gpu/parity-cases.ts';
import { RTOL, atolFor, withinTolerance } from '../kernels/gpu/parity-tolerance.ts';
import { admitsRoutingOp } from '../../src/kernels/gpu/routing.ts';

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
function runKernels(c: ParityCase, kernels: ReturnType<typeof gpuKernels>, accepts: ReturnType<typeof createGpuBackend>['accepts'], mode: GpuMode): Pair[] | string {
  return tidy(() => {
    const kernel = kernels[c.op] as Kernel<OpName> | undefined;
    if (kernel === undefined) return `${c.op} has no GPU kernel`;
    const inputs = c.inputs();
    const accept = accepts?.[c.op] as ((x: readonly Tensor[], a: unknown) => boolean) | undefined;
    // The routing choice runs where it measured fastest for the mode (routing.ts); its kernels are checked everywhere.
    const admitted = admitsRoutingOp(c.op, mode);
    if ((accept?.(inputs, c.attrs) ?? true) !== admitted) return `${c.op}: the GPU backend ${admitted ? 'declines' : 'accepts'} these inputs`;
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
    const ran = runKernels(c, kernels, accepts, context.mode);
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

// ---- DCL-MoE training through trainAsync ----------------------------------------------------------

/** One epoch of a run, as compared: `EpochRecord` without its wall-clock fields. */
export interface EpochSummary {
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
}

export interface TrainingReport {
  mode: GpuMode;
  /** The CPU backend's `train` (host Adam) and `mode`'s `trainAsync` (DeviceAdam), same model, data and config. */
  cpu: EpochSummary[];
  gpu: EpochSummary[];
  /** The epoch whose weights each run restored (its best validation loss). */
  cpuBest: number;
  gpuBest: number;
  /** Largest |w_gpu - w_cpu| over the restored weights (reported, not asserted: see trainingFailures). */
  maxWeightDiff: number;
  /** Kernel calls of the GPU run (the model really ran there) and its host reads of device values. */
  calls: number;
  downloads: number;
  /** Device arrays alive once the GPU run's model and optimiser are freed: 0 unless something leaks. */
  liveArrays: number;
  error: string | null;
  cpuMs: number;
  gpuMs: number;
  /** Each GPU epoch's training time, the flush at its reads included (the first builds the pipelines). */
  gpuEpochSeconds: number[];
}

// DCL-MoE on 4 Gaussian blobs over 16 features: 128 training rows in 2 batches of 64, and 64 validation
// rows (one evaluation batch, the same B as training, so most pipelines built for training serve it).
const F = 16;
const C = 4;
const ROWS = { train: 96, validation: 48 };

/** Gaussian blobs: class c shifts features c and c + C by 1.5. */
function blobs(n: number, seed: number): TabularSplit {
  const rng = new Rng(seed);
  const x = new Float32Array(n * F);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % C;
    for (let f = 0; f < F; f++) x[i * F + f] = rng.normal() + (f === y[i] || f === y[i] + C ? 1.5 : 0);
  }
  return { x, y };
}

const trainingData: TabularData = { numFeatures: F, classNames: ['a', 'b', 'c', 'd'], train: blobs(ROWS.train, 1), validation: blobs(ROWS.validation, 2), test: blobs(0, 3) };

function trainingConfig(epochs: number): TrainConfig {
  return { ...DEFAULT_TRAIN_CONFIG, epochs, batchSize: 48, lr: 3e-3, patience: 0, seed: 11, progress: false };
}

function dclModel() {
  return createDclModel({ numFeatures: F, numClasses: C, dropout: 0.2, seed: 11, kind: 'dcl-moe' });
}

function summaries(state: ResumeState): EpochSummary[] {
  return state.history.map(({ trainLoss, trainAccuracy, valLoss, valAccuracy }) => ({ trainLoss, trainAccuracy, valLoss, valAccuracy }));
}

function bestEpoch(state: ResumeState): number {
  return state.history.findIndex((h) => h.valLoss === state.bestValLoss) + 1;
}

/**
 * `epochs` epochs of DCL-MoE with the CPU backend's `train`, then on `mode` with `trainAsync` through the
 * page's public entry point (`useBackendAsync`; `deferred` runs a mode that could run at once through the
 * queue, for the Node run of this code in deferred.test.ts). Dropout is on: masks come from the engine's
 * Rng on either backend. The driver checks the report with `trainingFailures`.
 */
export async function runBrowserTraining(mode: GpuMode, epochs: number, options: { deferred?: boolean } = {}): Promise<TrainingReport> {
  const report: TrainingReport = {
    mode, cpu: [], gpu: [], cpuBest: 0, gpuBest: 0, maxWeightDiff: NaN, calls: 0, downloads: 0, liveArrays: -1, error: null, cpuMs: 0, gpuMs: 0, gpuEpochSeconds: [],
  };
  const config = trainingConfig(epochs);
  const quiet = { log: () => {} };
  try {
    useBackend('cpu');
    let start = performance.now();
    const cpuModel = dclModel();
    const cpu = train(cpuModel, trainingData, config, createOptimizer(cpuModel, config), quiet);
    report.cpuMs = performance.now() - start;
    const { context } = options.deferred
      ? useBackend('gpu', { probed: await probeGpuAsync([mode], { deferred: true }) })
      : await useBackendAsync('gpu', { modes: [mode] });
    const before = { calls: context!.stats.calls, downloads: context!.stats.downloads };
    start = performance.now();
    const gpuModel = dclModel();
    const optimizer = createOptimizer(gpuModel, config); // DeviceAdam on the backend just installed
    const gpu = await trainAsync(gpuModel, trainingData, config, optimizer, quiet);
    report.gpuMs = performance.now() - start;
    report.calls = context!.stats.calls - before.calls;
    report.downloads = context!.stats.downloads - before.downloads;
    report.cpu = summaries(cpu);
    report.gpu = summaries(gpu);
    report.cpuBest = bestEpoch(cpu);
    report.gpuBest = bestEpoch(gpu);
    report.gpuEpochSeconds = gpu.history.map((h) => h.seconds);
    // trainAsync restored the best weights on the host (nothing to await); compare them, then free the run.
    const cpuWeights = cpuModel.parameters().map((p) => p.toFlatArray());
    report.maxWeightDiff = Math.max(...gpuModel.parameters().map((p, i) => p.toFlatArray().reduce((m, w, j) => Math.max(m, Math.abs(w - cpuWeights[i][j])), 0)));
    (optimizer as Partial<DeviceAdam>).releaseMoments?.();
    gpuModel.zeroGrad();
    for (const p of gpuModel.parameters()) p.dispose();
    await context!.flush();
    report.liveArrays = context!.stats.liveArrays;
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
  } finally {
    useBackend('cpu');
  }
  return report;
}

/**
 * What is wrong with a training report (empty when nothing): the same epochs, the same best epoch, losses
 * within float32 tolerance and the same accuracies. Tolerance: |gpu - cpu| <= 1e-4 · max(1, |cpu|) on
 * every loss, that of test/kernels/gpu/trainer.test.ts (the same comparison on webasm in Node): float32
 * kernels that sum in another order differ from the CPU's float32 by ~1e-7 relative per op, and a few
 * Adam steps keep that far below 1e-4 (measured: 1.2e-7). The weights are reported, not compared element
 * by element: Adam's step m / sqrt(v) is ~lr whatever the gradient's size, so where a gradient is ~0 its
 * float32 rounding moves the weight by up to lr per step; a bound that allows that tests nothing the
 * losses do not.
 */
export function trainingFailures(report: TrainingReport, epochs: number): string[] {
  if (report.error !== null) return [`the run failed: ${report.error}`];
  const failures: string[] = [];
  if (report.cpu.length !== epochs || report.gpu.length !== epochs) failures.push(`epochs: cpu ${report.cpu.length}, gpu ${report.gpu.length}, expected ${epochs}`);
  if (report.gpuBest !== report.cpuBest) failures.push(`best epoch: gpu ${report.gpuBest}, cpu ${report.cpuBest}`);
  report.gpu.forEach((g, e) => {
    const c = report.cpu[e];
    for (const key of ['trainLoss', 'valLoss'] as const) {
      if (!(Math.abs(g[key] - c[key]) <= 1e-4 * Math.max(1, Math.abs(c[key])))) failures.push(`epoch ${e + 1} ${key}: gpu ${g[key]}, cpu ${c[key]}`);
    }
    for (const key of ['trainAccuracy', 'valAccuracy'] as const) if (g[key] !== c[key]) failures.push(`epoch ${e + 1} ${key}: gpu ${g[key]}, cpu ${c[key]}`);
  });
  if (report.gpu.length > 1 && !(report.gpu.at(-1)!.trainLoss < report.gpu[0].trainLoss)) failures.push(`the training loss did not fall: ${report.gpu.map((g) => g.trainLoss).join(', ')}`);
  if (report.liveArrays !== 0) failures.push(`${report.liveArrays} device arrays left after the run was freed`);
  return failures;
}

// ---- the backend 'auto' and 'gpu' choose ------------------------------------------------------------

export interface BackendChoiceReport {
  /** What `useBackendAsync('auto')` / `useBackendAsync('gpu')` picked, with its message. */
  auto: { backend: string; message: string };
  gpu: { backend: string; message: string };
  /** `useBackendAsync('auto', { modes: ['webgl2'] })`: the renderer read from gpu.js's own WebGL context. */
  autoWebgl2: { backend: string; message: string };
  error: string | null;
}

/** `useBackendAsync('auto')` then `useBackendAsync('gpu')` in this page (the default mode order), then 'auto' on webgl2 alone; back to the CPU after. */
export async function runBackendChoice(): Promise<BackendChoiceReport> {
  const report: BackendChoiceReport = { auto: { backend: '', message: '' }, gpu: { backend: '', message: '' }, autoWebgl2: { backend: '', message: '' }, error: null };
  try {
    const auto = await useBackendAsync('auto');
    report.auto = { backend: auto.backend, message: auto.message };
    const gpu = await useBackendAsync('gpu');
    report.gpu = { backend: gpu.backend, message: gpu.message };
    const webgl2 = await useBackendAsync('auto', { modes: ['webgl2'] });
    report.autoWebgl2 = { backend: webgl2.backend, message: webgl2.message };
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
  } finally {
    useBackend('cpu');
  }
  return report;
}

// The driver calls these from the page (page.evaluate).
Object.assign(globalThis, { runBrowserParity, runBrowserTraining, runBackendChoice });
