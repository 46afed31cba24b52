// Recurrent ops: the fused whole-sequence LSTM and its hand-written BPTT.

export interface RecurrentOps {}
