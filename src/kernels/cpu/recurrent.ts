// CPU kernels: Recurrent ops: the fused whole-sequence LSTM and its hand-written BPTT.

import type { RecurrentOps } from '../../tensor/ops/recurrent.ts';
import type { KernelsFor } from '../backend.ts';

export const recurrentKernels: KernelsFor<RecurrentOps> = {};
