// Gradient-check cases for softmax, the losses and MoE routing (top-k routing cases assert the choice is stable at x ± eps).

import * as nm from '../../../src/index.ts';
import type { Tensor } from '../../../src/tensor/tensor.ts';
import { type GradCase, distinct64, normal64, uniform64 } from '../../helpers/grad-case.ts';

const int32 = (values: number[], shape?: number[]): Tensor => nm.tensor(values, { dtype: 'int32', shape });

/** The routing decision of `logits`: the top-k indices, as a string gradCheck compares at x + eps and x - eps. */
const topkState = (k: number) => (logits: Tensor): string => nm.topk(logits, k).indices.toFlatArray().join(',');

export const lossCases: GradCase[] = [
  { name: 'softmax last axis', ops: ['softmax'], inputs: () => [normal64([3, 5], 201, 2)], fn: (x) => nm.softmax(x) },
  { name: 'softmax middle axis of [2,3,4]', ops: ['softmax'], inputs: () => [normal64([2, 3, 4], 202)], fn: (x) => nm.softmax(x, 1) },
  { name: 'softmax batch 1, odd width 7', ops: ['softmax'], inputs: () => [normal64([1, 7], 203)], fn: (x) => nm.softmax(x, -1) },
  {
    name: 'softmax fan-out: softmax(x) * x',
    ops: ['softmax', 'mul'],
    inputs: () => [normal64([4, 3], 204)],
    fn: (x) => nm.mul(nm.softmax(x), x),
  },
  {
    name: 'softmax of a broadcast sum x + b',
    ops: ['softmax', 'add', 'expand'],
    inputs: () => [normal64([3, 4], 205), normal64([4], 206)],
    fn: (x, b) => nm.softmax(nm.add(x, b)),
  },
  { name: 'logSoftmax last axis (large logits)', ops: ['logSoftmax'], inputs: () => [normal64([3, 6], 207, 10)], fn: (x) => nm.logSoftmax(x) },
  { name: 'logSoftmax axis 0, batch 1 column', ops: ['logSoftmax'], inputs: () => [normal64([5, 1], 208)], fn: (x) => nm.logSoftmax(x, 0) },
  {
    name: 'crossEntropy mean',
    ops: ['crossEntropy'],
    inputs: () => [normal64([4, 5], 209, 2)],
    fn: (x) => nm.crossEntropy(x, int32([0, 4, 2, 2])),
  },
  {
    name: 'crossEntropy sum, batch 1, odd C',
    ops: ['crossEntropy'],
    inputs: () => [normal64([1, 7], 210)],
    fn: (x) => nm.crossEntropy(x, int32([6]), { reduction: 'sum' }),
  },
  {
    name: 'crossEntropy none with label smoothing 0.1',
    ops: ['crossEntropy'],
    inputs: () => [normal64([3, 4], 211)],
    fn: (x) => nm.crossEntropy(x, int32([1, 0, 3]), { reduction: 'none', labelSmoothing: 0.1 }),
  },
  {
    name: 'crossEntropy fan-out: logits also in an L2 term, bias broadcast',
    ops: ['crossEntropy', 'add', 'expand', 'pow'],
    inputs: () => [normal64([3, 5], 212), normal64([5], 213)],
    fn: (x, b) => {
      const logits = nm.add(x, b);
      return nm.add(nm.crossEntropy(logits, int32([2, 2, 0])), nm.sum(nm.square(logits)));
    },
  },
  {
    name: 'nllFromProbs mean (eps 1e-7)',
    ops: ['nllFromProbs'],
    inputs: () => [uniform64([4, 3], 214, 0.1, 1)],
    fn: (p) => nm.nllFromProbs(p, int32([0, 2, 1, 1])),
  },
  {
    name: 'nllFromProbs none after softmax (the DCL-MoE path), batch 1',
    ops: ['nllFromProbs', 'softmax'],
    inputs: () => [normal64([1, 5], 215)],
    fn: (x) => nm.nllFromProbs(nm.softmax(x), int32([3]), { reduction: 'none', eps: 0.01 }),
  },
  {
    name: 'nllFromProbs sum of a mixture of two softmaxes',
    ops: ['nllFromProbs', 'softmax', 'mul', 'add'],
    inputs: () => [normal64([3, 4], 216), normal64([3, 4], 217), uniform64([3, 1], 218, 0.2, 0.8)],
    fn: (a, b, g) => {
      const mixture = nm.add(nm.mul(nm.softmax(a), g), nm.mul(nm.softmax(b), nm.add(nm.neg(g), 1)));
      return nm.nllFromProbs(mixture, int32([0, 3, 1]), { reduction: 'sum' });
    },
  },
];

