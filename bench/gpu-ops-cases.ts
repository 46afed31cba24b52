// The op cases of the GPU benchmark (DCL-MoE's hot ops, long reductions, the clipping norm's shapes), shared by the Node run (bench/gpu-ops.ts) and the page (bench/gpu-ops-page.ts).
//
// Engine code only (no node:* imports of its own): the same module is bundled into the Chromium page.
// Inputs are seeded; their values do not matter for the timings, only their shapes.

import * as nm from '../src/index.ts';
import { cpuKernels } from '../src/kernels/cpu/index.ts';
import type { OpAttrs, OpName } from '../src/tensor/op-table.ts';
import type { Tensor } from '../src/tensor/tensor.ts';

export interface OpCase {
  name: string;
  op: OpName;
  attrs: OpAttrs[OpName];
  /** Fresh kept inputs at batch B (the caller disposes them); the long reductions ignore B. */
  inputs: (B: number) => Tensor[];
}

const rng = new nm.Rng('bench/gpu-ops');
const normal = (shape: number[]): Tensor => nm.randn(shape, { rng }).keep();
const labels = (B: number, C: number): Tensor => nm.tensor(Array.from({ length: B }, () => rng.int(C)), { dtype: 'int32' }).keep();
const probs = (B: number, C: number): Tensor => nm.softmax(normal([B, C]), 1).keep();
const none = {} as Record<string, never>;
const small = (shape: number[]): Tensor => nm.randn(shape, { rng, std: 0.2 }).keep();
const lstmInputs = (B: number): Tensor[] => [normal([B, 40, 1]), small([1, 256]), small([64, 256]), small([256]), nm.zeros([B, 64]).keep(), nm.zeros([B, 64]).keep()];

/** The hot ops of a DCL-MoE training step (40 features, 20 classes), forward and backward, at batch B. */
export const BATCH_CASES: OpCase[] = [
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
    inputs: (B) => {
      const pooled = cpuKernels.maxPool1d([normal([B, 38, 64])], { poolSize: 2, stride: 2 });
      const argmax = pooled.saved![0].keep();
      pooled.outputs.forEach((t) => t.dispose());
      return [normal([B, 19, 64]), argmax];
    },
  },
  {
    name: 'add bias broadcast [B,128]',
    op: 'add',
    attrs: none,
    inputs: (B) => {
      const bias = normal([128]);
      const broadcast = bias.expand([B, 128]).keep(); // a view: it holds the storage once `bias` is freed
      bias.dispose();
      return [normal([B, 128]), broadcast];
    },
  },
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
      const { outputs, saved = [] } = cpuKernels.lstm([x, wIh, wHh, b, h0, c0], {});
      outputs.slice(1).forEach((t) => t.dispose());
      b.dispose();
      return [normal([B, 40, 64]), normal([B, 64]), normal([B, 64]), x, wIh, wHh, h0, c0, outputs[0].keep(), ...saved.map((t) => t.keep())];
    },
  },
];

/** Long reductions to few outputs (src/kernels/gpu/reduce.ts splits them in two stages): fixed sizes, not per batch. */
export const LONG_REDUCTIONS: OpCase[] = [
  { name: 'sum all [100000] -> []', op: 'sum', attrs: none, inputs: () => [normal([1, 100000, 1])] },
  { name: 'max all [100000] -> []', op: 'max', attrs: none, inputs: () => [normal([1, 100000, 1])] },
  { name: 'logsumexp [4, 30000]', op: 'logsumexp', attrs: none, inputs: () => [normal([4, 30000, 1])] },
  { name: 'sumToShape bias grad [16384,128]->[128]', op: 'sumToShape', attrs: { shape: [128] }, inputs: () => [normal([16384, 128])] },
  { name: 'nllFromProbs mean [16384,20]', op: 'nllFromProbs', attrs: { reduction: 'mean', eps: 1e-7 }, inputs: () => [probs(16384, 20), labels(16384, 20)] },
  { name: 'crossEntropy mean [16384,20]', op: 'crossEntropy', attrs: { reduction: 'mean', labelSmoothing: 0 }, inputs: () => [normal([16384, 20]), labels(16384, 20)] },
];

/** The DCL-MoE parameter shapes (40 features, 20 classes: 25 tensors, 118k values), for the clipping norm. */
export const DCL_MOE_SHAPES = [
  [40, 128], [128], [128, 64], [64], [64, 32], [32], [32, 20], [20], [3, 1, 64], [64], [1216, 64], [64], [64, 20], [20],
  [1, 256], [64, 256], [256], [64, 32], [32], [32, 20], [20], [40, 64], [64], [64, 3], [3],
];

/** Seeded float32 gradients of the DCL-MoE shapes (kept; the caller disposes them). */
export const dclMoeGradients = (): Tensor[] => DCL_MOE_SHAPES.map((shape) => normal(shape));

/** The clipping norm's row in the tables. */
export const CLIP_NAME = 'clip norm, DCL-MoE gradients (118k)';

/** The batches of the crossover sweep (doubling), and the two of the main table (DCL-MoE's training and evaluation batches). */
export const SWEEP_BATCHES = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];
export const TABLE_BATCHES = [64, 1024];

/**
 * Largest number of values (inputs + outputs + saved) one call of a case may touch in the sweep: 2^25
 * float32 = 128 MiB. The LSTM's saved gates ([B, 40, 256]) cross it above batch 2048; without a cap the
 * sweep would need gigabytes in a page (and gpu.js textures top out at 8192² values under SwiftShader).
 */
export const MAX_CASE_VALUES = 2 ** 25;

/**
 * Values one call of `c` touches at batch B: linear in B, so measured from the reference kernel at batch
 * 1 and 2 (fixed weights + per-row values).
 */
export function caseValues(c: OpCase, B: number): number {
  const at = (b: number): number => {
    const inputs = c.inputs(b);
    const { outputs, saved = [] } = (cpuKernels[c.op] as (x: readonly Tensor[], a: unknown) => { outputs: Tensor[]; saved?: Tensor[] })(inputs, c.attrs);
    const all = [...inputs, ...outputs, ...saved];
    const n = all.reduce((s, t) => s + t.size, 0);
    all.forEach((t) => t.dispose());
    return n;
  };
  const one = at(1);
  return one + (at(2) - one) * (B - 1);
}
