// Parity cases for the gpu.js kernels: each op, forward and backward kernels, on seeded float32 inputs (incl. views, odd sizes, batch 1).

import * as nm from '../../../src/index.ts';
import type { OpAttrs, OpName } from '../../../src/tensor/op-table.ts';
import type { Tensor } from '../../../src/tensor/tensor.ts';
import { Rng } from '../../../src/tensor/random.ts';

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

export const elementwiseCases: ParityCase[] = [
  ...binaryCases,
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

export const parityCases: ParityCase[] = [...elementwiseCases];

export { labels, normal, positive, awayFromZero, rng };
