// Elementwise ops: arithmetic, activations, comparisons and where. Binary ops broadcast by inserting `expand`.

import type { DType } from '../dtype.ts';
import { broadcastShapes, formatShape, shapesEqual } from '../shape.ts';
import { type Tensor, tensorFromData } from '../tensor.ts';
import { allocateArray } from '../dtype.ts';
import { runOp } from '../dispatch.ts';
import { expand } from './movement.ts';

type NoAttrs = Record<string, never>;

/** Unary functions whose derivative `unaryGrad` knows, computed from x and/or y = f(x). */
export type UnaryFn = 'sqrt' | 'exp' | 'log' | 'abs' | 'tanh' | 'sigmoid' | 'relu' | 'gelu' | 'pow';

export interface ElementwiseOps {
  // Binary (inputs have equal shapes; they may be stride-0 expanded views).
  add: NoAttrs;
  sub: NoAttrs;
  mul: NoAttrs;
  div: NoAttrs;
  /** NOTE: at a tie the gradient goes to the first argument. */
  maximum: NoAttrs;
  // Comparisons: 1 where true, 0 where false, in the inputs' dtype. Not differentiable.
  equal: NoAttrs;
  greater: NoAttrs;
  greaterEqual: NoAttrs;
  less: NoAttrs;
  lessEqual: NoAttrs;
  /** where(cond, a, b): a where cond != 0, else b. */
  where: NoAttrs;
  // Unary.
  neg: NoAttrs;
  sqrt: NoAttrs;
  exp: NoAttrs;
  log: NoAttrs;
  /** NOTE: subgradient 0 at x = 0. */
  abs: NoAttrs;
  sign: NoAttrs;
  tanh: NoAttrs;
  sigmoid: NoAttrs;
  /** NOTE: subgradient 0 at x = 0. */
  relu: NoAttrs;
  /** GELU, tanh approximation (Hendrycks & Gimpel; as in BERT / GPT-2): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
  gelu: NoAttrs;
  pow: { exponent: number };
  /** Backward of the unary ops in one fused pass: dx = dy * f'(x), from inputs [dy, x, y]. */
  unaryGrad: { fn: UnaryFn; exponent: number };
  /** Convert to another dtype (float32 <-> float64, or to / from int32 indices). */
  cast: { dtype: DType };
}

/** A 0-d tensor holding `value`, in the dtype of the tensor it will combine with. */
export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  const data = allocateArray(dtype, 1);
  data[0] = value;
  return tensorFromData(data, [], dtype);
}

function asTensor(value: Tensor | number, like: Tensor): Tensor {
  return typeof value === 'number' ? scalar(value, like.dtype) : value;
}

/** Broadcast both operands to a common shape with stride-0 `expand` views (no copy). */
function broadcastPair(op: string, a: Tensor, b: Tensor): [Tensor, Tensor] {
  if (a.dtype !== b.dtype) throw new Error(`${op}: dtypes differ (a=${a.dtype}${formatShape(a.shape)}, b=${b.dtype}${formatShape(b.shape)})`);
  if (shapesEqual(a.shape, b.shape)) return [a, b];
  const shape = broadcastShapes(op, a.shape, b.shape);
  return [expand(a, shape), expand(b, shape)];
}

type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'equal' | 'greater' | 'greaterEqual' | 'less' | 'lessEqual';

function binary(op: BinaryOp, a: Tensor, b: Tensor | number): Tensor {
  const [x, y] = broadcastPair(op, a, asTensor(b, a));
  return runOp(op, [x, y], {})[0];
}

type UnaryOp = 'neg' | 'sqrt' | 'exp' | 'log' | 'abs' | 'sign' | 'tanh' | 'sigmoid' | 'relu' | 'gelu';

function unary(op: UnaryOp, x: Tensor): Tensor {
  if (x.dtype === 'int32') throw new Error(`${op}: expected a float tensor, got int32${formatShape(x.shape)}`);
  return runOp(op, [x], {})[0];
}

/** a + b, broadcasting. */
export const add = (a: Tensor, b: Tensor | number): Tensor => binary('add', a, b);
/** a - b, broadcasting. */
export const sub = (a: Tensor, b: Tensor | number): Tensor => binary('sub', a, b);
/** a * b, broadcasting. */
export const mul = (a: Tensor, b: Tensor | number): Tensor => binary('mul', a, b);
/** a / b, broadcasting. */
export const div = (a: Tensor, b: Tensor | number): Tensor => binary('div', a, b);
/** Elementwise max(a, b), broadcasting. */
export const maximum = (a: Tensor, b: Tensor | number): Tensor => binary('maximum', a, b);
export const equal = (a: Tensor, b: Tensor | number): Tensor => binary('equal', a, b);
export const greater = (a: Tensor, b: Tensor | number): Tensor => binary('greater', a, b);
export const greaterEqual = (a: Tensor, b: Tensor | number): Tensor => binary('greaterEqual', a, b);
export const less = (a: Tensor, b: Tensor | number): Tensor => binary('less', a, b);
export const lessEqual = (a: Tensor, b: Tensor | number): Tensor => binary('lessEqual', a, b);

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);
export const sign = (x: Tensor): Tensor => unary('sign', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
export const gelu = (x: Tensor): Tensor => unary('gelu', x);

/** x ** exponent for a constant exponent. */
export function pow(x: Tensor, exponent: number): Tensor {
  if (x.dtype === 'int32') throw new Error(`pow: expected a float tensor, got int32${formatShape(x.shape)}`);
  if (!Number.isFinite(exponent)) throw new Error(`pow: exponent must be finite, got ${exponent}`);
  return runOp('pow', [x], { exponent })[0];
}

export const square = (x: Tensor): Tensor => pow(x, 2);

/** cond ? a : b elementwise, broadcasting all three. The gradient flows to a and b, never to cond. */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const like = typeof a === 'number' ? (typeof b === 'number' ? cond : b) : a;
  const ta = asTensor(a, like);
  const tb = asTensor(b, like);
  if (ta.dtype !== tb.dtype) throw new Error(`where: dtypes differ (a=${ta.dtype}, b=${tb.dtype})`);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, ta.shape), tb.shape);
  return runOp('where', [expand(cond, shape), expand(ta, shape), expand(tb, shape)], {})[0];
}

/** dx = dy * f'(x) for a unary f, in one pass (used by the gradient rules; y = f(x) saves recomputing f). */
export function unaryGrad(fn: UnaryFn, dy: Tensor, x: Tensor, y: Tensor, exponent = 1): Tensor {
  return runOp('unaryGrad', [dy, x, y], { fn, exponent })[0];
}

/** Convert to another dtype (a copy). */
export function cast(x: Tensor, dtype: DType): Tensor {
  return runOp('cast', [x], { dtype })[0];
}
