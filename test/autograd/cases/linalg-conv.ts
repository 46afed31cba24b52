// Gradient-check cases for matmul, dense, conv1d, maxPool1d and dropout: transposes, broadcast batches, fan-out, batch 1, odd sizes.

import * as nm from '../../../src/index.ts';
import type { Tensor } from '../../../src/tensor/tensor.ts';
import { type GradCase, constant64, distinct64, normal64 } from '../../helpers/grad-case.ts';

/** The sign pattern of x·w + b: relu's kink must not be crossed between x + eps and x - eps. */
function preActivationSigns(x: Tensor, w: Tensor, b: Tensor): string {
  return nm.add(nm.matmul(x, w), b).toFlatArray().map((v) => (v > 0 ? '+' : '-')).join('');
}

export const linalgCases: GradCase[] = [
  { name: 'matmul 2-d [3,4]·[4,5]', ops: ['matmul'], inputs: () => [normal64([3, 4], 101), normal64([4, 5], 102)], fn: (a, b) => nm.matmul(a, b) },
  {
    name: 'matmul transA: [4,3]ᵀ·[4,5]',
    ops: ['matmul'],
    inputs: () => [normal64([4, 3], 103), normal64([4, 5], 104)],
    fn: (a, b) => nm.matmul(a, b, { transA: true }),
  },
  {
    name: 'matmul transB: [3,4]·[5,4]ᵀ',
    ops: ['matmul'],
    inputs: () => [normal64([3, 4], 105), normal64([5, 4], 106)],
    fn: (a, b) => nm.matmul(a, b, { transB: true }),
  },
  {
    name: 'matmul transA transB: [4,3]ᵀ·[5,4]ᵀ',
    ops: ['matmul'],
    inputs: () => [normal64([4, 3], 107), normal64([5, 4], 108)],
    fn: (a, b) => nm.matmul(a, b, { transA: true, transB: true }),
  },
  {
    name: 'matmul batched [2,3,4]·[2,4,5]',
    ops: ['matmul'],
    inputs: () => [normal64([2, 3, 4], 109), normal64([2, 4, 5], 110)],
    fn: (a, b) => nm.matmul(a, b),
  },
  {
    name: 'matmul broadcast batch [2,1,3,4]·[3,4,2] (transB on a batch)',
    ops: ['matmul', 'expand'],
    inputs: () => [normal64([2, 1, 3, 4], 111), normal64([3, 2, 4], 112)],
    fn: (a, b) => nm.matmul(a, b, { transB: true }),
  },
  {
    name: 'matmul batched a, 2-d b (batch folded into M)',
    ops: ['matmul', 'reshape'],
    inputs: () => [normal64([2, 3, 4], 113), normal64([4, 5], 114)],
    fn: (a, b) => nm.matmul(a, b),
  },
  {
    name: 'matmul 2-d a shared by a batched b',
    ops: ['matmul', 'expand'],
    inputs: () => [normal64([3, 4], 115), normal64([2, 4, 5], 116)],
    fn: (a, b) => nm.matmul(a, b),
  },
  {
    name: 'matmul batched transA with a 2-d b (not foldable)',
    ops: ['matmul', 'expand'],
    inputs: () => [normal64([2, 4, 3], 117), normal64([4, 5], 118)],
    fn: (a, b) => nm.matmul(a, b, { transA: true }),
  },
  { name: 'matmul batch 1: [1,4]·[4,1]', ops: ['matmul'], inputs: () => [normal64([1, 4], 119), normal64([4, 1], 120)], fn: (a, b) => nm.matmul(a, b) },
  { name: 'matmul fan-out x·x', ops: ['matmul'], inputs: () => [normal64([4, 4], 121)], fn: (x) => nm.matmul(x, x) },
  {
    name: 'matmul of a transposed view (read as transA, no copy)',
    ops: ['matmul', 'permute'],
    inputs: () => [normal64([4, 3], 122), normal64([4, 5], 123)],
    fn: (a, b) => nm.matmul(nm.transpose(a), b),
  },
  {
    name: 'matmul blocked path with tails [9,13]·[13,7]',
    ops: ['matmul'],
    inputs: () => [normal64([9, 13], 124), normal64([13, 7], 125)],
    fn: (a, b) => nm.matmul(a, b),
  },
  {
    name: 'matmul several cache blocks [70,260]ᵀ·[9,260]ᵀ (random directions)',
    ops: ['matmul'],
    inputs: () => [normal64([260, 70], 126, 0.2), normal64([9, 260], 127, 0.2)],
    fn: (a, b) => nm.matmul(a, b, { transA: true, transB: true }),
    options: { mode: 'directions', directions: 6 },
  },
  {
    name: 'dense, no activation, with bias',
    ops: ['dense'],
    inputs: () => [normal64([5, 4], 131), normal64([4, 3], 132), normal64([3], 133)],
    fn: (x, w, b) => nm.dense(x, w, b),
  },
  {
    name: 'dense relu (kinks not crossed)',
    ops: ['dense'],
    inputs: () => [normal64([6, 4], 134), normal64([4, 5], 135), normal64([5], 136)],
    fn: (x, w, b) => nm.dense(x, w, b, 'relu'),
    options: { discreteState: preActivationSigns },
  },
  {
    name: 'dense tanh, 3-d x (leading axes folded)',
    ops: ['dense', 'reshape'],
    inputs: () => [normal64([2, 3, 4], 137), normal64([4, 5], 138, 0.5), normal64([5], 139)],
    fn: (x, w, b) => nm.dense(x, w, b, 'tanh'),
  },
  {
    name: 'dense sigmoid, batch 1',
    ops: ['dense'],
    inputs: () => [normal64([1, 4], 140), normal64([4, 3], 141), normal64([3], 142)],
    fn: (x, w, b) => nm.dense(x, w, b, 'sigmoid'),
  },
  {
    name: 'dense without bias, fan-out tanh(x·W)·x',
    ops: ['dense', 'mul'],
    inputs: () => [normal64([3, 4], 143), normal64([4, 4], 144, 0.5)],
    fn: (x, w) => nm.mul(nm.dense(x, w, null, 'tanh'), x),
  },
  {
    name: 'dense relu on the blocked path [20,17]·[17,9]',
    ops: ['dense'],
    inputs: () => [normal64([20, 17], 145), normal64([17, 9], 146, 0.3), normal64([9], 147)],
    fn: (x, w, b) => nm.dense(x, w, b, 'relu'),
    options: { discreteState: preActivationSigns },
  },
];