/** Expert e computes tanh(x * w_e) (w_e [D] broadcast over its rows): a cheap stand-in for an MLP. */
function runExperts(xs: Tensor[], ws: Tensor[]): Tensor[] {
  return xs.map((xe, e) => nm.tanh(nm.mul(xe, ws[e])));
}

/** A whole sparse MoE layer: topkSoftmax -> routingPlan -> moeDispatch -> experts -> moeCombine. */
function sparseMoe(k: number, capacity: nm.Capacity = 'bucket') {
  return (x: Tensor, logits: Tensor, ...ws: Tensor[]): Tensor => {
    const { weights, indices } = nm.topkSoftmax(logits, k);
    const plan = nm.routingPlan(indices, ws.length, { capacity });
    return nm.moeCombine(runExperts(nm.moeDispatch(x, plan), ws), weights, plan);
  };
}

/**
 * A sparse MoE layer whose experts are dense layers with a bias: tanh(x_e W_e + b_e), so an expert's padded
 * rows (bucketed capacity) output tanh(b_e) != 0, which the combine must leave out of y and of every gradient.
 */
function denseMoe(k: number, capacity: nm.Capacity) {
  return (x: Tensor, logits: Tensor, w0: Tensor, b0: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor): Tensor => {
    const { weights, indices } = nm.topkSoftmax(logits, k);
    const plan = nm.routingPlan(indices, 3, { capacity });
    const params = [[w0, b0], [w1, b1], [w2, b2]];
    const ys = nm.moeDispatch(x, plan).map((xe, e) => nm.dense(xe, params[e][0], params[e][1], 'tanh'));
    return nm.moeCombine(ys, weights, plan);
  };
}
/** x [5, 3], logits [5, 3], then (W_e [3, 2], b_e [2]) per expert: top-2 of 3 gives counts near 3, capacities 8. */
const denseMoeInputs = (seed: number) => (): Tensor[] => [
  normal64([5, 3], seed),
  distinct64([5, 3], seed + 1),
  ...[0, 1, 2].flatMap((e) => [normal64([3, 2], seed + 2 + 2 * e), normal64([2], seed + 3 + 2 * e)]),
];

