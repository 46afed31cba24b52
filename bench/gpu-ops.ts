// `npm run bench:gpu`: per-op time of the CPU kernels vs each gpu.js mode that runs here, at DCL-MoE's sizes (batch 64 and 1024), and the crossover batch.
//
// GPU timings are kernel calls on device-resident inputs (as in training: activations and weights stay on
// the device); the output is freed after each call. Each timing round ends by reading back its last output:
// a GL call returns once its draw is queued, so without that wait headless-gl timed only the queueing
// (0.015 ms for a dense at batch 1024 that takes ~50 ms on llvmpipe). Filter ops: npm run bench:gpu -- dense

import * as nm from '../src/index.ts';
import { cpuKernels } from '../src/kernels/cpu/index.ts';
import type { Kernel, KernelTable } from '../src/kernels/backend.ts';
import type { OpAttrs, OpName } from '../src/tensor/op-table.ts';
import type { Tensor } from '../src/tensor/tensor.ts';
import { createGpuContext, gpuKernels, probeGpu, type GpuContext, type GpuMode } from '../src/kernels/gpu/index.ts';
import type { GpuArray } from '../src/kernels/gpu/context.ts';
import { deviceTensor, storageArg, stridedCopy } from '../src/kernels/gpu/device.ts';
import { globalNormClip } from '../src/kernels/gpu/clip.ts';

interface OpCase {
  name: string;
  op: OpName;
  attrs: OpAttrs[OpName];
  inputs: (B: number) => Tensor[];
}

const rng = new nm.Rng('bench/gpu-ops');
const normal = (shape: number[]): Tensor => nm.randn(shape, { rng }).keep();
const labels = (B: number, C: number): Tensor => nm.tensor(Array.from({ length: B }, () => rng.int(C)), { dtype: 'int32' }).keep();
const probs = (B: number, C: number): Tensor => nm.softmax(normal([B, C]), 1).keep();
const none = {} as Record<string, never>;
const small = (shape: number[]): Tensor => nm.randn(shape, { rng, std: 0.2 }).keep();
const lstmInputs = (B: number): Tensor[] => [normal([B, 40, 1]), small([1, 256]), small([64, 256]), small([256]), nm.zeros([B, 64]).keep(), nm.zeros([B, 64]).keep()];

// The hot ops of a DCL-MoE training step (40 features, 20 classes), forward and backward.
const CASES: OpCase[] = [
  { name: 'dense 40->128 relu', op: 'dense', attrs: { activation: 'relu' }, inputs: (B) => [normal([B, 40]), normal([40, 128]), normal([128])] },
  { name: 'dense 128->64 relu', op: 'dense', attrs: { activation: 'relu' }, inputs: (B) => [normal([B, 128]), normal([128, 64]), normal([64])] },
  { name: 'matmul dW = xᵀ·dy (40x128)', op: 'matmul', attrs: { transA: true, transB: false }, inputs: (B) => [normal([B, 40]), normal([B, 128])] },
  { name: 'matmul dx = dy·Wᵀ (128->40)', op: 'matmul', attrs: { transA: false, transB: true }, inputs: (B) => [normal([B, 128]), normal([40, 128])] },
  { name: 'conv1d 40x1 * 3x1x64 relu', op: 'conv1d', attrs: { stride: 1, padLeft: 0, outLength: 38, activation: 'relu' }, inputs: (B) => [normal([B, 40, 1]), normal([3, 1, 64]), normal([64])] },
  { name: 'conv1dWeightGrad', op: 'conv1dWeightGrad', attrs: { stride: 1, padLeft: 0, kernelSize: 3 }, inputs: (B) => [normal([B, 40, 1]), normal([B, 38, 64])] },
  { name: 'maxPool1d 38x64 pool 2', op: 'maxPool1d', attrs: { poolSize: 2, stride: 2 }, inputs: (B) => [normal([B, 38, 64])] },
  {
    name: 'maxPool1dBackward 19x64 pool 2',
    op: 'maxPool1dBackward',
    attrs: { inLength: 38, poolSize: 2, stride: 2 },
    inputs: (B) => [normal([B, 19, 64]), cpuKernels.maxPool1d([normal([B, 38, 64])], { poolSize: 2, stride: 2 }).saved![0].keep()],
  },
  { name: 'add bias broadcast [B,128]', op: 'add', attrs: none, inputs: (B) => [normal([B, 128]), normal([128]).expand([B, 128])] },
  { name: 'unaryGrad relu [B,38,64]', op: 'unaryGrad', attrs: { fn: 'relu', exponent: 1 }, inputs: (B) => { const x = normal([B, 38, 64]); return [normal([B, 38, 64]), x, x]; } },
  { name: 'softmax [B,20]', op: 'softmax', attrs: { axis: 1 }, inputs: (B) => [normal([B, 20])] },
  { name: 'nllFromProbs mean [B,20]', op: 'nllFromProbs', attrs: { reduction: 'mean', eps: 1e-7 }, inputs: (B) => [probs(B, 20), labels(B, 20)] },
  { name: 'sumToShape bias grad [B,128]->[128]', op: 'sumToShape', attrs: { shape: [128] }, inputs: (B) => [normal([B, 128])] },
  // The LSTM expert: 40 steps of 1 feature, H = 64.
  { name: 'lstm T40 F1 H64', op: 'lstm', attrs: none, inputs: (B) => lstmInputs(B) },
  {
    name: 'lstmBackward T40 F1 H64',
    op: 'lstmBackward',
    attrs: { needsDx: false },
    inputs: (B) => {
      const [x, wIh, wHh, b, h0, c0] = lstmInputs(B);
      const { outputs: [y], saved = [] } = cpuKernels.lstm([x, wIh, wHh, b, h0, c0], {});
      return [normal([B, 40, 64]), normal([B, 64]), normal([B, 64]), x, wIh, wHh, h0, c0, y.keep(), ...saved.map((t) => t.keep())];
    },
  },
];