export const convCases: GradCase[] = [
  {
    name: "conv1d 'valid', stride 1, [2,7,3] * [3,3,4] + b",
    ops: ['conv1d'],
    inputs: () => [normal64([2, 7, 3], 151), normal64([3, 3, 4], 152), normal64([4], 153)],
    fn: (x, w, b) => nm.conv1d(x, w, b),
  },
  {
    name: "conv1d 'same', stride 1, K = 3",
    ops: ['conv1d'],
    inputs: () => [normal64([2, 5, 2], 154), normal64([3, 2, 3], 155), normal64([3], 156)],
    fn: (x, w, b) => nm.conv1d(x, w, b, { padding: 'same' }),
  },
  {
    name: "conv1d 'same', stride 2, K = 4 (uneven padding)",
    ops: ['conv1d'],
    inputs: () => [normal64([2, 7, 2], 157), normal64([4, 2, 3], 158), normal64([3], 159)],
    fn: (x, w, b) => nm.conv1d(x, w, b, { stride: 2, padding: 'same' }),
  },
  {
    name: "conv1d 'valid', stride 2, no bias",
    ops: ['conv1d'],
    inputs: () => [normal64([3, 8, 2], 160), normal64([3, 2, 2], 161)],
    fn: (x, w) => nm.conv1d(x, w, null, { stride: 2 }),
  },
  {
    name: 'conv1d batch 1, one input channel (the DCL-MoE CNN layout)',
    ops: ['conv1d'],
    inputs: () => [normal64([1, 9, 1], 162), normal64([3, 1, 5], 163), normal64([5], 164)],
    fn: (x, w, b) => nm.conv1d(x, w, b),
  },
  {
    name: "conv1d 'same', even K = 2, fan-out of x",
    ops: ['conv1d', 'mul'],
    inputs: () => [normal64([2, 5, 2], 165), normal64([2, 2, 2], 166)],
    fn: (x, w) => nm.mul(nm.conv1d(x, w, null, { padding: 'same' }), x),
  },
  {
    name: 'conv1d blocked GEMM path [2,20,6] * [5,6,8] (random directions)',
    ops: ['conv1d'],
    inputs: () => [normal64([2, 20, 6], 167), normal64([5, 6, 8], 168, 0.3), normal64([8], 169)],
    fn: (x, w, b) => nm.conv1d(x, w, b, { padding: 'same' }),
    options: { mode: 'directions', directions: 6 },
  },
  {
    name: "conv1d with fused relu, 'same' stride 2 (kinks not crossed)",
    ops: ['conv1d'],
    inputs: () => [normal64([2, 7, 2], 170), normal64([3, 2, 4], 174), normal64([4], 175)],
    fn: (x, w, b) => nm.conv1d(x, w, b, { stride: 2, padding: 'same', activation: 'relu' }),
    options: {
      discreteState: (x, w, b) =>
        nm.conv1d(x, w, b, { stride: 2, padding: 'same' }).toFlatArray().map((v) => (v > 0 ? '+' : '-')).join(''),
    },
  },
  {
    name: 'conv1d with fused tanh, no bias',
    ops: ['conv1d'],
    inputs: () => [normal64([2, 6, 3], 176), normal64([2, 3, 2], 177, 0.5)],
    fn: (x, w) => nm.conv1d(x, w, null, { activation: 'tanh' }),
  },
  {
    name: 'maxPool1d poolSize 2 (stride 2, drops the tail)',
    ops: ['maxPool1d'],
    inputs: () => [distinct64([2, 7, 3], 171)],
    fn: (x) => nm.maxPool1d(x, { poolSize: 2 }),
  },
  {
    name: 'maxPool1d overlapping windows (poolSize 3, stride 1)',
    ops: ['maxPool1d'],
    inputs: () => [distinct64([1, 6, 2], 172)],
    fn: (x) => nm.maxPool1d(x, { poolSize: 3, stride: 1 }),
  },
  {
    name: 'maxPool1d gaps between windows (poolSize 2, stride 3)',
    ops: ['maxPool1d'],
    inputs: () => [distinct64([2, 8, 2], 173)],
    fn: (x) => nm.maxPool1d(x, { poolSize: 2, stride: 3 }),
  },
  {
    name: 'dropoutWithMask, fixed mask',
    ops: ['dropoutWithMask'],
    inputs: () => [normal64([3, 4], 181), constant64([1, 0, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1], [3, 4])],
    fn: (x, mask) => nm.dropoutWithMask(x, mask, 0.3),
  },
  {
    name: 'dropout with a fixed-seed rng per evaluation (same mask each time), fan-out',
    ops: ['dropoutWithMask', 'mul'],
    inputs: () => [normal64([4, 5], 182)],
    fn: (x) => nm.mul(nm.dropout(x, 0.4, { training: true, rng: new nm.Rng(7) }), x),
  },
];
