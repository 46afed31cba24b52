// Gradient rules: Normalisation: the fused layerNorm op.

import type { NormalizationOps } from '../../tensor/ops/normalization.ts';
import type { GradRulesFor } from './types.ts';

export const normalizationRules: GradRulesFor<NormalizationOps> = {};
