// Gradient rules for elementwise ops. Inputs of binary ops are already broadcast (expand's rule sums back).

import type { ElementwiseOps } from '../../tensor/ops/elementwise.ts';
import { cast, greaterEqual, less, mul, div, neg, unaryGrad, where, type UnaryFn } from '../../tensor/ops/elementwise.ts';
import { type GradRule, type GradRulesFor, notDifferentiable } from './types.ts';

const comparison = notDifferentiable('comparison: piecewise constant, gradient zero almost everywhere');

/** Rule for y = f(x) with a derivative known to unaryGrad. */
function unaryRule(fn: UnaryFn): GradRule<UnaryFn & keyof ElementwiseOps> {
  return ([dy], { inputs: [x], outputs: [y] }) => [unaryGrad(fn, dy!, x, y)];
}

export const elementwiseRules: GradRulesFor<ElementwiseOps> = {
  // add: da = dy, db = dy
  add: ([dy]) => [dy, dy],
  // sub: da = dy, db = -dy
  sub: ([dy], { needsGrad }) => [dy, needsGrad[1] ? neg(dy!) : null],
  // mul: da = dy * b, db = dy * a
  mul: ([dy], { inputs: [a, b], needsGrad }) => [needsGrad[0] ? mul(dy!, b) : null, needsGrad[1] ? mul(dy!, a) : null],
  // div: da = dy / b, db = -dy * a / b^2 = -dy * y / b
  div: ([dy], { inputs: [, b], outputs: [y], needsGrad }) => [
    needsGrad[0] ? div(dy!, b) : null,
    needsGrad[1] ? neg(mul(dy!, div(y, b))) : null,
  ],
  // maximum: dy goes to a where a >= b (ties to a), else to b
  maximum: ([dy], { inputs: [a, b], needsGrad }) => [
    needsGrad[0] ? mul(dy!, greaterEqual(a, b)) : null,
    needsGrad[1] ? mul(dy!, less(a, b)) : null,
  ],
  equal: comparison,
  greater: comparison,
  greaterEqual: comparison,
  less: comparison,
  lessEqual: comparison,
  // where: da = cond ? dy : 0, db = cond ? 0 : dy; cond gets none
  where: ([dy], { inputs: [cond], needsGrad }) => [
    null,
    needsGrad[1] ? where(cond, dy!, 0) : null,
    needsGrad[2] ? where(cond, 0, dy!) : null,
  ],
  // neg: dx = -dy
  neg: ([dy]) => [neg(dy!)],
  sqrt: unaryRule('sqrt'),
  exp: unaryRule('exp'),
  log: unaryRule('log'),
  abs: unaryRule('abs'),
  sign: notDifferentiable('sign: piecewise constant, gradient zero almost everywhere'),
  tanh: unaryRule('tanh'),
  sigmoid: unaryRule('sigmoid'),
  relu: unaryRule('relu'),
  gelu: unaryRule('gelu'),
  // pow: dx = dy * p * x^(p-1)
  pow: ([dy], { inputs: [x], outputs: [y], attrs }) => [unaryGrad('pow', dy!, x, y, attrs.exponent)],
  unaryGrad: notDifferentiable('backward kernel: netmoe computes first-order gradients only'),
  // cast: the gradient is cast back to the input's dtype (none for int32 inputs)
  cast: ([dy], { inputs: [x] }) => [x.dtype === 'int32' ? null : cast(dy!, x.dtype)],
};

