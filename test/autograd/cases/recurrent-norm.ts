// Gradient-check cases for the fused LSTM (every input, every output, long sequences), layerNorm and attention.

import * as nm from '../../../src/index.ts';
import type { Tensor } from '../../../src/tensor/tensor.ts';
import { type GradCase, constant64, normal64 } from '../../helpers/grad-case.ts';

/** LSTM inputs x: [B, T, F], wIh: [F, 4H], wHh: [H, 4H], b: [4H]; weights at scale 0.5 keep the gates off saturation. */
function lstmInputs(B: number, T: number, F: number, H: number, seed: number): Tensor[] {
  return [normal64([B, T, F], seed), normal64([F, 4 * H], seed + 1, 0.5), normal64([H, 4 * H], seed + 2, 0.5), normal64([4 * H], seed + 3, 0.5)];
}

export const recurrentCases: GradCase[] = [
  {
    name: 'lstm B=2 T=4 F=3 H=3, initial state, all outputs (y, hT, cT)',
    ops: ['lstm'],
    inputs: () => [...lstmInputs(2, 4, 3, 3, 101), normal64([2, 3], 105), normal64([2, 3], 106)],
    fn: (x, wIh, wHh, b, h0, c0) => {
      const { y, hT, cT } = nm.lstm(x, wIh, wHh, b, { h0, c0 });
      return [y, hT, cT];
    },
  },
  {
    name: 'lstm batch 1, odd H=5, no initial state, y only',
    ops: ['lstm'],
    inputs: () => lstmInputs(1, 3, 2, 5, 111),
    fn: (x, wIh, wHh, b) => nm.lstm(x, wIh, wHh, b).y,
  },
  {
    name: 'lstm T=1, only the final cell state used',
    ops: ['lstm'],
    inputs: () => [...lstmInputs(3, 1, 2, 2, 121), normal64([3, 2], 125)],
    fn: (x, wIh, wHh, b, c0) => nm.lstm(x, wIh, wHh, b, { c0 }).cT,
  },
  {
    name: 'lstm fan-out: two chunks share weights, state carried (h0, c0 are non-leaves)',
    ops: ['lstm', 'add'],
    inputs: () => [...lstmInputs(2, 3, 2, 3, 131), normal64([2, 2, 2], 135)],
    fn: (x1, wIh, wHh, b, x2) => {
      const first = nm.lstm(x1, wIh, wHh, b);
      const second = nm.lstm(x2, wIh, wHh, b, { h0: first.hT, c0: first.cT });
      return [nm.add(second.y, 1), first.y];
    },
  },
  {
    name: 'lstm on data (x needs no gradient: the dx GEMM is skipped)',
    ops: ['lstm'],
    inputs: () => {
      const [x, ...weights] = lstmInputs(2, 4, 3, 2, 151);
      return [x.detach(), ...weights];
    },
    fn: (x, wIh, wHh, b) => nm.lstm(x, wIh, wHh, b).hT,
  },
  {
    name: 'lstm long sequence T=30 (random directions)',
    ops: ['lstm'],
    inputs: () => [...lstmInputs(2, 30, 2, 4, 141), normal64([2, 4], 145), normal64([2, 4], 146)],
    fn: (x, wIh, wHh, b, h0, c0) => {
      const { y, cT } = nm.lstm(x, wIh, wHh, b, { h0, c0 });
      return [y, cT];
    },
    options: { mode: 'directions', directions: 12 },
  },
];

export const normalizationCases: GradCase[] = [
  {
    name: 'layerNorm [3, 5] with gamma and beta',
    ops: ['layerNorm'],
    inputs: () => [normal64([3, 5], 201, 2), normal64([5], 202), normal64([5], 203)],
    fn: (x, gamma, beta) => nm.layerNorm(x, gamma, beta),
  },
  {
    name: 'layerNorm batch 1, odd width 7, large eps',
    ops: ['layerNorm'],
    inputs: () => [normal64([1, 7], 211), normal64([7], 212), normal64([7], 213)],
    fn: (x, gamma, beta) => nm.layerNorm(x, gamma, beta, { eps: 0.1 }),
  },
  {
    name: 'layerNorm [2, 3, 4] fan-out: layerNorm(x) * x, gamma used twice',
    ops: ['layerNorm', 'mul'],
    inputs: () => [normal64([2, 3, 4], 221), normal64([4], 222), normal64([4], 223)],
    fn: (x, gamma, beta) => nm.mul(nm.mul(nm.layerNorm(x, gamma, beta), x), gamma),
  },
  {
    name: 'layerNorm of a transposed (strided) view',
    ops: ['layerNorm', 'permute'],
    inputs: () => [normal64([4, 3], 231), normal64([4], 232), normal64([4], 233)],
    fn: (x, gamma, beta) => nm.layerNorm(nm.transpose(x), gamma, beta),
  },
];

export const attentionCases: GradCase[] = [
  {
    name: 'attention [2, 3, 4] x [2, 5, 4] -> [2, 3, 3], no mask',
    ops: ['matmul', 'softmax', 'mul'],
    inputs: () => [normal64([2, 3, 4], 301), normal64([2, 5, 4], 302), normal64([2, 5, 3], 303)],
    fn: (q, k, v) => nm.scaledDotProductAttention(q, k, v),
  },
  {
    name: 'attention with a broadcast padding mask [2, 1, 5], scale 0.7',
    ops: ['matmul', 'softmax', 'where'],
    inputs: () => [normal64([2, 3, 4], 311), normal64([2, 5, 4], 312), normal64([2, 5, 3], 313), constant64([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], [2, 1, 5])],
    fn: (q, k, v, mask) => nm.scaledDotProductAttention(q, k, v, { mask, scale: 0.7 }),
  },
  {
    name: 'self-attention fan-out (q = k = v = x), batch 1, causal mask, odd sizes',
    ops: ['matmul', 'softmax', 'where'],
    inputs: () => [normal64([1, 5, 3], 321), constant64([1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1], [5, 5])],
    fn: (x, mask) => nm.scaledDotProductAttention(x, x, x, { mask }),
  },
];
