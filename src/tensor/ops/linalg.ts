// Linear algebra: batched matmul and the fused dense layer op (x·W + b).

export interface LinalgOps {}
