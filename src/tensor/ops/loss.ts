// Softmax, logSoftmax and the losses: fused cross-entropy from logits, NLL from probabilities.

export interface LossOps {}
