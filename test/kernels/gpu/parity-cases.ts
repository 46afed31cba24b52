// Parity cases for the gpu.js kernels: each op, forward and backward kernels, on seeded float32 inputs (incl. views, odd sizes, batch 1).

import * as nm from '../../../src/index.ts';
import type { OpAttrs, OpName } from '../../../src/tensor/op-table.ts';
import type { Tensor } from '../../../src/tensor/tensor.ts';
import { Rng } from '../../../src/tensor/random.ts';
import { cpuKernels } from '../../../src/kernels/cpu/index.ts';
import { type Capacity, capacityOf } from '../../../src/tensor/ops/routing-capacity.ts';

export interface ParityCase {
  name: string;
  op: OpName;
  /** Built fresh per backend run (the kernels may read them). */
  inputs: () => Tensor[];
  attrs: OpAttrs[OpName];
  /** Length of the longest sum behind one output (atol grows with it: float32 rounding accumulates). */
  reduction?: number;
}

const rng = (seed: number): Rng => new Rng(`gpu-parity/${seed}`);
const normal = (shape: number[], seed: number, std = 1): Tensor => nm.randn(shape, { rng: rng(seed), std });
const positive = (shape: number[], seed: number): Tensor => nm.randu(shape, { rng: rng(seed), low: 0.2, high: 2 });
/** Inputs away from zero, so relu / abs are tested off their kinks. */
const awayFromZero = (shape: number[], seed: number): Tensor => {
  const x = normal(shape, seed);
  const v = x.values;
  for (let i = 0; i < v.length; i++) v[i] += v[i] >= 0 ? 0.1 : -0.1;
  return x;
};
const labels = (n: number, classes: number, seed: number): Tensor => {
  const r = rng(seed);
  return nm.tensor(Array.from({ length: n }, () => Math.floor(r.next() * classes)), { dtype: 'int32' });
};
const none = {} as Record<string, never>;

const binaryCases: ParityCase[] = (['add', 'sub', 'mul', 'div', 'maximum'] as const).flatMap((op, k) => [
  { name: `${op} same shape, odd size`, op, inputs: () => [normal([7, 13], k), op === 'div' ? positive([7, 13], k + 50) : normal([7, 13], k + 50)], attrs: none },
  {
    name: `${op} broadcast row (bias) and column over a batch`,
    op,
    inputs: () => [normal([5, 3, 4], k + 1), (op === 'div' ? positive([3, 1], k + 2) : normal([3, 1], k + 2)).expand([5, 3, 4])],
    attrs: none,
  },
  { name: `${op} scalar, batch 1`, op, inputs: () => [normal([1, 9], k + 3), nm.tensor(op === 'div' ? 1.7 : -0.3).expand([1, 9])], attrs: none },
  { name: `${op} transposed view`, op, inputs: () => [nm.permute(normal([4, 6], k + 4), [1, 0]), normal([6, 4], k + 5).add(op === 'div' ? 3 : 0)], attrs: none },
]);

const unaryCases: ParityCase[] = (['neg', 'sqrt', 'exp', 'log', 'abs', 'sign', 'tanh', 'sigmoid', 'relu', 'gelu'] as const).map((op, k) => ({
  name: `${op} [3, 17]`,
  op,
  inputs: () => [op === 'sqrt' || op === 'log' ? positive([3, 17], 100 + k) : awayFromZero([3, 17], 100 + k)],
  attrs: none,
}));

const unaryGradCases: ParityCase[] = (['sqrt', 'exp', 'log', 'abs', 'tanh', 'sigmoid', 'relu', 'gelu', 'pow'] as const).map((fn, k) => ({
  name: `unaryGrad ${fn}`,
  op: 'unaryGrad',
  inputs: () => {
    const x = fn === 'sqrt' || fn === 'log' || fn === 'pow' ? positive([5, 11], 200 + k) : awayFromZero([5, 11], 200 + k);
    const y = fn === 'pow' ? nm.noGrad(() => nm.pow(x, 2.5)) : nm.noGrad(() => nm[fn](x));
    return [normal([5, 11], 300 + k), x, y];
  },
  attrs: { fn, exponent: fn === 'pow' ? 2.5 : 1 },
}));

/** Values on a 0.5 grid, so comparisons meet ties. */
const coarse = (shape: number[], seed: number): Tensor => {
  const x = normal(shape, seed);
  const v = x.values;
  for (let i = 0; i < v.length; i++) v[i] = Math.round(v[i] * 2) / 2;
  return x;
};

const comparisonCases: ParityCase[] = (['equal', 'greater', 'greaterEqual', 'less', 'lessEqual'] as const).flatMap((op, k) => [
  { name: `${op} with ties`, op, inputs: () => [coarse([6, 9], 450 + k), coarse([6, 9], 460 + k)], attrs: none },
  { name: `${op} against a broadcast row max`, op, inputs: () => [coarse([5, 4], 470 + k), nm.max(coarse([5, 4], 470 + k), 1, true).expand([5, 4])], attrs: none },
]);

