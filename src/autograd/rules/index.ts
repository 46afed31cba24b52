// The gradient-rule table: one entry per op, a rule or an explicit `notDifferentiable` reason.

import type { GradRuleTable } from './types.ts';
import type { OpName } from '../../tensor/op-table.ts';
import { elementwiseRules } from './elementwise.ts';
import { reduceRules } from './reduce.ts';
import { movementRules } from './movement.ts';
import { linalgRules } from './linalg.ts';
import { convRules } from './conv.ts';
import { normalizationRules } from './normalization.ts';
import { recurrentRules } from './recurrent.ts';
import { lossRules } from './loss.ts';
import { routingRules } from './routing.ts';

/** A mapped type over every op name: an op without an entry here is a compile error. */
export const gradRules: GradRuleTable = {
  ...elementwiseRules,
  ...reduceRules,
  ...movementRules,
  ...linalgRules,
  ...convRules,
  ...normalizationRules,
  ...recurrentRules,
  ...lossRules,
  ...routingRules,
};

/** True when `op` has a gradient rule (false for comparisons, indices and backward kernels). */
export function isDifferentiableOp(op: OpName): boolean {
  return typeof gradRules[op] === 'function';
}

/** Every op name, in table order. */
export const allOps = Object.keys(gradRules) as OpName[];
