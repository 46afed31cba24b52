// Normalisation: the fused layerNorm op (one pass forward, one kernel backward).

import { formatShape, shapesEqual } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { isFloat } from '../dtype.ts';
import { runOp } from '../dispatch.ts';

export interface NormalizationOps {
  /** Inputs [x, gamma, beta], x: [..., D], gamma / beta: [D] -> y: [..., D]; saves mean and rstd: [N] (N rows). */
  layerNorm: { eps: number };
  /** Backward kernel of layerNorm. Inputs [dy, x, gamma, mean, rstd] -> [dx, dgamma, dbeta]. */
  layerNormBackward: Record<string, never>;
}

export interface LayerNormOptions {
  /** Added to the variance before the square root (default 1e-5, as PyTorch; Keras' LayerNormalization uses 1e-3). */
  eps?: number;
}

/**
 * Layer normalisation over the last axis (Ba et al. 2016): y = (x - mean) / sqrt(var + eps) · gamma + beta, with
 * the mean and the biased variance (divided by D, as PyTorch and Keras do) of each row.
 *
 * @example
 * // x: [B, T, D] -> y: [B, T, D]
 * const y = layerNorm(x, gamma, beta);          // gamma = ones([D]), beta = zeros([D]) at init
 * const z = x.layerNorm(gamma, beta, { eps: 1e-3 });
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, options: LayerNormOptions = {}): Tensor {
  const eps = options.eps ?? 1e-5;
  const shapes = `x=${formatShape(x.shape)}, gamma=${formatShape(gamma.shape)}, beta=${formatShape(beta.shape)}`;
  if (x.rank === 0 || x.shape[x.rank - 1] === 0) throw new Error(`layerNorm: x needs a non-empty last axis (${shapes})`);
  const D = x.shape[x.rank - 1];
  if (!shapesEqual(gamma.shape, [D]) || !shapesEqual(beta.shape, [D])) {
    throw new Error(`layerNorm: gamma and beta must be [D] = [${D}] (${shapes})`);
  }
  if (!isFloat(x.dtype) || gamma.dtype !== x.dtype || beta.dtype !== x.dtype) {
    throw new Error(`layerNorm: expected float tensors of one dtype (x=${x.dtype}, gamma=${gamma.dtype}, beta=${beta.dtype})`);
  }
  if (!(eps > 0)) throw new Error(`layerNorm: eps must be > 0, got ${eps}`);
  return runOp('layerNorm', [x, gamma, beta], { eps })[0];
}

/** Backward of layerNorm (used by its gradient rule): [dx, dgamma, dbeta]. */
export function layerNormBackward(dy: Tensor, x: Tensor, gamma: Tensor, mean: Tensor, rstd: Tensor): Tensor[] {
  return runOp('layerNormBackward', [dy, x, gamma, mean, rstd], {});
}
