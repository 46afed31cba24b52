// Gradient rules for the fused LSTM: the rule hands everything to the BPTT backward kernel.

import type { RecurrentOps } from '../../tensor/ops/recurrent.ts';
import { lstmBackward } from '../../tensor/ops/recurrent.ts';
import { type Tensor, emptyTensor } from '../../tensor/tensor.ts';
import { type GradRulesFor, notDifferentiable } from './types.ts';

/** The upstream gradient of an output nobody used: zeros (pooled), so the kernel has one code path. */
const orZeros = (dy: Tensor | null, y: Tensor): Tensor => dy ?? emptyTensor(y.shape, y.dtype, true);

export const recurrentRules: GradRulesFor<RecurrentOps> = {
  // lstm: BPTT (see lstmBackward in src/kernels/cpu/recurrent.ts): per step, with dh_t = dy_t + dh carried from t+1,
  // dc_t = dc_{t+1}·f_{t+1} + dh_t·o·(1 - tanh²c_t), dz = [dc·g·i(1-i), dc·c_{t-1}·f(1-f), dc·i·(1-g²), dh·tanh(c)·o(1-o)],
  // dh_{t-1} = dz·W_hhᵀ; then dW_hh = Σ_t h_{t-1}ᵀ·dz_t, dW_ih = xᵀ·dz, db = Σ dz, dx = dz·W_ihᵀ.
  lstm: ([dy, dhT, dcT], { inputs: [x, wIh, wHh, , h0, c0], outputs: [y, hT, cT], saved: [gates, c, tanhC], needsGrad }) =>
    lstmBackward(orZeros(dy, y), orZeros(dhT, hT), orZeros(dcT, cT), x, wIh, wHh, h0, c0, y, gates, c, tanhC, needsGrad[0]),
  lstmBackward: notDifferentiable('backward kernel: netmoe computes first-order gradients only'),
};
