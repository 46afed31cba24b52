// Gradient rules: Convolution and pooling over sequences, channels-last [B, L, C] like Keras: conv1d, maxPool1d; and dropout.

import type { ConvOps } from '../../tensor/ops/conv.ts';
import type { GradRulesFor } from './types.ts';

export const convRules: GradRulesFor<ConvOps> = {};
