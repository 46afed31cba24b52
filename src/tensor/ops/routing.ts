// Mixture-of-Experts routing: top-k selection, renormalised softmax over the selected experts, dispatch and combine.
//
// A sparse MoE layer, end to end (each expert runs only on the tokens routed to it):
//
//   const logits = router.call(x);                          // x: [N, D] -> logits: [N, E]
//   const { weights, indices } = topkSoftmax(logits, k);    // [N, k] each; weights sum to 1 per token
//   const plan = routingPlan(indices, E);                   // which token goes where (int32 bookkeeping)
//   const xs = moeDispatch(x, plan);                        // E tensors [count_e, D]
//   const ys = xs.map((xe, e) => experts[e].call(xe));      // E tensors [count_e, D_out]
//   const y = moeCombine(ys, weights, plan);                // [N, D_out] = sum_j weights[n, j] * y_(expert j)[n]
//   const aux = loadBalancingLoss(softmax(logits), plan);   // optional: keeps experts evenly used
//
// Gradients reach x (through dispatch), every expert's parameters (through its output) and the router
// (through the weights). The routing choice itself (indices) is discrete and has no gradient.
// NOTE: no capacity limit: every token reaches all k of its experts (no token dropping as in Switch
// Transformer), which the CPU can afford because expert batches need no fixed shape.

import { formatShape } from '../shape.ts';
import { type Tensor, emptyTensor } from '../tensor.ts';
import { runOp } from '../dispatch.ts';
import { checkIndices } from './movement.ts';
import { mul } from './elementwise.ts';
import { mean, sum } from './reduce.ts';

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
   * Routing bookkeeping from indices [N, k]: a counting sort of the N*k (token, choice) pairs by expert.
   * Outputs [tokenOfSlot int32 [N*k], pairOfSlot int32 [N*k], slotOfPair int32 [N, k], counts int32 [E]].
   */
  moeRoute: { numExperts: number };
  /**
   * x [N, D] -> one [count_e, D] block per expert: the rows of x listed in tokenOfSlot.
   * Inputs [x, tokenOfSlot, slotOfPair] (slotOfPair for the gradient).
   */
  moeDispatch: { counts: number[] };
  /** Backward of moeDispatch: dx[n] = sum of the expert-input gradients of token n's slots. Inputs [tokenOfSlot, slotOfPair, ...dxs]. */
  moeDispatchBackward: NoAttrs;
  /** y[n] = sum over slots s of (n, j): weights[n, j] * ys_e[row of s]. Inputs [weights, pairOfSlot, slotOfPair, ...ys]. */
  moeCombine: NoAttrs;
  /** Backward of moeCombine: outputs [dweights, ...dys]. Inputs [dy, weights, pairOfSlot, slotOfPair, ...ys]. */
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
 * Slots are the N*k (token, choice) pairs sorted by expert, then by token: expert e owns slots
 * [offsets[e], offsets[e] + counts[e]).
 */
export interface RoutingPlan {
  /** N: tokens routed. */
  readonly numTokens: number;
  /** k: experts per token. */
  readonly k: number;
  /** E: experts. */
  readonly numExperts: number;
  /** Tokens each expert receives (plain numbers: they fix the expert batch shapes). */
  readonly counts: readonly number[];
  /** First slot of each expert. */
  readonly offsets: readonly number[];
  /** int32 [N*k]: the token n of each slot. */
  readonly tokenOfSlot: Tensor;
  /** int32 [N*k]: the flat (token, choice) index n*k + j of each slot (where its weight lives). */
  readonly pairOfSlot: Tensor;
  /**
   * int32 [N, k]: the slot of each (token, choice) pair, the inverse of pairOfSlot. The CPU kernels walk
   * slots and scatter into tokens; a GPU thread cannot scatter, so the GPU kernels gather each token's
   * slots through this instead.
   */
  readonly slotOfPair: Tensor;
}

/**
 * Sort the (token, choice) pairs of int32 `indices` [N, k] by expert (a stable counting sort: within an
 * expert, tokens keep their batch order). Any [N, k] expert indices work, not only topk's.
 *
 * @example
 * const plan = routingPlan(tensor([[1, 0], [1, 2]], { dtype: 'int32' }), 3);
 * plan.counts;                     // [1, 2, 1]
 * plan.tokenOfSlot.toArray();      // [0, 0, 1, 1]  (expert 0: token 0; expert 1: tokens 0, 1; expert 2: token 1)
 */