export const elementwiseCases: ParityCase[] = [
  ...binaryCases,
  ...comparisonCases,
  {
    name: 'where with a broadcast scalar branch',
    op: 'where',
    inputs: () => [nm.greater(coarse([4, 7], 480), 0), normal([4, 7], 481), nm.tensor(-2).expand([4, 7])],
    attrs: none,
  },
  { name: 'where on a transposed view', op: 'where', inputs: () => [nm.permute(nm.lessEqual(coarse([7, 4], 482), 0), [1, 0]), normal([4, 7], 483), normal([4, 7], 484)], attrs: none },
  { name: 'cast int32 labels to float32', op: 'cast', inputs: () => [labels(13, 7, 490)], attrs: { dtype: 'float32' } },
  { name: 'cast float32 view to float32', op: 'cast', inputs: () => [nm.permute(normal([3, 5], 491), [1, 0])], attrs: { dtype: 'float32' } },
  ...unaryCases,
  { name: 'pow 2 (square)', op: 'pow', inputs: () => [normal([4, 5], 400)], attrs: { exponent: 2 } },
  { name: 'pow 1.5', op: 'pow', inputs: () => [positive([4, 5], 401)], attrs: { exponent: 1.5 } },
  { name: 'pow on a strided view', op: 'pow', inputs: () => [nm.permute(positive([4, 5], 402), [1, 0])], attrs: { exponent: 3 } },
  ...unaryGradCases,
  {
    name: 'dropoutWithMask',
    op: 'dropoutWithMask',
    inputs: () => [normal([6, 10], 500), nm.tensor(Array.from({ length: 60 }, (_, i) => ((i * 7) % 3 === 0 ? 0 : 1))).reshape([6, 10])],
    attrs: { rate: 0.3 },
  },
];

const argmaxOf = (O: number, I: number, R: number, seed: number): Tensor => {
  const r = rng(seed);
  return nm.tensor(Array.from({ length: O * I }, () => Math.floor(r.next() * R)), { dtype: 'int32' }).reshape([O, I]);
};

/**
 * [2, 4100, 2] on a 0.5 grid with the row max planted several times, across the two-stage reduction's chunk
 * boundaries (chunks of 256, src/kernels/gpu/reduce.ts): ties must still go to the lowest index.
 */
const tiesAcrossChunks = (): Tensor => {
  const x = coarse([2, 4100, 2], 625);
  const v = x.values;
  const plant = (o: number, i: number, rs: number[]): void => rs.forEach((r) => (v[(o * 4100 + r) * 2 + i] = 10));
  plant(0, 0, [3000, 512, 511]); // the last of chunk 1 and the first of chunk 2: 511 wins
  plant(0, 1, [1024, 4099, 2047]); // a chunk's first, the short last chunk's last element
  plant(1, 0, [4096, 4099]); // both in the short last chunk
  plant(1, 1, [0, 256, 3840]); // index 0 (chunk 0's first)
  return x;
};

export const reduceMovementCases: ParityCase[] = [
  { name: 'sum over the middle axis [3, 7, 5]', op: 'sum', inputs: () => [normal([3, 7, 5], 600)], attrs: none, reduction: 7 },
  { name: 'sum of rows [64, 2432, 1] (a bias gradient)', op: 'sum', inputs: () => [normal([1, 2432, 3], 601)], attrs: none, reduction: 2432 },
  { name: 'sum of a permuted view', op: 'sum', inputs: () => [nm.permute(normal([5, 4, 3], 602), [2, 1, 0])], attrs: none, reduction: 4 },
  { name: 'max with argmax [4, 9, 3] (distinct values)', op: 'max', inputs: () => [normal([4, 9, 3], 603)], attrs: none },
  { name: 'logsumexp [2, 6, 4]', op: 'logsumexp', inputs: () => [normal([2, 6, 4], 604)], attrs: none, reduction: 6 },
  // Long axes to few outputs: the two-stage (chunked) kernels of src/kernels/gpu/reduce.ts.
  { name: 'sum to a scalar of [70000] (two stages)', op: 'sum', inputs: () => [normal([1, 70000, 1], 621)], attrs: none, reduction: 70000 },
  { name: 'sum over [20000, 3] rows (a batch mean, two stages)', op: 'sum', inputs: () => [normal([1, 20000, 3], 622)], attrs: none, reduction: 20000 },
  { name: 'max with ties across chunk boundaries [2, 4100, 2] (two stages)', op: 'max', inputs: () => [tiesAcrossChunks()], attrs: none },
  {
    name: 'logsumexp over a long axis, one row offset by +200 [2, 9000, 1] (two stages)',
    op: 'logsumexp',
    inputs: () => [nm.add(normal([2, 9000, 1], 623, 3), nm.tensor([[[0]], [[200]]]).expand([2, 9000, 1])).contiguous()],
    attrs: none,
    reduction: 9000,
  },
  { name: 'sumToShape [5000, 3] -> [3] (a bias gradient over a large batch, two stages)', op: 'sumToShape', inputs: () => [normal([5000, 3], 624)], attrs: { shape: [3] }, reduction: 5000 },
  { name: 'maxBackward', op: 'maxBackward', inputs: () => [normal([4, 3], 605), argmaxOf(4, 3, 9, 606)], attrs: { reduceSize: 9 } },
  { name: 'copy of a transposed view', op: 'copy', inputs: () => [nm.permute(normal([3, 4, 5], 607), [2, 0, 1])], attrs: none },
  { name: 'reshape of a transposed view (a device copy)', op: 'reshape', inputs: () => [nm.permute(normal([4, 6], 620), [1, 0])], attrs: { shape: [3, 8] } },
  { name: 'copy of a broadcast view', op: 'copy', inputs: () => [normal([1, 5], 608).expand([3, 5])], attrs: none },
  { name: 'sumToShape [64, 3, 20] -> [64, 3, 1]', op: 'sumToShape', inputs: () => [normal([64, 3, 20], 609)], attrs: { shape: [64, 3, 1] }, reduction: 20 },
  { name: 'sumToShape [6, 5] -> [5] (bias)', op: 'sumToShape', inputs: () => [normal([6, 5], 610)], attrs: { shape: [5] }, reduction: 6 },
  { name: 'sumToShape [2, 3, 4] -> [1, 3, 1]', op: 'sumToShape', inputs: () => [normal([2, 3, 4], 611)], attrs: { shape: [1, 3, 1] }, reduction: 8 },
  { name: 'sumToShape of a strided view', op: 'sumToShape', inputs: () => [nm.permute(normal([4, 6], 612), [1, 0])], attrs: { shape: [1, 4] }, reduction: 6 },
  { name: 'concat 3 along axis 1 (expert outputs)', op: 'concat', inputs: () => [normal([5, 1, 4], 613), normal([5, 1, 4], 614), normal([5, 1, 4], 615)], attrs: { axis: 1 } },
  { name: 'concat 2 of different sizes along the last axis', op: 'concat', inputs: () => [normal([3, 2], 616), normal([3, 5], 617)], attrs: { axis: 1 } },
];

