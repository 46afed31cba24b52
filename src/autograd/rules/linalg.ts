// Gradient rules: Linear algebra: batched matmul and the fused dense layer op (x·W + b).
//
// Every gradient is itself a matmul with transpose flags, so no transpose is ever materialised.

import type { LinalgOps } from '../../tensor/ops/linalg.ts';
import { matmul } from '../../tensor/ops/linalg.ts';
import { unaryGrad } from '../../tensor/ops/elementwise.ts';
import { sum } from '../../tensor/ops/reduce.ts';
import type { GradRulesFor } from './types.ts';

export const linalgRules: GradRulesFor<LinalgOps> = {
  // matmul: y = op(A)·op(B) => d op(A) = dY·op(B)ᵀ, d op(B) = op(A)ᵀ·dY (transposed back when the input was)
  matmul: ([dy], { inputs: [a, b], attrs: { transA, transB }, needsGrad }) => {
    let da = null;
    let db = null;
    if (needsGrad[0]) {
      // dA = dY·op(B)ᵀ, or its transpose op(B)·dYᵀ when A is stored transposed.
      da = transA ? matmul(b, dy!, { transA: transB, transB: true }) : matmul(dy!, b, { transB: !transB });
    }
    if (needsGrad[1]) {
      // dB = op(A)ᵀ·dY, or its transpose dYᵀ·op(A) when B is stored transposed.
      db = transB ? matmul(dy!, a, { transA: true, transB: transA }) : matmul(a, dy!, { transA: !transA });
    }
    return [da, db];
  },
  // dense: y = act(z), z = x·W + b => dz = dy·act'(z) (from y), dx = dz·Wᵀ, dW = xᵀ·dz, db = Σ_rows dz
  dense: ([dy], { inputs, outputs: [y], attrs: { activation }, needsGrad }) => {
    const [x, w] = inputs;
    // NOTE: y stands in for z in unaryGrad's x slot: relu's test z > 0 is y > 0, and tanh / sigmoid use y only.
    const dz = activation === 'none' ? dy! : unaryGrad(activation, dy!, y, y);
    return [
      needsGrad[0] ? matmul(dz, w, { transB: true }) : null,
      needsGrad[1] ? matmul(x, dz, { transA: true }) : null,
      inputs.length > 2 && needsGrad[2] ? sum(dz, 0) : null,
    ];
  },
};