/**
 * Median ms per call over `rounds` rounds of `reps` calls, reps grown until a round takes >= 20 ms.
 * `finish` ends each round inside its timing: it waits for work `fn` only queued (the GPU's).
 */
function timeMs(fn: () => void, finish: () => void = () => {}, rounds = 5): number {
  fn();
  finish();
  let reps = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) fn();
    finish();
    if (performance.now() - t >= 20 || reps >= 1 << 14) break;
    reps *= 2;
  }
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) fn();
    finish();
    samples.push((performance.now() - t) / reps);
  }
  return samples.sort((a, b) => a - b)[Math.floor(rounds / 2)];
}

function cpuTime(c: OpCase, inputs: Tensor[]): number {
  const kernel = cpuKernels[c.op] as Kernel<OpName>;
  return timeMs(() => {
    const { outputs, saved = [] } = kernel(inputs, c.attrs);
    for (const t of [...outputs, ...saved]) t.dispose();
  });
}

function gpuTime(context: GpuContext, kernels: Partial<KernelTable>, c: OpCase, inputs: Tensor[]): number {
  const kernel = kernels[c.op] as Kernel<OpName>;
  // Put float inputs on the device first (int32 labels come from the host each step in training too).
  const onDevice = inputs.map((x) => (x.dtype === 'float32' && x.isContiguous ? deviceTensor(stridedCopy(context, x)!, x.shape).keep() : x));
  // The last call's outputs stay until `finish` reads the first back: the wait for the queued kernels.
  let last: Tensor[] = [];
  const ms = timeMs(
    () => {
      last.forEach((t) => t.dispose());
      const { outputs, saved = [] } = kernel(onDevice, c.attrs);
      last = [...outputs, ...saved];
    },
    () => {
      last[0]?.toFlatArray();
      last.forEach((t) => t.dispose());
      last = [];
    },
  );
  onDevice.forEach((t, i) => t !== inputs[i] && t.dispose());
  return ms;
}

// Long reductions to few outputs (src/kernels/gpu/reduce.ts splits them in two stages): fixed sizes, not per batch.
const LONG_REDUCTIONS: OpCase[] = [
  { name: 'sum all [100000] -> []', op: 'sum', attrs: none, inputs: () => [normal([1, 100000, 1])] },
  { name: 'max all [100000] -> []', op: 'max', attrs: none, inputs: () => [normal([1, 100000, 1])] },
  { name: 'logsumexp [4, 30000]', op: 'logsumexp', attrs: none, inputs: () => [normal([4, 30000, 1])] },
  { name: 'sumToShape bias grad [16384,128]->[128]', op: 'sumToShape', attrs: { shape: [128] }, inputs: () => [normal([16384, 128])] },
  { name: 'nllFromProbs mean [16384,20]', op: 'nllFromProbs', attrs: { reduction: 'mean', eps: 1e-7 }, inputs: () => [probs(16384, 20), labels(16384, 20)] },
  { name: 'crossEntropy mean [16384,20]', op: 'crossEntropy', attrs: { reduction: 'mean', labelSmoothing: 0 }, inputs: () => [normal([16384, 20]), labels(16384, 20)] },
];

/** The DCL-MoE parameter shapes (40 features, 20 classes: 25 tensors, 118k values), for the clipping norm. */
const DCL_MOE_SHAPES = [
  [40, 128], [128], [128, 64], [64], [64, 32], [32], [32, 20], [20], [3, 1, 64], [64], [1216, 64], [64], [64, 20], [20],
  [1, 256], [64, 256], [256], [64, 32], [32], [32, 20], [20], [40, 64], [64], [64, 3], [3],
];

