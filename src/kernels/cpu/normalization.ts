// CPU kernels: Normalisation: the fused layerNorm op.

import type { NormalizationOps } from '../../tensor/ops/normalization.ts';
import type { KernelsFor } from '../backend.ts';

export const normalizationKernels: KernelsFor<NormalizationOps> = {};
