// Gradient rules: Convolution and pooling over sequences, channels-last [B, L, C] like Keras: conv1d, maxPool1d; and dropout.

import type { ConvOps } from '../../tensor/ops/conv.ts';
import { conv1dInputGrad, conv1dWeightGrad, dropoutWithMask, maxPool1dBackward } from '../../tensor/ops/conv.ts';
import { sum } from '../../tensor/ops/reduce.ts';
import { unaryGrad } from '../../tensor/ops/elementwise.ts';
import { type GradRulesFor, notDifferentiable } from './types.ts';

const backwardKernel = notDifferentiable('backward kernel: netmoe computes first-order gradients only');

export const convRules: GradRulesFor<ConvOps> = {
  // conv1d: y = act(z), dz = dy·act'(z) (from y); dx[b, l, c] = Σ_{t,k: t·s+k-pad = l} Σ_o dz[b, t, o]·w[k, c, o];
  // dw[k, c, o] = Σ_{b,t} x[b, t·s+k-pad, c]·dz[b, t, o]; db = Σ_{b,t} dz
  conv1d: ([dy], { inputs, outputs: [y], attrs: { stride, padLeft, activation }, needsGrad }) => {
    const [x, w] = inputs;
    // NOTE: y stands in for z in unaryGrad's x slot, as in dense: relu's test z > 0 is y > 0.
    const dz = activation === undefined || activation === 'none' ? dy! : unaryGrad(activation, dy!, y, y);
    return [
      needsGrad[0] ? conv1dInputGrad(dz, w, { stride, padLeft, inLength: x.shape[1] }) : null,
      needsGrad[1] ? conv1dWeightGrad(x, dz, { stride, padLeft, kernelSize: w.shape[0] }) : null,
      inputs.length > 2 && needsGrad[2] ? sum(dz, [0, 1]) : null,
    ];
  },
  conv1dInputGrad: backwardKernel,
  conv1dWeightGrad: backwardKernel,
  // maxPool1d: dx = dy at each window's (first) argmax, 0 elsewhere (summed where windows overlap)
  maxPool1d: ([dy], { inputs: [x], saved: [argmax], attrs: { poolSize, stride } }) => [maxPool1dBackward(dy!, argmax, { inLength: x.shape[1], poolSize, stride })],
  maxPool1dBackward: backwardKernel,
  // dropoutWithMask: y = x·m/(1-rate) is linear in x => dx = dy·m/(1-rate), the same op on dy; the mask gets none
  dropoutWithMask: ([dy], { inputs: [, mask], attrs: { rate }, needsGrad }) => [needsGrad[0] ? dropoutWithMask(dy!, mask, rate) : null, null],
};