export const routingCases: GradCase[] = [
  {
    name: 'topk values k=2 (distinct)',
    ops: ['topk'],
    inputs: () => [distinct64([3, 6], 301)],
    fn: (x) => nm.topk(x, 2).values,
    options: { discreteState: topkState(2) },
  },
  {
    name: 'topk k=1 on [2,2,5], fan-out with x',
    ops: ['topk', 'mul', 'sum'],
    inputs: () => [distinct64([2, 2, 5], 302)],
    fn: (x) => nm.mul(nm.topk(x, 1).values, nm.sum(x, -1, true)),
    options: { discreteState: topkState(1) },
  },
  {
    name: 'topkSoftmax k=2 of E=6',
    ops: ['topkSoftmax'],
    inputs: () => [distinct64([4, 6], 303)],
    fn: (x) => nm.topkSoftmax(x, 2).weights,
    options: { discreteState: topkState(2) },
  },
  {
    name: 'topkSoftmax k=3 of odd E=5, batch 1, broadcast bias',
    ops: ['topkSoftmax', 'add', 'expand'],
    inputs: () => [distinct64([1, 5], 304), distinct64([5], 305, 0.03)],
    fn: (x, b) => nm.topkSoftmax(nm.add(x, b), 3).weights,
    options: { discreteState: (x, b) => topkState(3)(nm.add(x, b)) },
  },
  {
    name: 'topkSoftmax k=E is the full softmax',
    ops: ['topkSoftmax'],
    inputs: () => [distinct64([2, 4], 306)],
    fn: (x) => nm.topkSoftmax(x, 4).weights,
    options: { discreteState: topkState(4) },
  },
  {
    name: 'sparse MoE top-2 of 4 experts: x, router logits and expert weights',
    ops: ['topkSoftmax', 'moeDispatch', 'moeCombine', 'tanh', 'mul'],
    inputs: () => [normal64([6, 3], 307), distinct64([6, 4], 308), normal64([3], 309), normal64([3], 310), normal64([3], 311), normal64([3], 312)],
    fn: sparseMoe(2),
    options: { discreteState: (_x, logits) => topkState(2)(logits) },
  },
  {
    name: 'sparse MoE top-2 of 4 experts, exact capacity (no padded slots)',
    ops: ['topkSoftmax', 'moeDispatch', 'moeCombine', 'tanh', 'mul'],
    inputs: () => [normal64([6, 3], 323), distinct64([6, 4], 324), normal64([3], 325), normal64([3], 326), normal64([3], 327), normal64([3], 328)],
    fn: sparseMoe(2, 'exact'),
    options: { discreteState: (_x, logits) => topkState(2)(logits) },
  },
  {
    name: 'sparse MoE of dense experts with a bias, bucketed capacity: padded rows output tanh(b), ignored by the combine',
    ops: ['topkSoftmax', 'moeDispatch', 'moeCombine', 'dense'],
    inputs: denseMoeInputs(330),
    fn: denseMoe(2, 'bucket'),
    options: { discreteState: (_x, logits) => topkState(2)(logits) },
  },
  {
    name: 'sparse MoE of dense experts with a bias, exact capacity',
    ops: ['topkSoftmax', 'moeDispatch', 'moeCombine', 'dense'],
    inputs: denseMoeInputs(330),
    fn: denseMoe(2, 'exact'),
    options: { discreteState: (_x, logits) => topkState(2)(logits) },
  },
  {
    name: 'sparse MoE top-1 (Switch), batch 1, odd width',
    ops: ['topkSoftmax', 'moeDispatch', 'moeCombine'],
    inputs: () => [normal64([1, 5], 313), distinct64([1, 3], 314), normal64([5], 315), normal64([5], 316), normal64([5], 317)],
    fn: sparseMoe(1),
    options: { discreteState: (_x, logits) => topkState(1)(logits) },
  },
  {
    name: 'moeCombine with fixed routing and an expert that gets no tokens (null output)',
    ops: ['moeCombine'],
    inputs: () => [uniform64([3, 2], 318, 0.1, 1), normal64([2, 4], 319), normal64([4, 4], 320)],
    fn: (w, y0, y2) => {
      const plan = nm.routingPlan(int32([0, 2, 2, 0, 2, 2], [3, 2]), 3, { capacity: 'exact' });
      return nm.moeCombine([y0, null, y2], w, plan);
    },
  },
  {
    name: 'moeCombine bucketed: expert blocks with values in their padded rows (gradient 0 there), an expert with no tokens',
    ops: ['moeCombine'],
    inputs: () => [uniform64([3, 2], 331, 0.1, 1), normal64([8, 4], 332), normal64([8, 4], 333)],
    fn: (w, y0, y2) => {
      const plan = nm.routingPlan(int32([0, 2, 2, 0, 2, 2], [3, 2]), 3); // counts [2, 0, 4] -> capacities [8, 0, 8]
      return nm.moeCombine([y0, null, y2], w, plan);
    },
  },
  {
    name: 'moeDispatch fan-out, with one expert block unused (null gradient); bucketed: the padded rows get a gradient (3) that must go nowhere',
    ops: ['moeDispatch', 'mul', 'add'],
    inputs: () => [normal64([4, 3], 321)],
    fn: (x) => {
      const plan = nm.routingPlan(int32([0, 1, 1, 2, 2, 0, 1, 0], [4, 2]), 3);
      const [x0, , x2] = nm.moeDispatch(x, plan);
      return nm.add(nm.sum(nm.mul(x0, x0)), nm.sum(nm.mul(x2, 3)));
    },
  },
  {
    name: 'moeDispatch fan-out, exact capacity',
    ops: ['moeDispatch', 'mul', 'add'],
    inputs: () => [normal64([4, 3], 329)],
    fn: (x) => {
      const plan = nm.routingPlan(int32([0, 1, 1, 2, 2, 0, 1, 0], [4, 2]), 3, { capacity: 'exact' });
      const [x0, , x2] = nm.moeDispatch(x, plan);
      return nm.add(nm.sum(nm.mul(x0, x0)), nm.sum(nm.mul(x2, 3)));
    },
  },
  {
    name: 'loadBalancingLoss on the full router softmax',
    ops: ['softmax', 'sum', 'mul'],
    inputs: () => [distinct64([5, 4], 322)],
    fn: (logits) => nm.loadBalancingLoss(nm.softmax(logits), nm.routingPlan(nm.topk(logits, 2).indices, 4)),
    options: { discreteState: topkState(2) },
  },
];