export const linalgCases: ParityCase[] = [
  { name: 'matmul [7, 13] x [13, 5]', op: 'matmul', inputs: () => [normal([7, 13], 700), normal([13, 5], 701)], attrs: { transA: false, transB: false }, reduction: 13 },
  { name: 'matmul transA (a weight gradient xᵀ·dy)', op: 'matmul', inputs: () => [normal([64, 40], 702), normal([64, 9], 703)], attrs: { transA: true, transB: false }, reduction: 64 },
  { name: 'matmul transB (an input gradient dy·wᵀ)', op: 'matmul', inputs: () => [normal([6, 9], 704), normal([11, 9], 705)], attrs: { transA: false, transB: true }, reduction: 9 },
  { name: 'matmul transA and transB, batch 1', op: 'matmul', inputs: () => [normal([4, 1], 706), normal([3, 4], 707)], attrs: { transA: true, transB: true }, reduction: 4 },
  { name: 'batched matmul [3, 4, 5] x [3, 5, 2]', op: 'matmul', inputs: () => [normal([3, 4, 5], 708), normal([3, 5, 2], 709)], attrs: { transA: false, transB: false }, reduction: 5 },
  {
    name: 'batched matmul with a broadcast b (stride-0 batch)',
    op: 'matmul',
    inputs: () => [normal([2, 3, 4, 5], 710), normal([5, 6], 711).expand([2, 3, 5, 6])],
    attrs: { transA: false, transB: false },
    reduction: 5,
  },
  { name: 'matmul of a transposed view', op: 'matmul', inputs: () => [nm.permute(normal([5, 4], 712), [1, 0]), normal([5, 3], 713)], attrs: { transA: false, transB: false }, reduction: 5 },
  ...(['none', 'relu', 'tanh', 'sigmoid'] as const).map((activation, k) => ({
    name: `dense ${activation} [9, 40] -> 17`,
    op: 'dense' as const,
    inputs: () => [normal([9, 40], 720 + k), normal([40, 17], 730 + k, 0.2), normal([17], 740 + k)],
    attrs: { activation },
    reduction: 40,
  })),
  { name: 'dense without bias, batch 1', op: 'dense', inputs: () => [normal([1, 6], 750), normal([6, 3], 751)], attrs: { activation: 'none' }, reduction: 6 },
];

export const lossCases: ParityCase[] = [
  { name: 'softmax last axis [6, 20]', op: 'softmax', inputs: () => [normal([6, 20], 800, 3)], attrs: { axis: 1 }, reduction: 20 },
  { name: 'softmax inner axis [2, 5, 3]', op: 'softmax', inputs: () => [normal([2, 5, 3], 801, 3)], attrs: { axis: 1 }, reduction: 5 },
  { name: 'logSoftmax [4, 7]', op: 'logSoftmax', inputs: () => [normal([4, 7], 802, 3)], attrs: { axis: 1 }, reduction: 7 },
  {
    name: 'softmaxBackward [5, 3]',
    op: 'softmaxBackward',
    inputs: () => [normal([5, 3], 803), nm.softmax(normal([5, 3], 804), 1)],
    attrs: { axis: 1 },
    reduction: 3,
  },
  // Long axes to few outputs: the two-stage (chunked) reductions.
  { name: 'softmax over a long axis [2, 5000] (two stages)', op: 'softmax', inputs: () => [normal([2, 5000], 805, 3)], attrs: { axis: 1 }, reduction: 5000 },
  {
    name: 'softmaxBackward over a long axis [2, 5000] (two stages)',
    op: 'softmaxBackward',
    inputs: () => [normal([2, 5000], 806), nm.softmax(normal([2, 5000], 807), 1)],
    attrs: { axis: 1 },
    reduction: 5000,
  },
  {
    name: 'crossEntropy mean over a batch of 5000 (two stages)',
    op: 'crossEntropy',
    inputs: () => [normal([5000, 4], 808, 2), labels(5000, 4, 809)],
    attrs: { reduction: 'mean', labelSmoothing: 0.1 },
    reduction: 5000 * 4,
  },
  ...(['mean', 'sum', 'none'] as const).flatMap((reduction, k) => [
    {
      name: `crossEntropy ${reduction}, smoothing 0.1`,
      op: 'crossEntropy' as const,
      inputs: () => [normal([8, 5], 810 + k, 2), labels(8, 5, 820 + k)],
      attrs: { reduction, labelSmoothing: 0.1 },
      reduction: 8 * 5,
    },
    {
      name: `crossEntropyBackward ${reduction}`,
      op: 'crossEntropyBackward' as const,
      inputs: () => [reduction === 'none' ? normal([8], 830 + k) : nm.tensor(0.7), nm.softmax(normal([8, 5], 840 + k), 1), labels(8, 5, 850 + k)],
      attrs: { reduction, labelSmoothing: 0.1 },
    },
    {
      name: `nllFromProbs ${reduction}`,
      op: 'nllFromProbs' as const,
      inputs: () => [nm.softmax(normal([64, 20], 860 + k), 1), labels(64, 20, 870 + k)],
      attrs: { reduction, eps: 1e-7 },
      reduction: 64,
    },
    {
      name: `nllFromProbsBackward ${reduction}`,
      op: 'nllFromProbsBackward' as const,
      inputs: () => [reduction === 'none' ? normal([7], 880 + k) : nm.tensor(1.3), nm.softmax(normal([7, 4], 890 + k), 1), labels(7, 4, 895 + k)],
      attrs: { reduction, eps: 1e-7 },
    },
  ]),
];

