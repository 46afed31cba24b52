// The dense softmax gate and the weighted mixture of expert outputs (a dense MoE: every expert runs).

import type { Tensor } from '../../tensor/tensor.ts';
import type { Rng } from '../../tensor/random.ts';
import type { DType } from '../../tensor/dtype.ts';
import { concat } from '../../tensor/ops/movement.ts';
import { mul } from '../../tensor/ops/elementwise.ts';
import { reshape } from '../../tensor/ops/movement.ts';
import { sum } from '../../tensor/ops/reduce.ts';
import { Dense } from '../dense.ts';
import { Module } from '../module.ts';

/**
 * g = softmax(W_g · relu(W_h · x + b_h) + b_g): one weight per expert, summing to 1 (DCL-MoE Eq. 7 with
 * Table I's hidden layer of 64 ReLU units).
 *
 * @example
 * const gate = new SoftmaxGate(40, 64, 3, { rng });
 * gate.call(x).shape;        // x: [B, 40] -> g: [B, 3]
 */
export class SoftmaxGate extends Module {
  readonly hidden: Dense;
  readonly out: Dense;

  constructor(inFeatures: number, hiddenUnits: number, numExperts: number, options: { rng: Rng; dtype?: DType }) {
    super();
    this.hidden = this.addModule('hidden', new Dense(inFeatures, hiddenUnits, { activation: 'relu', rng: options.rng, dtype: options.dtype }));
    this.out = this.addModule('out', new Dense(hiddenUnits, numExperts, { activation: 'softmax', rng: options.rng, dtype: options.dtype }));
  }

  forward(x: Tensor): Tensor {
    // x: [B, F] -> g: [B, E]
    return this.out.call(this.hidden.call(x));
  }
}

/**
 * y = sum_e g[:, e] · experts[e]: the gate-weighted sum of expert outputs (DCL-MoE Eq. 9).
 * experts: E tensors [B, C], gates: [B, E] -> y: [B, C]. When the experts output softmaxes, y is a
 * distribution too (a convex combination of distributions).
 */
export function mixExperts(experts: Tensor[], gates: Tensor): Tensor {
  const [B, E] = gates.shape;
  if (experts.length !== E) throw new Error(`mixExperts: ${experts.length} experts but gates have ${E} columns`);
  const C = experts[0].shape[1];
  // [B, E, C] · [B, E, 1] summed over E.
  const stacked = concat(experts.map((p) => reshape(p, [B, 1, C])), 1);
  return sum(mul(stacked, reshape(gates, [B, E, 1])), 1);
}
