// The op table: every primitive op's name and typed attributes, composed from one interface per op family.
//
// Each family file in ./ops declares its ops once (name -> attributes) next to the front-end functions that
// validate shapes and call `runOp`. The CPU kernel table (src/kernels/cpu) and the gradient-rule table
// (src/autograd/rules) are mapped types over `OpName`, so adding an op here without its kernel and its
// rule (or an explicit `notDifferentiable` reason) does not compile.

import type { ElementwiseOps } from './ops/elementwise.ts';
import type { ReduceOps } from './ops/reduce.ts';
import type { MovementOps } from './ops/movement.ts';
import type { LinalgOps } from './ops/linalg.ts';
import type { ConvOps } from './ops/conv.ts';
import type { NormalizationOps } from './ops/normalization.ts';
import type { RecurrentOps } from './ops/recurrent.ts';
import type { LossOps } from './ops/loss.ts';
import type { RoutingOps } from './ops/routing.ts';

export interface OpAttrs
  extends ElementwiseOps,
    ReduceOps,
    MovementOps,
    LinalgOps,
    ConvOps,
    NormalizationOps,
    RecurrentOps,
    LossOps,
    RoutingOps {}

export type OpName = keyof OpAttrs;
