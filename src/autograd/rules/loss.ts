// Gradient rules: Softmax, logSoftmax and the losses: fused cross-entropy from logits, NLL from probabilities.

import type { LossOps } from '../../tensor/ops/loss.ts';
import { crossEntropyBackward, nllFromProbsBackward, softmaxBackward } from '../../tensor/ops/loss.ts';
import { exp, mul, sub } from '../../tensor/ops/elementwise.ts';
import { sum } from '../../tensor/ops/reduce.ts';
import { type GradRulesFor, notDifferentiable } from './types.ts';

const backwardKernel = notDifferentiable('backward kernel: netmoe computes first-order gradients only');

export const lossRules: GradRulesFor<LossOps> = {
  // softmax: dx = y * (dy - sum(dy * y)), in one fused pass
  softmax: ([dy], { outputs: [y], attrs: { axis } }) => [softmaxBackward(dy!, y, axis)],
  // logSoftmax: dx = dy - softmax(x) * sum(dy), with softmax(x) = exp(y)
  logSoftmax: ([dy], { outputs: [y], attrs: { axis } }) => [sub(dy!, mul(exp(y), sum(dy!, axis, true)))],
  softmaxBackward: backwardKernel,
  // crossEntropy: dlogits = (p - target) * dy, / N for 'mean' (target = onehot, smoothed); labels get none
  crossEntropy: ([dy], { inputs: [, labels], saved: [probs], attrs }) => [crossEntropyBackward(dy!, probs, labels, attrs), null],
  crossEntropyBackward: backwardKernel,
  // nllFromProbs: dp[n, label] = -dy / (p[n, label] + eps), / N for 'mean'; 0 for the other classes
  nllFromProbs: ([dy], { inputs: [probs, labels], attrs }) => [nllFromProbsBackward(dy!, probs, labels, attrs), null],
  nllFromProbsBackward: backwardKernel,
};
