// Gradient clipping by global norm on the device: the squared norm as a chain of per-gradient (chunked) reductions, the scale in a kernel, no host read.
//
// The host clipGradNorm (src/optim/regularisation.ts) is the spec: norm = sqrt(Σ g²) over every gradient,
// and only when norm > maxNorm (and norm > 0) every gradient is scaled by maxNorm / norm. Here that
// decision is taken by a kernel, so the result is a device array [norm, scale] that the device optimisers
// read inside their update (one pass over the gradients, which are not rewritten), and that
// clipGradNormOnDevice applies to the gradients themselves.

import type { NamedParameter } from '../../layers/module.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import type { Constants, GpuArray, GpuContext, KernelArg } from './context.ts';
import { Staging, deviceTensor } from './device.ts';
import { reduceMiddle, sumStage } from './reduce.ts';
import { assertOwnsStorage, replaceOnDevice } from './in-place.ts';

type This = { thread: { x: number }; constants: Constants };

/**
 * One gradient as the kernels read it, with an L2 term folded in: g[i] = grad[go + i] + l2x2 · w[wo + i]
 * (the gradient of λ||w||² is 2λw: l2x2 = 2λ, or 0 for none, when w is not read).
 */
export interface GradientTerm {
  /** Number of elements. */
  n: number;
  grad: KernelArg;
  w: KernelArg;
  fold: { go: number; wo: number; l2x2: number };
}

/** [norm, scale] for "no clipping": the update kernels multiply the gradient by scale = 1 (the norm is not computed). */
export const UNCLIPPED = Float32Array.of(0, 1);

// One chunk's share of total[0] + Σ_i g[i]², g as in GradientTerm: Σ g² over i ∈ [c·S, min((c + 1)·S, n)),
// chunk 0 carrying the running total (a single cell, so the chain over the gradients needs no host read
// between them). A gradient is [1, n, 1] to reduce.ts's chunked reduction: one chunk (the whole gradient on
// one thread) when short, else chunk sums that a second stage adds up.
function sumSquaresChunkBody(this: This, total: Float32Array, grad: Float32Array, w: Float32Array): number {
  const i0 = this.thread.x * this.constants.S;
  const n = Math.min(this.constants.S, this.constants.R - i0);
  let s = 0;
  if (this.thread.x === 0) s = total[0];
  for (let k = 0; k < this.constants.S; k++) {
    if (k < n) {
      let gi = grad[this.constants.go + i0 + k];
      if (this.constants.l2x2 !== 0) gi = gi + this.constants.l2x2 * w[this.constants.wo + i0 + k];
      s += gi * gi;
    }
  }
  return s;
}

// [norm, scale] from the squared norm: cell 0 the norm, cell 1 maxNorm / norm when norm > maxNorm (and > 0), else 1.
function clipScaleBody(this: This, squared: Float32Array): number {
  const norm = Math.sqrt(squared[0]);
  if (this.thread.x === 0) return norm;
  if (norm > this.constants.maxNorm && norm > 0) return this.constants.maxNorm / norm;
  return 1;
}

// y[i] = grad[go + i] · clip[1]
function scaleBody(this: This, grad: Float32Array, clip: Float32Array): number {
  return grad[this.constants.go + this.thread.x] * clip[1];
}

/**
 * The global norm of `terms` and the clip scale, as a device array [norm, scale]; nothing is read back.
 * NOTE: summed in float32 (the host sums in float64), as the `sum` kernel: in chunks for a long gradient
 * (reduce.ts's chunkLength), else in one loop; the relative error stays near 1e-6 for the sizes here.
 */
export function globalNormClip(context: GpuContext, terms: readonly GradientTerm[], maxNorm: number): GpuArray {
  let total: GpuArray | null = null;
  for (const t of terms) {
    const squares = { body: sumSquaresChunkBody, args: [total?.value ?? Float32Array.of(0), t.grad, t.w], constants: t.fold };
    const next = reduceMiddle(context, 'clipGradNorm', [1, t.n, 1], squares, (p) => sumStage(p, 0));
    total?.dispose();
    total = next;
  }
  const clip = context.run('clipGradNorm', clipScaleBody, 2, { maxNorm }, [total?.value ?? Float32Array.of(0)]);
  total?.dispose();
  return clip;
}

/**
 * clipGradNorm on the device: scale every gradient so their global L2 norm is at most `maxNorm`, each
 * gradient's values replaced on the device, nothing read back. Returns the norm before clipping as a 0-d
 * device tensor (read it with `.item()` only when needed: a read waits for the device). The device
 * optimisers take `clipNorm` instead and clip inside their update, without this extra pass.
 *
 * @example
 * loss.backward();
 * const norm = clipGradNormOnDevice(context, model.namedParameters(), 1); // gradients now have norm <= 1
 * opt.step();
 */
export function clipGradNormOnDevice(context: GpuContext, params: readonly NamedParameter[], maxNorm: number): Tensor {
  const grads = params.flatMap((p) => (p.tensor.grad === null ? [] : [{ name: p.name, grad: p.tensor.grad }]));
  for (const { name, grad } of grads) assertOwnsStorage('clipGradNormOnDevice', `${name}.grad`, grad);
  const staging = new Staging(context);
  const terms: GradientTerm[] = grads.map(({ grad }) => {
    const [g] = staging.contiguous(grad);
    return { n: grad.size, grad: g.arg, w: g.arg, fold: { go: g.offset, wo: g.offset, l2x2: 0 } };
  });
  const clip = globalNormClip(context, terms, maxNorm);
  grads.forEach(({ grad }, k) => replaceOnDevice(grad, context.run('clipGradNorm', scaleBody, grad.size, { go: terms[k].fold.go }, [terms[k].grad, clip.value])));
  staging.release();
  return deviceTensor(clip, []); // a 0-d view of the first cell, the norm
}
