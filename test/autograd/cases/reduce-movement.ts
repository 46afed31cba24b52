// Gradient-check cases for reductions and view / movement ops.

import * as nm from '../../../src/index.ts';
import { type GradCase, distinct64, normal64 } from '../../helpers/grad-case.ts';

export const reduceCases: GradCase[] = [
  { name: 'sum all', ops: ['sum'], inputs: () => [normal64([2, 3, 4], 31)], fn: (x) => nm.sum(x) },
  { name: 'sum middle axis keepDims', ops: ['sum'], inputs: () => [normal64([2, 3, 4], 32)], fn: (x) => nm.sum(x, 1, true) },
  { name: 'sum non-adjacent axes [0, 2]', ops: ['sum', 'permute'], inputs: () => [normal64([2, 3, 4], 33)], fn: (x) => nm.sum(x, [0, 2]) },
  { name: 'mean last axis', ops: ['sum', 'mul'], inputs: () => [normal64([3, 5], 34)], fn: (x) => nm.mean(x, -1) },
  { name: 'max over axis 1 (distinct)', ops: ['max'], inputs: () => [distinct64([2, 5, 3], 35)], fn: (x) => nm.max(x, 1) },
  { name: 'max all (distinct)', ops: ['max'], inputs: () => [distinct64([7], 36)], fn: (x) => nm.max(x) },
  { name: 'logsumexp last axis', ops: ['logsumexp'], inputs: () => [normal64([3, 6], 37, 3)], fn: (x) => nm.logsumexp(x, -1) },
  { name: 'logsumexp axis 0 keepDims', ops: ['logsumexp'], inputs: () => [normal64([4, 2], 38)], fn: (x) => nm.logsumexp(x, 0, true) },
];

export const movementCases: GradCase[] = [
  { name: 'reshape', ops: ['reshape'], inputs: () => [normal64([2, 6], 41)], fn: (x) => nm.mul(nm.reshape(x, [3, 4]), nm.reshape(x, [3, 4])) },
  {
    name: 'permute then copy (strided view made contiguous)',
    ops: ['permute', 'copy'],
    inputs: () => [normal64([2, 3, 4], 42)],
    fn: (x) => nm.permute(x, [2, 0, 1]).contiguous(),
  },
  { name: 'transpose feeding an elementwise op', ops: ['permute', 'mul'], inputs: () => [normal64([3, 4], 43), normal64([4, 3], 44)], fn: (a, b) => nm.mul(nm.transpose(a), b) },
  { name: 'expand with new leading axes', ops: ['expand'], inputs: () => [normal64([3, 1], 45)], fn: (x) => nm.mul(nm.expand(x, [2, 3, 4]), 1.5) },
  { name: 'reshape of a strided view copies', ops: ['reshape', 'permute'], inputs: () => [normal64([2, 3], 46)], fn: (x) => nm.reshape(nm.transpose(x), [6]) },
  { name: 'sumToShape', ops: ['sumToShape'], inputs: () => [normal64([2, 3, 4], 47)], fn: (x) => nm.sumToShape(x, [3, 1]) },
];
