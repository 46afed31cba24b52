// Parity cases for the gpu.js kernels: each op, forward and backward kernels, on seeded float32 inputs (incl. views, odd sizes, batch 1).

import * as nm from '../../../src/index.ts';
import type { OpAttrs, OpName } from '../../../src/tensor/op-table.ts';
import type { Tensor } from '../../../src/tensor/tensor.ts';
import { Rng } from '../../../src/tensor/random.ts';
import { cpuKernels } from '../../../src/kernels/cpu/index.ts';

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

export const reduceMovementCases: ParityCase[] = [
  { name: 'sum over the middle axis [3, 7, 5]', op: 'sum', inputs: () => [normal([3, 7, 5], 600)], attrs: none, reduction: 7 },
  { name: 'sum of rows [64, 2432, 1] (a bias gradient)', op: 'sum', inputs: () => [normal([1, 2432, 3], 601)], attrs: none, reduction: 2432 },
  { name: 'sum of a permuted view', op: 'sum', inputs: () => [nm.permute(normal([5, 4, 3], 602), [2, 1, 0])], attrs: none, reduction: 4 },
  { name: 'max with argmax [4, 9, 3] (distinct values)', op: 'max', inputs: () => [normal([4, 9, 3], 603)], attrs: none },
  { name: 'logsumexp [2, 6, 4]', op: 'logsumexp', inputs: () => [normal([2, 6, 4], 604)], attrs: none, reduction: 6 },
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
  { name: 'maxPool1dBackward pool 2', op: 'maxPool1dBackward', inputs: () => [normal([2, 19, 6], 915), poolArgmax(2, 19, 6, 2, 2, 916)], attrs: { inLength: 38 } },
  { name: 'maxPool1dBackward overlapping windows', op: 'maxPool1dBackward', inputs: () => [normal([1, 5, 3], 917), poolArgmax(1, 5, 3, 1, 3, 918)], attrs: { inLength: 7 } },
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

export const parityCases: ParityCase[] = [...elementwiseCases, ...reduceMovementCases, ...linalgCases, ...lossCases, ...convCases, ...recurrentCases];

export { labels, normal, positive, awayFromZero, rng };
