// Gradient rules for reductions over the middle axis of [O, R, I].

import type { ReduceOps } from '../../tensor/ops/reduce.ts';
import { maxBackward } from '../../tensor/ops/reduce.ts';
import { expand, reshape } from '../../tensor/ops/movement.ts';
import { exp, mul, sub } from '../../tensor/ops/elementwise.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { type GradRulesFor, notDifferentiable } from './types.ts';

/** [O, I] -> [O, R, I] by repeating along R (a stride-0 view). */
function spread(t: Tensor, x: Tensor): Tensor {
  return expand(reshape(t, [x.shape[0], 1, x.shape[2]]), x.shape);
}

export const reduceRules: GradRulesFor<ReduceOps> = {
  // sum: dx = dy repeated along R
  sum: ([dy], { inputs: [x] }) => [spread(dy!, x)],
  // max: dx = dy at the (first) argmax, 0 elsewhere
  max: ([dy], { inputs: [x], saved: [argmax] }) => [maxBackward(dy!, argmax, x.shape[1])],
  // logsumexp: dx = dy * exp(x - y) (= dy * softmax(x) along R)
  logsumexp: ([dy], { inputs: [x], outputs: [y] }) => [mul(spread(dy!, x), exp(sub(x, spread(y, x))))],
  maxBackward: notDifferentiable('backward kernel: netmoe computes first-order gradients only'),
};
