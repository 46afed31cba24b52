// Gradient rules: Mixture-of-Experts routing: top-k selection, renormalised softmax over the selected experts, dispatch and combine.

import type { RoutingOps } from '../../tensor/ops/routing.ts';
import type { GradRulesFor } from './types.ts';

export const routingRules: GradRulesFor<RoutingOps> = {};
