// Softmax, logSoftmax and the losses: fused cross-entropy from logits, NLL from probabilities.

import { formatShape, normaliseAxis } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { runOp } from '../dispatch.ts';

/** How a per-example loss is reduced over the batch. */
export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOps {
  /** softmax along `axis`: y = exp(x - max) / sum(exp(x - max)). */
  softmax: { axis: number };
  /** log-softmax along `axis`: y = x - max - log(sum(exp(x - max))), never log(0). */
  logSoftmax: { axis: number };
  /** Backward of softmax in one pass: dx = y * (dy - sum(dy * y)) along `axis`. Inputs [dy, y]. */
  softmaxBackward: { axis: number };
  /**
   * Cross-entropy from logits [N, C] and int32 labels [N], fused: one pass computes log-softmax, the loss
   * and the probabilities (saved for backward). Targets are (1 - s) * onehot + s / C for label smoothing s.
   */
  crossEntropy: { reduction: Reduction; labelSmoothing: number };
  /** Backward of crossEntropy: dlogits = (p - target) * dy (/ N for 'mean'). Inputs [dy, probs, labels]. */
  crossEntropyBackward: { reduction: Reduction; labelSmoothing: number };
  /** -log(p[label] + eps) per row of probabilities [N, C] (the DCL-MoE loss on a mixture of softmaxes). */
  nllFromProbs: { reduction: Reduction; eps: number };
  /** Backward of nllFromProbs: dp[n, label] = -dy / (p[n, label] + eps) (/ N for 'mean'), 0 elsewhere. */
  nllFromProbsBackward: { reduction: Reduction; eps: number };
}

function floatInput(op: string, x: Tensor): void {
  if (x.dtype === 'int32') throw new Error(`${op}: expected a float tensor, got int32${formatShape(x.shape)}`);
}

/**
 * softmax along `axis` (default: the last), computed stably (the max is subtracted first).
 *
 * @example
 * softmax(tensor([[1, 1], [0, Math.log(3)]])).toArray();   // [[0.5, 0.5], [0.25, 0.75]]
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  floatInput('softmax', x);
  return runOp('softmax', [x], { axis: normaliseAxis('softmax', axis, x.rank) })[0];
}

/**
 * log(softmax(x)) along `axis` (default: the last), stable for large |x| (no exp overflow, no log(0)).
 *
 * @example
 * logSoftmax(tensor([0, 0])).toArray();   // [-0.693..., -0.693...]
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  floatInput('logSoftmax', x);
  return runOp('logSoftmax', [x], { axis: normaliseAxis('logSoftmax', axis, x.rank) })[0];
}

/** Backward of softmax from its output `y` (used by the softmax and topkSoftmax rules). */
export function softmaxBackward(dy: Tensor, y: Tensor, axis: number): Tensor {
  return runOp('softmaxBackward', [dy, y], { axis })[0];
}

/** Throw unless `labels` is int32 [N] with every label in [0, C). */
function checkLabels(op: string, x: Tensor, labels: Tensor): void {
  if (x.rank !== 2) throw new Error(`${op}: expected [N, C] inputs, got ${formatShape(x.shape)}`);
  const [N, C] = x.shape;
  if (labels.dtype !== 'int32') throw new Error(`${op}: labels must be int32, got ${labels.dtype}${formatShape(labels.shape)}`);
  if (labels.rank !== 1 || labels.shape[0] !== N) {
    throw new Error(`${op}: labels must be [${N}] for inputs ${formatShape(x.shape)}, got ${formatShape(labels.shape)}`);
  }
  // NOTE: device-resident labels are not read back to be checked: that would be a download per training
  // step (and is impossible on an asynchronous device, webgpu). They were checked while they were host
  // values (before their first upload), or a kernel produced them.
  if (labels.storage.device !== null) return;
  const values = labels.contiguous().values;
  for (let n = 0; n < N; n++) {
    if (values[n] < 0 || values[n] >= C) {
      throw new Error(`${op}: label ${values[n]} at row ${n} out of range for ${C} classes (inputs=${formatShape(x.shape)})`);
    }
  }
}

function checkReduction(op: string, reduction: Reduction): void {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') throw new Error(`${op}: unknown reduction '${reduction}'`);
}

export interface CrossEntropyOptions {
  /** 'mean' (default) over the batch, 'sum', or 'none' for the [N] per-example losses. */
  reduction?: Reduction;
  /** Label smoothing s in [0, 1): the target puts 1 - s + s/C on the label and s/C elsewhere (default 0). */
  labelSmoothing?: number;
}

/**
 * Softmax cross-entropy of `logits` [N, C] against int32 `labels` [N], fused from the logits: stable
 * (log-softmax never takes log(0)) and one pass forward, one pass backward (dlogits = (p - onehot) * dy / N).
 *
 * @example
 * const loss = crossEntropy(model.forward(x), labels);                  // scalar, mean over the batch
 * const perExample = crossEntropy(logits, labels, { reduction: 'none' }); // [N]
 */
export function crossEntropy(logits: Tensor, labels: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const { reduction = 'mean', labelSmoothing = 0 } = options;
  floatInput('crossEntropy', logits);
  checkLabels('crossEntropy', logits, labels);
  checkReduction('crossEntropy', reduction);
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new Error(`crossEntropy: labelSmoothing must be in [0, 1), got ${labelSmoothing}`);
  return runOp('crossEntropy', [logits, labels], { reduction, labelSmoothing })[0];
}

/** Backward of crossEntropy from the saved probabilities (used by its gradient rule). */
export function crossEntropyBackward(dy: Tensor, probs: Tensor, labels: Tensor, attrs: LossOps['crossEntropy']): Tensor {
  return runOp('crossEntropyBackward', [dy, probs, labels], attrs)[0];
}

export interface NllOptions {
  /** Added to p before the log so a zero probability gives a large finite loss, not Infinity (default 1e-7). */
  eps?: number;
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

/**
 * Negative log-likelihood of int32 `labels` [N] under probabilities `probs` [N, C]:
 * mean(-log(p[n, label_n] + eps)). The loss of a model whose output is already a distribution, e.g. the
 * DCL-MoE mixture of expert softmaxes sum_e g_e * softmax_e (where no single logit vector exists).
 *
 * @example
 * const probs = mixExperts(gate, expertProbs);   // [N, C], rows sum to 1
 * const loss = nllFromProbs(probs, labels);      // scalar
 */
export function nllFromProbs(probs: Tensor, labels: Tensor, options: NllOptions = {}): Tensor {
  const { eps = 1e-7, reduction = 'mean' } = options;
  floatInput('nllFromProbs', probs);
  checkLabels('nllFromProbs', probs, labels);
  checkReduction('nllFromProbs', reduction);
  if (!(eps >= 0)) throw new Error(`nllFromProbs: eps must be >= 0, got ${eps}`);
  return runOp('nllFromProbs', [probs, labels], { reduction, eps })[0];
}

/** Backward of nllFromProbs (used by its gradient rule). */
export function nllFromProbsBackward(dy: Tensor, probs: Tensor, labels: Tensor, attrs: LossOps['nllFromProbs']): Tensor {
  return runOp('nllFromProbsBackward', [dy, probs, labels], attrs)[0];
}
