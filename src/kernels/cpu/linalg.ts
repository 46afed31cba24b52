// CPU kernels: Linear algebra: batched matmul and the fused dense layer op (x·W + b).

import type { LinalgOps } from '../../tensor/ops/linalg.ts';
import type { KernelsFor } from '../backend.ts';

export const linalgKernels: KernelsFor<LinalgOps> = {};
