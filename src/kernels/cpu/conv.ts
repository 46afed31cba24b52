// CPU kernels: Convolution and pooling over sequences, channels-last [B, L, C] like Keras: conv1d, maxPool1d; and dropout.

import type { ConvOps } from '../../tensor/ops/conv.ts';
import type { KernelsFor } from '../backend.ts';

export const convKernels: KernelsFor<ConvOps> = {};
