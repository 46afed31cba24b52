// CPU kernels: Softmax, logSoftmax and the losses: fused cross-entropy from logits, NLL from probabilities.

import type { LossOps } from '../../tensor/ops/loss.ts';
import type { KernelsFor } from '../backend.ts';

export const lossKernels: KernelsFor<LossOps> = {};
