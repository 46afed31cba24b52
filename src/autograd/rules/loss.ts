// Gradient rules: Softmax, logSoftmax and the losses: fused cross-entropy from logits, NLL from probabilities.

import type { LossOps } from '../../tensor/ops/loss.ts';
import type { GradRulesFor } from './types.ts';

export const lossRules: GradRulesFor<LossOps> = {};
