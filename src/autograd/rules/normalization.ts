// Gradient rules for layerNorm: one backward kernel gives dx, dgamma and dbeta.

import type { NormalizationOps } from '../../tensor/ops/normalization.ts';
import { layerNormBackward } from '../../tensor/ops/normalization.ts';
import { type GradRulesFor, notDifferentiable } from './types.ts';

export const normalizationRules: GradRulesFor<NormalizationOps> = {
  // layerNorm: dx = rstd · (dxhat - mean(dxhat) - xhat · mean(dxhat · xhat)) with dxhat = dy · gamma,
  // dgamma = Σ_rows dy · xhat, dbeta = Σ_rows dy (means over the last axis)
  layerNorm: ([dy], { inputs: [x, gamma], saved: [mean, rstd] }) => layerNormBackward(dy!, x, gamma, mean, rstd),
  layerNormBackward: notDifferentiable('backward kernel: netmoe computes first-order gradients only'),
};
