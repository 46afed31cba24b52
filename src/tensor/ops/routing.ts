// Mixture-of-Experts routing: top-k selection, renormalised softmax over the selected experts, dispatch and combine.
//
// A sparse MoE layer, end to end (each expert runs only on the tokens routed to it):
//
//   const logits = router.call(x);                          // x: [N, D] -> logits: [N, E]
//   const { weights, indices } = topkSoftmax(logits, k);    // [N, k] each; weights sum to 1 per token
//   const plan = routingPlan(indices, E);                   // which token goes where (int32 bookkeeping)
//   const xs = moeDispatch(x, plan);                        // E tensors [capacities_e, D]
//   const ys = xs.map((xe, e) => experts[e].call(xe));      // E tensors [capacities_e, D_out]
//   const y = moeCombine(ys, weights, plan);                // [N, D_out] = sum_j weights[n, j] * y_(expert j)[n]
//   const aux = loadBalancingLoss(softmax(logits), plan);   // optional: keeps experts evenly used
//
// Gradients reach x (through dispatch), every expert's parameters (through its output) and the router
// (through the weights). The routing choice itself (indices) is discrete and has no gradient.
// NOTE: no capacity limit: every token reaches all k of its experts (no token dropping as in Switch
// Transformer): "capacity" below only ever adds rows.
//
// Bucketed capacities (routingPlan's `capacity`, default 'bucket'; ./routing-capacity.ts). Expert e receives
// count_e tokens, a number that changes every step with the routing, and gpu.js compiles one kernel per
// shape, so exact blocks [count_e, D] compile new kernels every step on the GPU backend. Each block instead
// has capacities_e = bucketCapacity(count_e) rows: the count rounded up to a multiple of max(8, 2^floor(log2
// count_e) / 4), 4 sizes per doubling. Its first count_e rows are the tokens; the rest are padded slots
// (tokenOfSlot = pairOfSlot = -1) whose dispatched rows are 0.
// - Cost: the experts compute the padded rows too: fewer than max(8, count_e / 4) extra rows per expert,
//   i.e. at most 25% + 7 rows (a count of 129 gets 160 rows; about half of that bound on average).
// - Benefit: a bounded set of block shapes, so a run stops compiling once it has met them. A top-2 MoE
//   block of 8 dense experts over N = 640 tokens (D = 64) with a fresh batch, so fresh routing, every step;
//   forward + backward + a read of dx; 20 steps (bench/gpu-routing.ts steps, and the same loop run on the
//   code before buckets; a 2-core machine shared with other jobs at load ~3, so times are noisy):
//                                    compiles per step         kernel cache     ms per step, median
//                                    steps 0-3    steps 4-19   after 20 steps   of steps 10-19
//     webasm       before buckets    90, 57..     20-50        883              201 / 220
//                  bucket            48, 10..     0            79               72 / 78
//     headless-gl  before buckets    92, 57..     20-50        885              429 / 566
//                  bucket            50, 10..     0            81               121 / 127
//   A new capacity costs 10 compiles (its dispatch, the expert's dense forward and backward, the combine
//   passes), and 4-5 capacities covered 20 steps of counts 99-210. The padded rows cost +9% expert rows there,
//   +4% step time on webasm measured against exact steps that compiled nothing (77 vs 74 ms).
// - Exactness: moeCombine and every backward read slots through slotOfPair (real slots only) or skip a
//   slot whose pair is -1, so outputs and gradients are bit-for-bit those of 'exact' on the CPU (the sums run
//   over the same terms in the same order; test/kernels/routing-capacity.test.ts) and within the parity
//   tolerances on the GPU. (With the wasm kernels on, a dense goes to the wasm GEMM only from a size up, so
//   a block and its padded twin on either side of that line round differently: float32 rounding apart, not
//   bit for bit.) NOTE: this needs row-wise experts (each output row a function of its input row
//   alone: dense, activations, layerNorm). An expert that mixes rows (a batch statistic) would see the zero
//   rows: route it with `capacity: 'exact'`.

import { formatShape } from '../shape.ts';
import { type Tensor, emptyTensor } from '../tensor.ts';
import { runOp } from '../dispatch.ts';
import { checkIndices } from './movement.ts';
import { mul } from './elementwise.ts';
import { mean, sum } from './reduce.ts';
import { type Capacity, capacityOf } from './routing-capacity.ts';

export { type Capacity, bucketCapacity, slotCount } from './routing-capacity.ts';

type NoAttrs = Record<string, never>;