/** A valid argmax of maxPool1d (window t's pick is in [t·stride, t·stride + pool)). */
const poolArgmax = (B: number, Lout: number, C: number, stride: number, pool: number, seed: number): Tensor => {
  const r = rng(seed);
  const v: number[] = [];
  for (let b = 0; b < B; b++) for (let t = 0; t < Lout; t++) for (let c = 0; c < C; c++) v.push(t * stride + Math.floor(r.next() * pool));
  return nm.tensor(v, { dtype: 'int32' }).reshape([B, Lout, C]);
};

export const convCases: ParityCase[] = [
  { name: 'conv1d valid [2, 40, 1] * [3, 1, 64] (DCL-MoE)', op: 'conv1d', inputs: () => [normal([2, 40, 1], 900), normal([3, 1, 64], 901), normal([64], 902)], attrs: { stride: 1, padLeft: 0, outLength: 38 }, reduction: 3 },
  { name: 'conv1d + relu epilogue (Conv1D layer)', op: 'conv1d', inputs: () => [normal([2, 40, 1], 930), normal([3, 1, 64], 931), normal([64], 932)], attrs: { stride: 1, padLeft: 0, outLength: 38, activation: 'relu' }, reduction: 3 },
  { name: 'conv1d + tanh epilogue', op: 'conv1d', inputs: () => [normal([2, 9, 4], 933), normal([3, 4, 5], 934), normal([5], 935)], attrs: { stride: 1, padLeft: 1, outLength: 9, activation: 'tanh' }, reduction: 12 },
  { name: 'conv1d same, stride 2, no bias', op: 'conv1d', inputs: () => [normal([3, 9, 4], 903), normal([3, 4, 5], 904)], attrs: { stride: 2, padLeft: 1, outLength: 5 }, reduction: 12 },
  { name: 'conv1dInputGrad same, stride 2', op: 'conv1dInputGrad', inputs: () => [normal([3, 5, 5], 905), normal([3, 4, 5], 906)], attrs: { stride: 2, padLeft: 1, inLength: 9 }, reduction: 15 },
  { name: 'conv1dInputGrad valid (DCL-MoE)', op: 'conv1dInputGrad', inputs: () => [normal([2, 38, 64], 907), normal([3, 1, 64], 908)], attrs: { stride: 1, padLeft: 0, inLength: 40 }, reduction: 192 },
  { name: 'conv1dWeightGrad same, stride 2', op: 'conv1dWeightGrad', inputs: () => [normal([3, 9, 4], 909), normal([3, 5, 5], 910)], attrs: { stride: 2, padLeft: 1, kernelSize: 3 }, reduction: 15 },
  { name: 'conv1dWeightGrad valid (DCL-MoE, batch 64)', op: 'conv1dWeightGrad', inputs: () => [normal([64, 40, 1], 911), normal([64, 38, 64], 912)], attrs: { stride: 1, padLeft: 0, kernelSize: 3 }, reduction: 64 * 38 },
  { name: 'maxPool1d pool 2 [2, 38, 64] (DCL-MoE)', op: 'maxPool1d', inputs: () => [normal([2, 38, 64], 913)], attrs: { poolSize: 2, stride: 2 } },
  { name: 'maxPool1d overlapping windows (pool 3, stride 1), odd length', op: 'maxPool1d', inputs: () => [normal([1, 7, 3], 914)], attrs: { poolSize: 3, stride: 1 } },
  { name: 'maxPool1dBackward pool 2', op: 'maxPool1dBackward', inputs: () => [normal([2, 19, 6], 915), poolArgmax(2, 19, 6, 2, 2, 916)], attrs: { inLength: 38, poolSize: 2, stride: 2 } },
  { name: 'maxPool1dBackward overlapping windows', op: 'maxPool1dBackward', inputs: () => [normal([1, 5, 3], 917), poolArgmax(1, 5, 3, 1, 3, 918)], attrs: { inLength: 7, poolSize: 3, stride: 1 } },
  { name: 'maxPool1dBackward gapped windows (pool 2, stride 3)', op: 'maxPool1dBackward', inputs: () => [normal([2, 3, 5], 919), poolArgmax(2, 3, 5, 3, 2, 920)], attrs: { inLength: 10, poolSize: 2, stride: 3 } },
];

/** LSTM inputs [x, wIh, wHh, b, h0, c0] at small weights (gates away from saturation). */
const lstmInputs = (B: number, T: number, F: number, H: number, seed: number, zeroState = false): Tensor[] => [
  normal([B, T, F], seed),
  normal([F, 4 * H], seed + 1, 0.4),
  normal([H, 4 * H], seed + 2, 0.3),
  normal([4 * H], seed + 3, 0.2),
  zeroState ? nm.zeros([B, H]) : normal([B, H], seed + 4, 0.5),
  zeroState ? nm.zeros([B, H]) : normal([B, H], seed + 5, 0.5),
];

/** lstmBackward's inputs: random upstream gradients and what the CPU forward returns and saves. */
const lstmBackwardInputs = (B: number, T: number, F: number, H: number, seed: number): Tensor[] => {
  const [x, wIh, wHh, b, h0, c0] = lstmInputs(B, T, F, H, seed);
  const { outputs: [y], saved: [gates, c, tanhC] = [] } = cpuKernels.lstm([x, wIh, wHh, b, h0, c0], {});
  return [normal([B, T, H], seed + 10), normal([B, H], seed + 11), normal([B, H], seed + 12), x, wIh, wHh, h0, c0, y, gates, c, tanhC];
};

