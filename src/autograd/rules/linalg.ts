// Gradient rules: Linear algebra: batched matmul and the fused dense layer op (x·W + b).

import type { LinalgOps } from '../../tensor/ops/linalg.ts';
import type { GradRulesFor } from './types.ts';

export const linalgRules: GradRulesFor<LinalgOps> = {};