export interface RoutingOps {
  /**
   * The k largest entries of each row (last axis), largest first: outputs [values, indices int32].
   * NOTE: ties go to the lower index (as argmax), so routing is deterministic.
   */
  topk: { k: number };
  /** topk, then softmax over the k selected logits: outputs [weights, indices int32]. */
  topkSoftmax: { k: number };
  /** Backward of topk / topkSoftmax: dx[.., indices[j]] += dy[.., j] in zeros [.., size]. Inputs [dy, indices]. */
  topkBackward: { size: number };
  /**
   * Routing bookkeeping from indices [N, k]: a counting sort of the N*k (token, choice) pairs by expert, into
   * blocks of capacityOf(count_e, capacity) slots. Outputs [tokenOfSlot int32 [P], pairOfSlot int32 [P],
   * slotOfPair int32 [N, k], counts int32 [E]], P = slotCount(N*k, E, capacity); padded slots hold -1.
   */
  moeRoute: { numExperts: number; capacity: Capacity };
  /**
   * x [N, D] -> one [capacities[e], D] block per expert: the rows of x listed in tokenOfSlot, 0 for a padded
   * slot (-1). Inputs [x, tokenOfSlot, slotOfPair] (slotOfPair for the gradient).
   */
  moeDispatch: { capacities: number[] };
  /** Backward of moeDispatch: dx[n] = sum of the expert-input gradients of token n's slots (padded rows ignored). Inputs [tokenOfSlot, slotOfPair, ...dxs]. */
  moeDispatchBackward: NoAttrs;
  /** y[n] = sum over slots s of (n, j): weights[n, j] * ys_e[row of s] (padded rows ignored). Inputs [weights, pairOfSlot, slotOfPair, ...ys]. */
  moeCombine: NoAttrs;
  /** Backward of moeCombine: outputs [dweights, ...dys] (dys 0 on padded rows). Inputs [dy, weights, pairOfSlot, slotOfPair, ...ys]. */
  moeCombineBackward: NoAttrs;
}

function checkK(op: string, x: Tensor, k: number): void {
  if (x.rank === 0) throw new Error(`${op}: expected at least one axis, got a scalar`);
  const E = x.shape[x.rank - 1];
  if (!Number.isInteger(k) || k < 1 || k > E) throw new Error(`${op}: k must be an integer in [1, ${E}], got ${k} (x=${formatShape(x.shape)})`);
}

/**
 * The `k` largest values along the last axis, in decreasing order, and their int32 indices.
 * The values are differentiable (the gradient goes back to the selected positions); the indices are not.
 * NOTE: ties go to the lower index.
 *
 * @example
 * const { values, indices } = topk(tensor([[0.1, 0.7, 0.2]]), 2);
 * values.toArray();   // [[0.7, 0.2]]     indices.toArray(); // [[1, 2]]
 */
export function topk(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
  checkK('topk', x, k);
  const [values, indices] = runOp('topk', [x], { k });
  return { values, indices };
}

/**
 * Top-k routing weights: pick the k largest logits per row and softmax over just those, so each token's
 * k weights sum to 1 (= softmax over all E, then keep the top k and renormalise). The gradient flows only
 * into the selected logits. NOTE: ties go to the lower index.
 *
 * @example
 * const { weights, indices } = topkSoftmax(tensor([[2, 0, 2 + Math.log(3)]]), 2);
 * weights.toArray();  // [[0.75, 0.25]]   indices.toArray(); // [[2, 0]]
 */
export function topkSoftmax(logits: Tensor, k: number): { weights: Tensor; indices: Tensor } {
  if (logits.dtype === 'int32') throw new Error(`topkSoftmax: expected float logits, got int32${formatShape(logits.shape)}`);
  checkK('topkSoftmax', logits, k);
  const [weights, indices] = runOp('topkSoftmax', [logits], { k });
  return { weights, indices };
}

/** Backward of topk / topkSoftmax (used by their rules): scatter dy [.., k] into zeros [.., size]. */
export function topkBackward(dy: Tensor, indices: Tensor, size: number): Tensor {
  return runOp('topkBackward', [dy, indices], { size })[0];
}

/**
 * Where each token goes, computed once per batch and shared by dispatch, combine and the auxiliary loss.
 * Slots are the N*k (token, choice) pairs sorted by expert, then by token, in blocks: expert e owns slots
 * [offsets[e], offsets[e] + capacities[e]), its counts[e] tokens first, then padded slots (-1) up to its
 * capacity; the slots after the last block are padding too.
 */
