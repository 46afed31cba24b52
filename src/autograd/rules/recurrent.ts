// Gradient rules: Recurrent ops: the fused whole-sequence LSTM and its hand-written BPTT.

import type { RecurrentOps } from '../../tensor/ops/recurrent.ts';
import type { GradRulesFor } from './types.ts';

export const recurrentRules: GradRulesFor<RecurrentOps> = {};