export const recurrentCases: ParityCase[] = [
  { name: 'lstm [3, 5, 4] H 6 with initial state', op: 'lstm', inputs: () => lstmInputs(3, 5, 4, 6, 1000), attrs: none, reduction: 6 * 5 },
  { name: 'lstm batch 1, one step', op: 'lstm', inputs: () => lstmInputs(1, 1, 3, 5, 1010), attrs: none, reduction: 5 },
  // T = 19 > 8 stacks the step blocks in two levels (one group of 3); F = 1 as in DCL-MoE.
  { name: 'lstm [4, 19, 1] H 8, zero state (DCL-MoE layout)', op: 'lstm', inputs: () => lstmInputs(4, 19, 1, 8, 1020, true), attrs: none, reduction: 8 * 19 },
  { name: 'lstmBackward [3, 5, 4] H 6', op: 'lstmBackward', inputs: () => lstmBackwardInputs(3, 5, 4, 6, 1030), attrs: { needsDx: true }, reduction: 3 * 5 * 24 },
  { name: 'lstmBackward batch 1, one step', op: 'lstmBackward', inputs: () => lstmBackwardInputs(1, 1, 3, 5, 1040), attrs: { needsDx: true }, reduction: 20 },
  { name: 'lstmBackward [4, 19, 1] H 8 without dx', op: 'lstmBackward', inputs: () => lstmBackwardInputs(4, 19, 1, 8, 1050), attrs: { needsDx: false }, reduction: 4 * 19 * 32 },
  { name: 'lstmBackward T 70 (three stack levels)', op: 'lstmBackward', inputs: () => lstmBackwardInputs(2, 70, 2, 3, 1060), attrs: { needsDx: true }, reduction: 2 * 70 * 12 },
];

/** n int32 indices in [0, A) with repeats (every index drawn from a third of the range at most, so values recur). */
const indicesOf = (shape: number[], A: number, seed: number): Tensor => {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const span = Math.max(1, Math.ceil(A / 3));
  return nm.tensor(Array.from({ length: n }, (_, j) => (j % 2 === 0 ? Math.floor(r.next() * span) : Math.floor(r.next() * A))), { dtype: 'int32' }).reshape(shape);
};

export const indexingCases: ParityCase[] = [
  // NOTE: pad takes non-negative pads only (the front end rejects negative ones: that would be a slice).
  { name: 'pad [3, 5] with zeros, uneven sides', op: 'pad', inputs: () => [normal([3, 5], 1100)], attrs: { padding: [[1, 2], [0, 3]], value: 0 } },
  { name: 'pad a transposed view with -1.5', op: 'pad', inputs: () => [nm.permute(normal([5, 3], 1101), [1, 0])], attrs: { padding: [[2, 0], [1, 1]], value: -1.5 } },
  { name: "pad the time axis, batch 1 [1, 7, 2] ('same' conv)", op: 'pad', inputs: () => [normal([1, 7, 2], 1102)], attrs: { padding: [[0, 0], [2, 1], [0, 0]], value: 0 } },
  { name: 'pad rank 5 (merged to 4 axes)', op: 'pad', inputs: () => [normal([2, 3, 1, 4, 3], 1103)], attrs: { padding: [[1, 0], [0, 1], [0, 0], [1, 1], [0, 2]], value: 0.25 } },
  { name: 'sliceBackward with steps [3, 2, 4] -> [7, 5, 4]', op: 'sliceBackward', inputs: () => [normal([3, 2, 4], 1110)], attrs: { shape: [7, 5, 4], begin: [1, 1, 0], step: [2, 3, 1] } },
  { name: 'sliceBackward of a strided dy, batch 1', op: 'sliceBackward', inputs: () => [nm.permute(normal([4, 1, 3], 1111), [1, 0, 2])], attrs: { shape: [1, 9, 3], begin: [0, 2, 0], step: [1, 2, 1] } },
  { name: 'sliceBackward rank 5, inner axes whole (merged)', op: 'sliceBackward', inputs: () => [normal([2, 2, 4, 5, 3], 1112)], attrs: { shape: [2, 3, 4, 5, 3], begin: [0, 1, 0, 0, 0], step: [1, 1, 1, 1, 1] } },
  { name: 'gather axis 1 by [2, 4] indices with repeats', op: 'gather', inputs: () => [normal([5, 7, 3], 1120), indicesOf([2, 4], 7, 1121)], attrs: { axis: 1 } },
  { name: 'gather rows (embedding) [11, 6], batch 1', op: 'gather', inputs: () => [normal([11, 6], 1122), indicesOf([1, 5], 11, 1123)], attrs: { axis: 0 } },
  { name: 'gather the last axis of a permuted view', op: 'gather', inputs: () => [nm.permute(normal([6, 3, 4], 1124), [1, 2, 0]), indicesOf([9], 6, 1125)], attrs: { axis: 2 } },
  {
    name: 'scatterAdd axis 1 with repeated indices',
    op: 'scatterAdd',
    inputs: () => [normal([4, 6, 3], 1130), indicesOf([5], 6, 1131), normal([4, 5, 3], 1132)],
    attrs: { axis: 1 },
    reduction: 5,
  },
  {
    name: 'scatterAdd rows into zeros (embedding gradient), 2-d indices',
    op: 'scatterAdd',
    inputs: () => [nm.zeros([9, 4]), indicesOf([3, 7], 9, 1133), normal([3, 7, 4], 1134)],
    attrs: { axis: 0 },
    reduction: 21,
  },
  {
    name: 'scatterAdd of a strided src and a broadcast base, batch 1',
    op: 'scatterAdd',
    inputs: () => [normal([1, 1, 5], 1135).expand([1, 3, 5]), indicesOf([4], 3, 1136), nm.permute(normal([1, 5, 4], 1137), [0, 2, 1])],
    attrs: { axis: 1 },
    reduction: 4,
  },
];

