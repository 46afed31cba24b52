// Normalisation: the fused layerNorm op.

export interface NormalizationOps {}
