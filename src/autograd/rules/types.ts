// The shape of a gradient rule and of the rule table (a mapped type: a missing rule is a compile error).

import type { OpAttrs, OpName } from '../../tensor/op-table.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import type { GradContext } from '../node.ts';

/**
 * Given the upstream gradients of the op's outputs (null where an output got none), return one gradient
 * per input (null where the input needs none: see ctx.needsGrad). Rules are written with tensor ops.
 */
export type GradRule<K extends OpName> = (dys: readonly (Tensor | null)[], ctx: GradContext<K>) => (Tensor | null)[];

/** Marks an op with no gradient (comparisons, argmax-like indices, backward kernels), with the reason. */
export interface NotDifferentiable {
  readonly notDifferentiable: string;
}

export function notDifferentiable(reason: string): NotDifferentiable {
  return { notDifferentiable: reason };
}

/** Rules for a subset of ops (one family file). */
export type GradRulesFor<Ops> = { [K in keyof Ops & OpName]: GradRule<K> | NotDifferentiable };

export type GradRuleTable = GradRulesFor<OpAttrs>;

export function isDifferentiable<K extends OpName>(rule: GradRule<K> | NotDifferentiable): rule is GradRule<K> {
  return typeof rule === 'function';
}