export interface RoutingPlan {
  /** N: tokens routed. */
  readonly numTokens: number;
  /** k: experts per token. */
  readonly k: number;
  /** E: experts. */
  readonly numExperts: number;
  /** How the blocks are sized: 'bucket' (padded to a few sizes) or 'exact' (see routing-capacity.ts). */
  readonly capacity: Capacity;
  /** Tokens each expert receives (what the routing chose; the load-balancing loss counts these). */
  readonly counts: readonly number[];
  /** Rows of each expert's block (plain numbers: they fix the expert batch shapes): counts rounded up to a bucket, or the counts. */
  readonly capacities: readonly number[];
  /** First slot of each expert. */
  readonly offsets: readonly number[];
  /** int32 [P]: the token n of each slot, -1 for a padded slot (P = slotCount(N*k, E, capacity)). */
  readonly tokenOfSlot: Tensor;
  /** int32 [P]: the flat (token, choice) index n*k + j of each slot (where its weight lives), -1 for a padded slot. */
  readonly pairOfSlot: Tensor;
  /**
   * int32 [N, k]: the slot of each (token, choice) pair, the inverse of pairOfSlot on the real slots. The CPU
   * kernels walk slots and scatter into tokens; a GPU thread cannot scatter, so the GPU kernels gather each
   * token's slots through this instead (and so never see a padded slot).
   */
  readonly slotOfPair: Tensor;
}

export interface RoutingPlanOptions {
  /** Block sizes: 'bucket' (default: a bounded set of shapes for GPU kernels) or 'exact' (no padding). */
  capacity?: Capacity;
}

/**
 * Sort the (token, choice) pairs of int32 `indices` [N, k] by expert (a stable counting sort: within an
 * expert, tokens keep their batch order). Any [N, k] expert indices work, not only topk's. Each expert's
 * block is padded to a bucketed capacity unless `capacity: 'exact'` (see the header: fewer kernel shapes on
 * a GPU for at most 25% + 7 extra rows per expert, with the same outputs and gradients).
 *
 * @example
 * const plan = routingPlan(tensor([[1, 0], [1, 2]], { dtype: 'int32' }), 3, { capacity: 'exact' });
 * plan.counts;                     // [1, 2, 1]
 * plan.tokenOfSlot.toArray();      // [0, 0, 1, 1]  (expert 0: token 0; expert 1: tokens 0, 1; expert 2: token 1)
 * routingPlan(indices, 3).capacities;   // [8, 8, 8]: each block padded to 8 rows (tokenOfSlot -1 there)
 */
export function routingPlan(indices: Tensor, numExperts: number, options: RoutingPlanOptions = {}): RoutingPlan {
  const capacity = options.capacity ?? 'bucket';
  if (indices.rank !== 2) throw new Error(`routingPlan: indices must be [N, k], got ${formatShape(indices.shape)}`);
  if (!Number.isInteger(numExperts) || numExperts < 1) throw new Error(`routingPlan: numExperts must be a positive integer, got ${numExperts}`);
  if (capacity !== 'bucket' && capacity !== 'exact') throw new Error(`routingPlan: capacity must be 'bucket' or 'exact', got '${String(capacity)}'`);
  const [N, k] = indices.shape;
  const describe = `numExperts=${numExperts}, indices=${formatShape(indices.shape)}`;
  // Host indices are checked here, naming the first bad one. Device-resident ones (a GPU backend's top-k)
  // are not read back for that (checkIndices checks only their dtype): the plan counts only experts in
  // [0, E), so a bad index shows in the total.
  checkIndices('routingPlan', indices, numExperts, describe);
  const [tokenOfSlot, pairOfSlot, slotOfPair, countsTensor] = runOp('moeRoute', [indices], { numExperts, capacity });
  // The one host read of routing: the counts fix the experts' batch shapes.
  const counts = Array.from(countsTensor.values);
  countsTensor.dispose();
  const routed = counts.reduce((a, c) => a + c, 0);
  if (routed !== N * k) {
    [tokenOfSlot, pairOfSlot, slotOfPair].forEach((t) => t.dispose());
    throw new Error(`routingPlan: ${N * k - routed} of the ${N * k} expert indices are outside [0, ${numExperts}) (${describe})`);
  }
  // The same rule moeRoute sized the blocks with (routing-capacity.ts).
  const capacities = counts.map((c) => capacityOf(c, capacity));
  const offsets: number[] = [];
  capacities.reduce((start, c) => (offsets.push(start), start + c), 0);
  return { numTokens: N, k, numExperts, capacity, counts, capacities, offsets, tokenOfSlot, pairOfSlot, slotOfPair };
}

/**
 * Split the rows of x [N, D] into one batch per expert, following `plan`: xs[e] is [capacities[e], D], the
 * rows of the tokens routed to expert e (a token routed to two experts appears in both), then zero rows up
 * to the capacity. The gradient scatter-adds each expert's input gradient back to its tokens (padded rows
 * are constants: their gradient goes nowhere). An expert with no tokens gets [0, D].
 *
 * @example
 * const xs = moeDispatch(x, plan);                    // x: [N, D] -> xs[e]: [capacities[e], D]
 * const ys = xs.map((xe, e) => experts[e].call(xe));  // run each expert on its own tokens only (+ padding)
 */