export function routingPlan(indices: Tensor, numExperts: number): RoutingPlan {
  if (indices.rank !== 2) throw new Error(`routingPlan: indices must be [N, k], got ${formatShape(indices.shape)}`);
  if (!Number.isInteger(numExperts) || numExperts < 1) throw new Error(`routingPlan: numExperts must be a positive integer, got ${numExperts}`);
  const [N, k] = indices.shape;
  const describe = `numExperts=${numExperts}, indices=${formatShape(indices.shape)}`;
  // Host indices are checked here, naming the first bad one. Device-resident ones (a GPU backend's top-k)
  // are not read back for that: the plan counts only experts in [0, E), so a bad index shows in the total.
  if (indices.storage.device === null) checkIndices('routingPlan', indices, numExperts, describe);
  else if (indices.dtype !== 'int32') throw new Error(`routingPlan: indices must be int32, got ${indices.dtype} (${describe})`);
  const [tokenOfSlot, pairOfSlot, slotOfPair, countsTensor] = runOp('moeRoute', [indices], { numExperts });
  // The one host read of routing: the counts fix the experts' batch shapes.
  const counts = Array.from(countsTensor.values);
  countsTensor.dispose();
  const routed = counts.reduce((a, c) => a + c, 0);
  if (routed !== N * k) {
    [tokenOfSlot, pairOfSlot, slotOfPair].forEach((t) => t.dispose());
    throw new Error(`routingPlan: ${N * k - routed} of the ${N * k} expert indices are outside [0, ${numExperts}) (${describe})`);
  }
  const offsets: number[] = [];
  counts.reduce((start, c) => (offsets.push(start), start + c), 0);
  return { numTokens: N, k, numExperts, counts, offsets, tokenOfSlot, pairOfSlot, slotOfPair };
}

/**
 * Split the rows of x [N, D] into one batch per expert, following `plan`: xs[e] is [counts[e], D], the
 * rows of the tokens routed to expert e (a token routed to two experts appears in both). The gradient
 * scatter-adds each expert's input gradient back to its tokens. An expert with no tokens gets [0, D].
 *
 * @example
 * const xs = moeDispatch(x, plan);                    // x: [N, D] -> xs[e]: [counts[e], D]
 * const ys = xs.map((xe, e) => experts[e].call(xe));  // run each expert on its own tokens only
 */
export function moeDispatch(x: Tensor, plan: RoutingPlan): Tensor[] {
  if (x.rank !== 2 || x.shape[0] !== plan.numTokens) {
    throw new Error(`moeDispatch: x must be [${plan.numTokens}, D] for this plan, got ${formatShape(x.shape)}`);
  }
  return runOp('moeDispatch', [x, plan.tokenOfSlot, plan.slotOfPair], { counts: [...plan.counts] });
}

/** Backward of moeDispatch (used by its rule): dx [N, D] from the expert blocks dxs[e] [count_e, D]. */
export function moeDispatchBackward(tokenOfSlot: Tensor, slotOfPair: Tensor, dxs: readonly Tensor[]): Tensor {
  return runOp('moeDispatchBackward', [tokenOfSlot, slotOfPair, ...dxs], {})[0];
}

/**
 * Combine the experts' outputs: y[n] = sum_j weights[n, j] * (output of expert indices[n, j] for token n).
 * expertOutputs[e] is [counts[e], D_out] in dispatch order; `null` is accepted for an expert with no tokens.
 * The gradient reaches both the weights (dw[n, j] = <dy[n], expert output>) and the expert outputs.
 *
 * @example
 * const y = moeCombine(ys, weights, plan);   // ys[e]: [counts[e], D_out], weights: [N, k] -> y: [N, D_out]
 */
export function moeCombine(expertOutputs: readonly (Tensor | null)[], weights: Tensor, plan: RoutingPlan): Tensor {
  const { numTokens: N, k, numExperts: E, counts } = plan;
  const describe = (): string => `outputs=[${expertOutputs.map((y) => (y ? formatShape(y.shape) : 'null')).join(', ')}], counts=[${counts.join(',')}]`;
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
    if (y.rank !== 2 || y.shape[0] !== counts[e] || y.shape[1] !== D) {
      throw new Error(`moeCombine: expert ${e} output must be [${counts[e]}, ${D}] (${describe()})`);
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

