// Gradient-check cases for the indexing ops: slice, concat, pad, gather, scatterAdd, embedding.

import * as nm from '../../../src/index.ts';
import { type GradCase, normal64 } from '../../helpers/grad-case.ts';

const int32 = (values: number[], shape?: number[]): nm.Tensor => nm.tensor(values, { dtype: 'int32', shape });

export const indexingCases: GradCase[] = [
  {
    name: 'slice box [1:3, 1:4] feeding mul',
    ops: ['slice', 'mul'],
    inputs: () => [normal64([3, 5], 101)],
    fn: (x) => nm.mul(nm.slice(x, [1, 1], [3, 4]), 2),
  },
  {
    name: 'slice with steps and negative begin (odd sizes)',
    ops: ['slice'],
    inputs: () => [normal64([5, 7], 102)],
    fn: (x) => nm.slice(x, [-4, 0], [5, 7], [2, 3]).contiguous(),
  },
  {
    name: 'slice fan-out: two overlapping slices of one input',
    ops: ['slice', 'add'],
    inputs: () => [normal64([2, 6], 103)],
    fn: (x) => nm.add(nm.slice(x, [0, 0], [2, 4]), nm.slice(x, [0, 2], [2, 6])),
  },
  {
    name: 'slice of a transposed view (strided input)',
    ops: ['slice', 'permute'],
    inputs: () => [normal64([3, 4], 104)],
    fn: (x) => nm.mul(nm.slice(nm.transpose(x), [1, 0], [3, 3]), 1),
  },
  {
    name: 'concat along the middle axis (batch 1)',
    ops: ['concat'],
    inputs: () => [normal64([1, 2, 3], 105), normal64([1, 1, 3], 106), normal64([1, 4, 3], 107)],
    fn: (a, b, c) => nm.concat([a, b, c], 1),
  },
  {
    name: 'concat fan-out [x, x] with broadcasting after',
    ops: ['concat', 'mul', 'expand'],
    inputs: () => [normal64([3, 2], 108), normal64([4], 109)],
    fn: (x, w) => nm.mul(nm.concat([x, x], -1), w),
  },
  {
    name: 'pad on two axes',
    ops: ['pad'],
    inputs: () => [normal64([2, 3, 2], 110)],
    fn: (x) => nm.pad(x, [[0, 0], [2, 1], [1, 0]], 0.5),
  },
  {
    name: 'gather rows with repeats (scatter-add in backward)',
    ops: ['gather'],
    inputs: () => [normal64([4, 3], 111)],
    fn: (x) => nm.gather(x, int32([3, 0, 3, 3, 1]), 0),
  },
  {
    name: 'gather along the last axis with 2-d indices',
    ops: ['gather'],
    inputs: () => [normal64([2, 5], 112)],
    fn: (x) => nm.gather(x, int32([4, 0, 2, 4], [2, 2]), 1),
  },
  {
    name: 'scatterAdd with duplicates into base and src',
    ops: ['scatterAdd'],
    inputs: () => [normal64([3, 4], 113), normal64([3, 3], 114)],
    fn: (base, src) => nm.scatterAdd(base, int32([1, 3, 1]), src, 1),
  },
  {
    name: 'embedding lookup [2,3] in table [5,4]',
    ops: ['gather'],
    inputs: () => [normal64([5, 4], 115)],
    fn: (table) => nm.embedding(int32([0, 4, 4, 2, 0, 1], [2, 3]), table),
  },
];
