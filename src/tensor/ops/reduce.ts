// Reductions: sum, mean, max and logsumexp over any axes. Primitives reduce the middle axis of [O, R, I].
//
// Why [O, R, I]: any reduction over a contiguous block of axes is a reshape away from it, and a kernel over
// [O, R, I] streams memory in order. Other axis sets are permuted to the end first (one copy).

import { normaliseAxes, sizeOf } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { runOp } from '../dispatch.ts';
import { permute, reshape } from './movement.ts';
import { mul } from './elementwise.ts';

type NoAttrs = Record<string, never>;

export interface ReduceOps {
  /** [O, R, I] -> [O, I]: sum over R. */
  sum: NoAttrs;
  /** [O, R, I] -> [O, I]: max over R; saves the argmax. NOTE: ties go to the lowest index (as argmax). */
  max: NoAttrs;
  /** [O, R, I] -> [O, I]: log(sum(exp(x))) over R, stable (subtracts the max first). */
  logsumexp: NoAttrs;
  /** Backward of max: dx[o, argmax[o, i], i] = dy[o, i], zeros elsewhere. Inputs [dy, argmax]. */
  maxBackward: { reduceSize: number };
}

type ReduceName = 'sum' | 'max' | 'logsumexp';

/** Lay `x` out as [O, R, I] for `axes`, run the primitive, and shape the result (keepDims or not). */
function reduce(op: ReduceName, x: Tensor, axes: number | readonly number[] | undefined, keepDims: boolean): Tensor {
  if (x.dtype === 'int32') throw new Error(`${op}: expected a float tensor, got int32`);
  const reduced = normaliseAxes(op, axes, x.rank);
  const outShape: number[] = [];
  x.shape.forEach((d, i) => {
    if (!reduced.includes(i)) outShape.push(d);
    else if (keepDims) outShape.push(1);
  });
  if (reduced.length === 0) return x;
  const first = reduced[0];
  const last = reduced[reduced.length - 1];
  let x3: Tensor;
  if (last - first + 1 === reduced.length) {
    // A contiguous block of axes: a reshape, no copy for contiguous x.
    const O = sizeOf(x.shape.slice(0, first));
    const R = sizeOf(x.shape.slice(first, last + 1));
    x3 = reshape(x, [O, R, sizeOf(x.shape.slice(last + 1))]);
  } else {
    const kept = x.shape.map((_, i) => i).filter((i) => !reduced.includes(i));
    const moved = permute(x, [...kept, ...reduced]);
    x3 = reshape(moved, [sizeOf(kept.map((i) => x.shape[i])), sizeOf(reduced.map((i) => x.shape[i])), 1]);
  }
  return reshape(runOp(op, [x3], {})[0], outShape);
}

/**
 * Sum over `axes` (default: all). `keepDims` keeps reduced axes as size 1.
 *
 * @example
 * tensor([[1, 2], [3, 4]]).sum(0).toArray();   // [4, 6]
 */
export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  return reduce('sum', x, axes, keepDims);
}

/** Mean over `axes` (default: all). */
export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const reduced = normaliseAxes('mean', axes, x.rank);
  const count = sizeOf(reduced.map((a) => x.shape[a]));
  return mul(sum(x, reduced, keepDims), 1 / count);
}

/** Max over `axes` (default: all). The gradient goes to the first maximal element. */
export function max(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  return reduce('max', x, axes, keepDims);
}

/** log(sum(exp(x))) over `axes`, computed stably. */
export function logsumexp(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  return reduce('logsumexp', x, axes, keepDims);
}

/** Backward of the max primitive (used by its gradient rule). */
export function maxBackward(dy: Tensor, argmax: Tensor, reduceSize: number): Tensor {
  return runOp('maxBackward', [dy, argmax], { reduceSize })[0];
}

