// The L2 penalty of DCL-MoE's loss (Eq. 8) and gradient-norm clipping, applied in place on the gradients.

import type { NamedParameter } from '../layers/module.ts';
import type { FloatArray } from '../tensor/dtype.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { noGrad } from '../autograd/grad-mode.ts';
import { add, mul } from '../tensor/ops/elementwise.ts';
import { sum } from '../tensor/ops/reduce.ts';

/**
 * Add lambda * sum ||w||^2 over the weights (parameters with `decay`; biases excluded) to the loss, done
 * directly on the gradients: d/dw (lambda ||w||^2) = 2 lambda w. Returns the penalty's value, so the
 * reported loss is the full Eq. 8 objective. Call after backward, before the optimiser step.
 */
export function applyL2Penalty(params: NamedParameter[], lambda: number): number {
  if (lambda === 0) return 0;
  let penalty = 0;
  for (const p of params) {
    if (!p.decay || p.tensor.grad === null) continue;
    const w = p.tensor.values as FloatArray;
    const g = p.tensor.grad.values as FloatArray;
    let sq = 0;
    for (let i = 0; i < w.length; i++) {
      sq += w[i] * w[i];
      g[i] += 2 * lambda * w[i];
    }
    penalty += lambda * sq;
  }
  return penalty;
}

/** The L2 penalty's value alone (for validation losses, where no gradient is taken). */
export function l2PenaltyValue(params: NamedParameter[], lambda: number): number {
  if (lambda === 0) return 0;
  let sq = 0;
  for (const p of params) {
    if (!p.decay) continue;
    const w = p.tensor.values;
    for (let i = 0; i < w.length; i++) sq += w[i] * w[i];
  }
  return lambda * sq;
}

/**
 * The L2 penalty's value as a 0-d tensor, computed with tensor ops: on the GPU backend it is a device
 * reduction over device-resident weights, so nothing is read back until the caller asks (the trainer's
 * device path, where the device optimiser folds the gradient 2λw into its update). Null when lambda is 0.
 */
export function l2PenaltyTensor(params: NamedParameter[], lambda: number): Tensor | null {
  if (lambda === 0) return null;
  return noGrad(() => {
    let sq: Tensor | null = null;
    for (const p of params) {
      if (!p.decay) continue;
      const s = sum(mul(p.tensor, p.tensor));
      sq = sq === null ? s : add(sq, s);
    }
    return sq === null ? null : mul(sq, lambda);
  });
}

/**
 * Scale all gradients so their global L2 norm is at most `maxNorm`. Returns the norm before clipping.
 * NOTE: this reads every gradient on the host. On the GPU backend the device optimisers clip inside their
 * step (their `clipNorm` option) and src/kernels/gpu/clip.ts has `clipGradNormOnDevice`: same arithmetic,
 * nothing read back.
 */
export function clipGradNorm(params: NamedParameter[], maxNorm: number): number {
  let sq = 0;
  for (const p of params) {
    if (p.tensor.grad === null) continue;
    const g = p.tensor.grad.values;
    for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  }
  const norm = Math.sqrt(sq);
  if (norm > maxNorm && norm > 0) {
    const scale = maxNorm / norm;
    for (const p of params) {
      if (p.tensor.grad === null) continue;
      const g = p.tensor.grad.values as FloatArray;
      for (let i = 0; i < g.length; i++) g[i] *= scale;
    }
  }
  return norm;
}