export function moeDispatch(x: Tensor, plan: RoutingPlan): Tensor[] {
  if (x.rank !== 2 || x.shape[0] !== plan.numTokens) {
    throw new Error(`moeDispatch: x must be [${plan.numTokens}, D] for this plan, got ${formatShape(x.shape)}`);
  }
  return runOp('moeDispatch', [x, plan.tokenOfSlot, plan.slotOfPair], { capacities: [...plan.capacities] });
}

/** Backward of moeDispatch (used by its rule): dx [N, D] from the expert blocks dxs[e] [capacities[e], D]. */
export function moeDispatchBackward(tokenOfSlot: Tensor, slotOfPair: Tensor, dxs: readonly Tensor[]): Tensor {
  return runOp('moeDispatchBackward', [tokenOfSlot, slotOfPair, ...dxs], {})[0];
}

/**
 * Combine the experts' outputs: y[n] = sum_j weights[n, j] * (output of expert indices[n, j] for token n).
 * expertOutputs[e] is [capacities[e], D_out] in dispatch order; `null` is accepted for an expert with no
 * tokens. The rows of padded slots are ignored (they get a zero gradient). The gradient reaches both the
 * weights (dw[n, j] = <dy[n], expert output>) and the expert outputs.
 *
 * @example
 * const y = moeCombine(ys, weights, plan);   // ys[e]: [capacities[e], D_out], weights: [N, k] -> y: [N, D_out]
 */
export function moeCombine(expertOutputs: readonly (Tensor | null)[], weights: Tensor, plan: RoutingPlan): Tensor {
  const { numTokens: N, k, numExperts: E, counts, capacities } = plan;
  const describe = (): string =>
    `outputs=[${expertOutputs.map((y) => (y ? formatShape(y.shape) : 'null')).join(', ')}], counts=[${counts.join(',')}], capacities=[${capacities.join(',')}]`;
  if (weights.rank !== 2 || weights.shape[0] !== N || weights.shape[1] !== k) {
    throw new Error(`moeCombine: weights must be [${N}, ${k}] for this plan, got ${formatShape(weights.shape)}`);
  }
  if (expertOutputs.length !== E) throw new Error(`moeCombine: expected ${E} expert outputs, got ${expertOutputs.length} (${describe()})`);
  const some = expertOutputs.find((y): y is Tensor => y !== null);
  if (some === undefined) throw new Error(`moeCombine: every expert output is null (${describe()})`);
  const D = some.shape[1];
  const ys = expertOutputs.map((y, e) => {
    if (y === null) {
      if (counts[e] !== 0) throw new Error(`moeCombine: expert ${e} has ${counts[e]} tokens but its output is null (${describe()})`);
      return emptyTensor([0, D], weights.dtype);
    }
    if (y.rank !== 2 || y.shape[0] !== capacities[e] || y.shape[1] !== D) {
      throw new Error(`moeCombine: expert ${e} output must be [${capacities[e]}, ${D}] (${describe()})`);
    }
    if (y.dtype !== weights.dtype) throw new Error(`moeCombine: dtypes differ (weights=${weights.dtype}, expert ${e}=${y.dtype})`);
    return y;
  });
  return runOp('moeCombine', [weights, plan.pairOfSlot, plan.slotOfPair, ...ys], {})[0];
}

/** Backward of moeCombine (used by its rule): [dweights, ...dys]. */
export function moeCombineBackward(dy: Tensor, weights: Tensor, pairOfSlot: Tensor, slotOfPair: Tensor, ys: readonly Tensor[]): Tensor[] {
  return runOp('moeCombineBackward', [dy, weights, pairOfSlot, slotOfPair, ...ys], {});
}

/**
 * Switch-Transformer load-balancing loss E * sum_e f_e * P_e (Fedus et al. 2021, eq. 4): f_e is the
 * fraction of the N*k routing choices that went to expert e (from `plan`, no gradient) and P_e the mean
 * router probability of e over the batch (`probs` [N, E], the full softmax). It is 1 when routing is
 * uniform and grows as experts are favoured; add it to the loss with a small factor (e.g. 0.01).
 *
 * @example
 * const loss = add(crossEntropy(y, labels), mul(loadBalancingLoss(softmax(logits), plan), 0.01));
 */
export function loadBalancingLoss(probs: Tensor, plan: RoutingPlan): Tensor {
  const { numTokens: N, k, numExperts: E, counts } = plan;
  if (probs.rank !== 2 || probs.shape[0] !== N || probs.shape[1] !== E) {
    throw new Error(`loadBalancingLoss: probs must be [${N}, ${E}] for this plan, got ${formatShape(probs.shape)}`);
  }
  const f = emptyTensor([E], probs.dtype);
  counts.forEach((c, e) => (f.values[e] = (E * c) / (N * k))); // E * f_e, a constant
  return sum(mul(mean(probs, 0), f));
}