/** layerNormBackward's inputs: a random dy and what the CPU forward saves (mean, rstd). */
const layerNormBackwardInputs = (shape: number[], seed: number, dyView = false): Tensor[] => {
  const D = shape[shape.length - 1];
  const x = normal(shape, seed, 2).add(1.5);
  const gamma = normal([D], seed + 1);
  const { saved: [mean, rstd] = [] } = cpuKernels.layerNorm([x, gamma, normal([D], seed + 2)], { eps: 1e-5 });
  const dy = dyView ? nm.permute(normal([...shape].reverse(), seed + 3), shape.map((_, a) => shape.length - 1 - a)) : normal(shape, seed + 3);
  return [dy, x, gamma, mean, rstd];
};

export const normalizationCases: ParityCase[] = [
  { name: 'layerNorm [4, 3, 13]', op: 'layerNorm', inputs: () => [normal([4, 3, 13], 1200), normal([13], 1201), normal([13], 1202)], attrs: { eps: 1e-5 }, reduction: 13 },
  // Rows far from zero mean (3 ± 0.5): a one-pass variance would cancel here.
  { name: 'layerNorm batch 1 [1, 64], off-centre rows, eps 1e-3', op: 'layerNorm', inputs: () => [normal([1, 64], 1203, 0.5).add(3), normal([64], 1204), normal([64], 1205)], attrs: { eps: 1e-3 }, reduction: 64 },
  {
    name: 'layerNorm of a transposed view, gamma a strided slice',
    op: 'layerNorm',
    inputs: () => [nm.permute(normal([7, 5], 1206), [1, 0]), nm.slice(normal([14], 1207), [0], [14], [2]), normal([7], 1208)],
    attrs: { eps: 1e-5 },
    reduction: 7,
  },
  { name: 'layerNormBackward [6, 9, 17]', op: 'layerNormBackward', inputs: () => layerNormBackwardInputs([6, 9, 17], 1210), attrs: none, reduction: 54 },
  { name: 'layerNormBackward batch 1 [1, 33]', op: 'layerNormBackward', inputs: () => layerNormBackwardInputs([1, 33], 1215), attrs: none, reduction: 33 },
  // 4100 rows of 6: dgamma / dbeta reduce a long batch into 6 outputs, in two stages (reduce.ts).
  { name: 'layerNormBackward over a long batch [4100, 6] (two stages)', op: 'layerNormBackward', inputs: () => layerNormBackwardInputs([4100, 6], 1225), attrs: none, reduction: 4100 },
  { name: 'layerNormBackward of a transposed dy [5, 7]', op: 'layerNormBackward', inputs: () => layerNormBackwardInputs([5, 7], 1220, true), attrs: none, reduction: 7 },
];

/** Top-k expert indices of seeded logits on a 0.5 grid (ties), as a router produces them. */
const routed = (N: number, E: number, k: number, seed: number): Tensor => cpuKernels.topk([coarse([N, E], seed)], { k }).outputs[1];
/** int32 [N, k] routing choices that never pick the experts in `skip` (an expert that gets no tokens). */
const routedAvoiding = (N: number, E: number, k: number, skip: number[], seed: number): Tensor => {
  const r = rng(seed);
  const allowed = Array.from({ length: E }, (_, e) => e).filter((e) => !skip.includes(e));
  const v: number[] = [];
  for (let n = 0; n < N; n++) {
    const pool = [...allowed];
    for (let j = 0; j < k; j++) v.push(pool.splice(Math.floor(r.next() * pool.length), 1)[0]);
  }
  return nm.tensor(v, { dtype: 'int32', shape: [N, k] });
};
/** The CPU's routing plan of `indices`: [tokenOfSlot, pairOfSlot, slotOfPair] and the block rows (exact: the counts; bucket: padded). */
const planOf = (indices: Tensor, E: number, capacity: Capacity = 'exact'): { maps: Tensor[]; capacities: number[] } => {
  const [tokenOfSlot, pairOfSlot, slotOfPair, counts] = cpuKernels.moeRoute([indices], { numExperts: E, capacity }).outputs;
  return { maps: [tokenOfSlot, pairOfSlot, slotOfPair], capacities: Array.from(counts.values, (c) => capacityOf(c, capacity)) };
};
/** One seeded [rows_e, D] block per expert (empty for an expert with no tokens; padded rows hold values too, which the kernels must ignore). */
const blocksOf = (rows: number[], D: number, seed: number): Tensor[] => rows.map((c, e) => normal([c, D], seed + e));

/** The inputs of moeCombine / moeCombineBackward (with dy) for a plan of `indices`. */
const combineInputs = (indices: Tensor, E: number, D: number, seed: number, backward: boolean, capacity: Capacity = 'exact'): Tensor[] => {
  const [N, k] = indices.shape;
  const { maps: [, pairOfSlot, slotOfPair], capacities } = planOf(indices, E, capacity);
  const weights = cpuKernels.softmax([normal([N, k], seed)], { axis: 1 }).outputs[0];
  return [...(backward ? [normal([N, D], seed + 1)] : []), weights, pairOfSlot, slotOfPair, ...blocksOf(capacities, D, seed + 2)];
};
/** moeDispatch's inputs (built fresh per run) and attrs for a plan of the routing `indices()`. */
const dispatchCase = (indices: () => Tensor, E: number, x: () => Tensor, capacity: Capacity): { inputs: () => Tensor[]; attrs: { capacities: number[] } } => ({
  inputs: () => {
    const { maps } = planOf(indices(), E, capacity);
    return [x(), maps[0], maps[2]];
  },
  attrs: { capacities: planOf(indices(), E, capacity).capacities },
});