/** globalNormClip over device-resident gradients of the DCL-MoE shapes: the squared norm of 118k values. */
function clipTime(context: GpuContext): number {
  const grads = DCL_MOE_SHAPES.map((shape) => deviceTensor(stridedCopy(context, normal(shape))!, shape).keep());
  const terms = grads.map((g) => ({ n: g.size, grad: storageArg(context, g), w: storageArg(context, g), fold: { go: 0, wo: 0, l2x2: 0 } }));
  let last: GpuArray | null = null;
  const ms = timeMs(
    () => {
      last?.dispose();
      last = globalNormClip(context, terms, 1);
    },
    () => {
      last?.download();
      last?.dispose();
      last = null;
    },
  );
  grads.forEach((g) => g.dispose());
  return ms;
}

const filter = process.argv[2];
const modes: GpuMode[] = ['webasm', 'cpu'];
const hardware = probeGpu(['headlessgl']);
if (hardware.context) modes.unshift('headlessgl');
hardware.context?.dispose();
const contexts = modes.map((mode) => createGpuContext(mode));
const tables = contexts.map((context) => gpuKernels(context));
const fmt = (ms: number): string => (ms < 1 ? ms.toFixed(3) : ms.toFixed(2)).padStart(9);

console.log(`gpu.js modes here: ${modes.join(', ')}${hardware.context ? '' : ` (headlessgl: ${hardware.attempts[0].error})`}`);
for (const B of [64, 1024]) {
  console.log(`\n## batch ${B}: ms per call (speed-up vs CPU in brackets)`);
  console.log(`${'op'.padEnd(38)} ${'cpu'.padStart(9)} ${modes.map((m) => `${m.padStart(9)}        `).join(' ')}`);
  for (const c of CASES) {
    if (filter && !c.name.includes(filter)) continue;
    const inputs = c.inputs(B);
    const cpu = cpuTime(c, inputs);
    const cols = contexts.map((context, k) => {
      const ms = gpuTime(context, tables[k], c, inputs);
      return `${fmt(ms)} (${(cpu / ms).toFixed(2).padStart(5)}x)`;
    });
    console.log(`${c.name.padEnd(38)} ${fmt(cpu)} ${cols.join(' ')}`);
    inputs.forEach((t) => t.dispose());
  }
}

if (!filter || 'long reductions'.includes(filter)) {
  console.log('\n## long reductions to few outputs: ms per call (speed-up vs CPU in brackets)');
  console.log(`${'op'.padEnd(38)} ${'cpu'.padStart(9)} ${modes.map((m) => `${m.padStart(9)}        `).join(' ')}`);
  for (const c of LONG_REDUCTIONS) {
    const inputs = c.inputs(0);
    const cpu = cpuTime(c, inputs);
    const cols = contexts.map((context, k) => {
      const ms = gpuTime(context, tables[k], c, inputs);
      return `${fmt(ms)} (${(cpu / ms).toFixed(2).padStart(5)}x)`;
    });
    console.log(`${c.name.padEnd(38)} ${fmt(cpu)} ${cols.join(' ')}`);
    inputs.forEach((t) => t.dispose());
  }
  console.log(`${'clip norm, DCL-MoE gradients (118k)'.padEnd(38)} ${'-'.padStart(9)} ${contexts.map((context) => `${fmt(clipTime(context))}        `).join(' ')}`);
}

// Crossover: the smallest batch where a mode beats the CPU kernel, for the largest op of the step.
console.log('\n## crossover: dense 128->64 relu, ms per call by batch');
const batches = [16, 64, 256, 1024, 4096, 16384];
const crossover = new Map<GpuMode, number | null>(modes.map((m) => [m, null]));
console.log(`${'batch'.padEnd(8)} ${'cpu'.padStart(9)} ${modes.map((m) => m.padStart(9)).join(' ')}`);
for (const B of batches) {
  const c = CASES[1];
  const inputs = c.inputs(B);
  const cpu = cpuTime(c, inputs);
  const times = contexts.map((context, k) => gpuTime(context, tables[k], c, inputs));
  times.forEach((ms, k) => {
    if (ms < cpu && crossover.get(modes[k]) === null) crossover.set(modes[k], B);
  });
  console.log(`${String(B).padEnd(8)} ${fmt(cpu)} ${times.map(fmt).join(' ')}`);
  inputs.forEach((t) => t.dispose());
}
for (const [mode, B] of crossover) console.log(`${mode}: ${B === null ? `slower than the CPU at every batch up to ${batches.at(-1)}` : `faster from batch ${B}`}`);
contexts.forEach((c) => c.dispose());
