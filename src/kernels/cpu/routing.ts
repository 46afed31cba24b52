// CPU kernels: Mixture-of-Experts routing: top-k selection, renormalised softmax over the selected experts, dispatch and combine.

import type { RoutingOps } from '../../tensor/ops/routing.ts';
import type { KernelsFor } from '../backend.ts';

export const routingKernels: KernelsFor<RoutingOps> = {};
