// Gradient rules: Mixture-of-Experts routing: top-k selection, renormalised softmax over the selected experts, dispatch and combine.

import type { RoutingOps } from '../../tensor/ops/routing.ts';
import { moeCombineBackward, moeDispatchBackward, topkBackward } from '../../tensor/ops/routing.ts';
import { softmaxBackward } from '../../tensor/ops/loss.ts';
import { emptyTensor } from '../../tensor/tensor.ts';
import { type GradRulesFor, notDifferentiable } from './types.ts';

const backwardKernel = notDifferentiable('backward kernel: netmoe computes first-order gradients only');

export const routingRules: GradRulesFor<RoutingOps> = {
  // topk: dx[.., indices[j]] = dvalues[.., j], 0 at the unselected positions (indices get no gradient)
  topk: ([dvalues], { inputs: [x], outputs: [, indices] }) => [topkBackward(dvalues!, indices, x.shape[x.rank - 1])],
  // topkSoftmax: dz = w * (dw - sum(dw * w)) on the selected logits z (softmax's rule), scattered back; 0 elsewhere
  topkSoftmax: ([dweights], { inputs: [x], outputs: [weights, indices] }) => [
    topkBackward(softmaxBackward(dweights!, weights, weights.rank - 1), indices, x.shape[x.rank - 1]),
  ],
  topkBackward: backwardKernel,
  moeRoute: notDifferentiable('integer routing bookkeeping'),
  // moeDispatch: dx[n] = sum of the expert-input gradients of token n's slots (a scatter-add by tokenOfSlot)
  moeDispatch: (dys, { inputs: [x, tokenOfSlot, slotOfPair], outputs }) => {
    // An expert whose output was never used sends no gradient: it contributes zeros.
    const blocks = outputs.map((y, e) => dys[e] ?? emptyTensor(y.shape, x.dtype, true));
    return [moeDispatchBackward(tokenOfSlot, slotOfPair, blocks), null, null];
  },
  moeDispatchBackward: backwardKernel,
  // moeCombine: dweights[n, j] = <dy[n], ys_e[slot]>, dys_e[slot] = weights[n, j] * dy[n]
  moeCombine: ([dy], { inputs: [weights, pairOfSlot, slotOfPair, ...ys], needsGrad }) => {
    const [dweights, ...dExperts] = moeCombineBackward(dy!, weights, pairOfSlot, slotOfPair, ys);
    return [needsGrad[0] ? dweights : null, null, null, ...dExperts.map((d, e) => (needsGrad[e + 3] ? d : null))];
  },
  moeCombineBackward: backwardKernel,
};
