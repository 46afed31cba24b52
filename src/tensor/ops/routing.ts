// Mixture-of-Experts routing: top-k selection, renormalised softmax over the selected experts, dispatch and combine.

export interface RoutingOps {}
