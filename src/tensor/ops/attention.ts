// Scaled dot-product attention: a composition of matmul, softmax and where (no primitive of its own).
//
// Why a composition: its gradient comes for free from the matmul / softmax / where rules, and every piece is
// already a fast fused kernel. A fused attention kernel (never materialising the [Tq, Tk] weights) would
// only pay for long sequences; add one when a benchmark shows it.

import { formatShape, shapesEqual, broadcastShapes } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { matmul } from './linalg.ts';
import { softmax } from './loss.ts';
import { mul, where } from './elementwise.ts';

/**
 * The score given to masked-out positions. NOTE: a large finite number, not -Infinity: a row whose every key is
 * masked then gets uniform weights instead of NaN (exp(-inf - (-inf))), and float32 still represents it.
 */
export const MASKED_SCORE = -1e9;

export interface AttentionOptions {
  /**
   * Which keys each query may attend to, broadcastable to [..., Tq, Tk]: nonzero = attend, 0 = masked out
   * (e.g. [B, 1, Tk] for padding, [Tq, Tk] lower-triangular for causal attention). Any dtype.
   */
  mask?: Tensor;
  /** Multiplies q·kᵀ before the softmax (default 1 / sqrt(D), Vaswani et al. 2017). */
  scale?: number;
}

/**
 * softmax(q·kᵀ · scale, masked) · v over the last two axes, with any leading (batch, head) axes.
 *
 * @example
 * // q: [B, Tq, D], k: [B, Tk, D], v: [B, Tk, Dv] -> y: [B, Tq, Dv]
 * const y = scaledDotProductAttention(q, k, v);
 * const selfAttention = scaledDotProductAttention(x, x, x, { mask: padding }); // padding: [B, 1, T]
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const shapes = `q=${formatShape(q.shape)}, k=${formatShape(k.shape)}, v=${formatShape(v.shape)}`;
  if (q.rank < 2 || k.rank !== q.rank || v.rank !== q.rank) {
    throw new Error(`scaledDotProductAttention: q, k, v must have the same rank >= 2 (${shapes})`);
  }
  const lead = q.shape.slice(0, -2);
  if (!shapesEqual(k.shape.slice(0, -2), lead) || !shapesEqual(v.shape.slice(0, -2), lead)) {
    throw new Error(`scaledDotProductAttention: leading axes differ (${shapes})`);
  }
  const D = q.shape[q.rank - 1];
  const Tk = k.shape[k.rank - 2];
  if (k.shape[k.rank - 1] !== D) throw new Error(`scaledDotProductAttention: q and k widths differ (${shapes})`);
  if (v.shape[v.rank - 2] !== Tk) throw new Error(`scaledDotProductAttention: k and v lengths differ (${shapes})`);
  const scale = options.scale ?? 1 / Math.sqrt(D);

  // q: [..., Tq, D], k: [..., Tk, D] -> scores: [..., Tq, Tk]
  let scores = mul(matmul(q, k, { transB: true }), scale);
  const mask = options.mask;
  if (mask !== undefined) {
    if (!shapesEqual(broadcastShapes('scaledDotProductAttention', mask.shape, scores.shape), scores.shape)) {
      throw new Error(`scaledDotProductAttention: mask ${formatShape(mask.shape)} does not broadcast to the scores ${formatShape(scores.shape)} (${shapes})`);
    }
    scores = where(mask, scores, MASKED_SCORE); // masked keys get no weight and no gradient
  }
  // weights: [..., Tq, Tk] (each row sums to 1), v: [..., Tk, Dv] -> y: [..., Tq, Dv]
  return matmul(softmax(scores, -1), v);
}