export const routingCases: ParityCase[] = [
  { name: 'topk k=2 of E=8 with ties', op: 'topk', inputs: () => [coarse([13, 8], 1300)], attrs: { k: 2 } },
  { name: 'topk k=1, batch 1', op: 'topk', inputs: () => [normal([1, 5], 1301)], attrs: { k: 1 } },
  { name: 'topk k=E (a full sort) of a transposed 3-d view with ties', op: 'topk', inputs: () => [nm.permute(coarse([6, 2, 3], 1302), [1, 2, 0])], attrs: { k: 6 } },
  { name: 'topk k=4 of E=64', op: 'topk', inputs: () => [coarse([5, 64], 1303)], attrs: { k: 4 } },
  { name: 'topk of all-equal rows (every tie to the lower index)', op: 'topk', inputs: () => [nm.zeros([3, 7])], attrs: { k: 3 } },
  { name: 'topkSoftmax k=2 of E=8 with ties', op: 'topkSoftmax', inputs: () => [coarse([17, 8], 1310)], attrs: { k: 2 } },
  { name: 'topkSoftmax k=1 (Switch), batch 1', op: 'topkSoftmax', inputs: () => [normal([1, 8], 1311, 3)], attrs: { k: 1 } },
  { name: 'topkSoftmax k=E (the full softmax), odd E=5', op: 'topkSoftmax', inputs: () => [normal([4, 5], 1312, 3)], attrs: { k: 5 } },
  { name: 'topkSoftmax of a transposed view, large logits', op: 'topkSoftmax', inputs: () => [nm.permute(normal([6, 9], 1313, 20), [1, 0])], attrs: { k: 3 } },
  { name: 'topkBackward k=2 of E=8 (indices with ties)', op: 'topkBackward', inputs: () => [normal([13, 2], 1320), routed(13, 8, 2, 1321)], attrs: { size: 8 }, reduction: 2 },
  { name: 'topkBackward k=E, batch 1', op: 'topkBackward', inputs: () => [normal([1, 6], 1322), routed(1, 6, 6, 1323)], attrs: { size: 6 }, reduction: 6 },
  {
    name: 'topkBackward with repeated indices (sums) and a strided dy',
    op: 'topkBackward',
    inputs: () => [nm.permute(normal([3, 5], 1324), [1, 0]), nm.tensor([0, 0, 2, 1, 1, 1, 4, 3, 4, 2, 2, 2, 0, 3, 0], { dtype: 'int32', shape: [5, 3] })],
    attrs: { size: 5 },
    reduction: 3,
  },
  { name: 'moeRoute top-2 of E=8, N=13 (ties)', op: 'moeRoute', inputs: () => [routed(13, 8, 2, 1330)], attrs: { numExperts: 8, capacity: 'exact' } },
  { name: 'moeRoute with experts that get no tokens', op: 'moeRoute', inputs: () => [routedAvoiding(9, 6, 2, [0, 4], 1331)], attrs: { numExperts: 6, capacity: 'exact' } },
  { name: 'moeRoute k=1, batch 1', op: 'moeRoute', inputs: () => [routed(1, 4, 1, 1332)], attrs: { numExperts: 4, capacity: 'exact' } },
  { name: 'moeRoute k=E', op: 'moeRoute', inputs: () => [routed(5, 3, 3, 1333)], attrs: { numExperts: 3, capacity: 'exact' } },
  // N·k = 1201 pairs: several 256-pair blocks of the device plan, the last one partial.
  { name: 'moeRoute top-1 of E=8 over 1201 tokens (several plan blocks)', op: 'moeRoute', inputs: () => [routed(1201, 8, 1, 1334)], attrs: { numExperts: 8, capacity: 'exact' } },
  { name: 'moeRoute top-2 of E=8 over 700 tokens, one expert idle', op: 'moeRoute', inputs: () => [routedAvoiding(700, 8, 2, [5], 1335)], attrs: { numExperts: 8, capacity: 'exact' } },
  { name: 'moeDispatch top-2 of E=4, odd D=7', op: 'moeDispatch', ...dispatchCase(() => routed(11, 4, 2, 1340), 4, () => normal([11, 7], 1341), 'exact') },
  {
    name: 'moeDispatch of a transposed x, an expert with no tokens',
    op: 'moeDispatch',
    ...dispatchCase(() => routedAvoiding(6, 4, 2, [2], 1342), 4, () => nm.permute(normal([5, 6], 1343), [1, 0]), 'exact'),
  },
  { name: 'moeDispatch k=1, batch 1', op: 'moeDispatch', ...dispatchCase(() => routed(1, 3, 1, 1344), 3, () => normal([1, 4], 1345), 'exact') },
  {
    name: 'moeDispatchBackward top-2 of E=5, an expert with no tokens, odd D=3',
    op: 'moeDispatchBackward',
    inputs: () => {
      const plan = planOf(routedAvoiding(8, 5, 2, [1], 1350), 5);
      return [plan.maps[0], plan.maps[2], ...blocksOf(plan.capacities, 3, 1351)];
    },
    attrs: none,
    reduction: 2,
  },
  {
    name: 'moeDispatchBackward k=E, batch 1',
    op: 'moeDispatchBackward',
    inputs: () => {
      const plan = planOf(routed(1, 4, 4, 1352), 4);
      return [plan.maps[0], plan.maps[2], ...blocksOf(plan.capacities, 6, 1353)];
    },
    attrs: none,
    reduction: 4,
  },
  { name: 'moeCombine top-2 of E=4, odd D=5', op: 'moeCombine', inputs: () => combineInputs(routed(9, 4, 2, 1360), 4, 5, 1361, false), attrs: none, reduction: 2 },
  { name: 'moeCombine with experts that get no tokens', op: 'moeCombine', inputs: () => combineInputs(routedAvoiding(7, 6, 2, [0, 3], 1362), 6, 4, 1363, false), attrs: none, reduction: 2 },
  { name: 'moeCombine k=1, batch 1', op: 'moeCombine', inputs: () => combineInputs(routed(1, 3, 1, 1364), 3, 8, 1365, false), attrs: none },
  { name: 'moeCombine k=E', op: 'moeCombine', inputs: () => combineInputs(routed(4, 3, 3, 1366), 3, 2, 1367, false), attrs: none, reduction: 3 },
  {
    name: 'moeCombine of dispatch views (expert blocks at offsets in one array)',
    op: 'moeCombine',
    inputs: () => {
      const indices = routed(10, 4, 2, 1368);
      const { maps: [tokenOfSlot, pairOfSlot, slotOfPair], capacities } = planOf(indices, 4);
      const xs = cpuKernels.moeDispatch([normal([10, 3], 1369), tokenOfSlot, slotOfPair], { capacities }).outputs;
      return [cpuKernels.softmax([normal([10, 2], 1370)], { axis: 1 }).outputs[0], pairOfSlot, slotOfPair, ...xs];
    },
    attrs: none,
    reduction: 2,
  },
  { name: 'moeCombineBackward top-2 of E=4, odd D=5', op: 'moeCombineBackward', inputs: () => combineInputs(routed(9, 4, 2, 1380), 4, 5, 1381, true), attrs: none, reduction: 5 },
  {
    name: 'moeCombineBackward with experts that get no tokens',
    op: 'moeCombineBackward',
    inputs: () => combineInputs(routedAvoiding(7, 6, 2, [2, 5], 1382), 6, 9, 1383, true),
    attrs: none,
    reduction: 9,
  },
  { name: 'moeCombineBackward k=1, batch 1', op: 'moeCombineBackward', inputs: () => combineInputs(routed(1, 3, 1, 1384), 3, 4, 1385, true), attrs: none, reduction: 4 },
  { name: 'moeCombineBackward k=E, D=64', op: 'moeCombineBackward', inputs: () => combineInputs(routed(6, 4, 4, 1386), 4, 64, 1387, true), attrs: none, reduction: 64 },
  // Bucketed plans (the default of routingPlan): padded slots (-1) in every block and past the last one.
  { name: 'moeRoute bucketed top-2 of E=8, N=13 (ties): padded slots', op: 'moeRoute', inputs: () => [routed(13, 8, 2, 1390)], attrs: { numExperts: 8, capacity: 'bucket' } },
  { name: 'moeRoute bucketed, experts that get no tokens', op: 'moeRoute', inputs: () => [routedAvoiding(9, 6, 2, [0, 4], 1391)], attrs: { numExperts: 6, capacity: 'bucket' } },
  // Counts of ~150 (granule 32) over several plan blocks, one expert idle.
  { name: 'moeRoute bucketed top-2 of E=8 over 700 tokens, one expert idle', op: 'moeRoute', inputs: () => [routedAvoiding(700, 8, 2, [5], 1392)], attrs: { numExperts: 8, capacity: 'bucket' } },
  { name: 'moeRoute bucketed k=1, batch 1', op: 'moeRoute', inputs: () => [routed(1, 4, 1, 1393)], attrs: { numExperts: 4, capacity: 'bucket' } },
  { name: 'moeDispatch bucketed top-2 of E=4, odd D=7: zero rows', op: 'moeDispatch', ...dispatchCase(() => routed(11, 4, 2, 1394), 4, () => normal([11, 7], 1395), 'bucket') },
  {
    name: 'moeDispatch bucketed, 300 tokens (granule 16), a transposed x, an expert with no tokens',
    op: 'moeDispatch',
    ...dispatchCase(() => routedAvoiding(300, 5, 2, [3], 1396), 5, () => nm.permute(normal([5, 300], 1397), [1, 0]), 'bucket'),
  },
  {
    name: 'moeDispatchBackward bucketed top-2 of E=5, an expert with no tokens (padded rows ignored)',
    op: 'moeDispatchBackward',
    inputs: () => {
      const plan = planOf(routedAvoiding(40, 5, 2, [1], 1398), 5, 'bucket');
      return [plan.maps[0], plan.maps[2], ...blocksOf(plan.capacities, 3, 1399)];
    },
    attrs: none,
    reduction: 2,
  },
  { name: 'moeCombine bucketed top-2 of E=4, odd D=5 (padded rows ignored)', op: 'moeCombine', inputs: () => combineInputs(routed(9, 4, 2, 1400), 4, 5, 1401, false, 'bucket'), attrs: none, reduction: 2 },
  {
    name: 'moeCombine bucketed, 200 tokens, experts that get no tokens',
    op: 'moeCombine',
    inputs: () => combineInputs(routedAvoiding(200, 6, 2, [0, 3], 1402), 6, 4, 1403, false, 'bucket'),
    attrs: none,
    reduction: 2,
  },
  {
    name: 'moeCombineBackward bucketed top-2 of E=4, odd D=5 (dys 0 on padded rows)',
    op: 'moeCombineBackward',
    inputs: () => combineInputs(routed(9, 4, 2, 1404), 4, 5, 1405, true, 'bucket'),
    attrs: none,
    reduction: 5,
  },
  {
    name: 'moeCombineBackward bucketed, 130 tokens k=1, an expert with no tokens',
    op: 'moeCombineBackward',
    inputs: () => combineInputs(routedAvoiding(130, 4, 1, [2], 1406), 4, 9, 1407, true, 'bucket'),
    attrs: none,
    reduction: 9,
  },
];

export const parityCases: ParityCase[] = [...elementwiseCases, ...reduceMovementCases, ...linalgCases, ...lossCases, ...convCases, ...recurrentCases, ...indexingCases, ...normalizationCases, ...routingCases];

export { labels, normal, positive, awayFromZero, rng };
