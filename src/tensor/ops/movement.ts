// Movement and indexing ops: views (reshape, permute, expand), copies (contiguous, slice, concat, pad) and index ops.

import { type Shape, formatShape, normaliseAxis, shapesEqual, sizeOf } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { runOp } from '../dispatch.ts';

export interface MovementOps {
  /** A view with a new shape (copies first when the input is a strided view). */
  reshape: { shape: number[] };
  /** A view with axes reordered: y.shape[i] = x.shape[axes[i]]. */
  permute: { axes: number[] };
  /** A stride-0 view that repeats size-1 (or missing leading) axes: the only place broadcasting happens. */
  expand: { shape: number[] };
  /** A contiguous row-major copy of any view. */
  copy: Record<string, never>;
  /** Sum back to a smaller shape: the inverse of expand (its gradient). */
  sumToShape: { shape: number[] };
}

/**
 * A view of `x` with a new shape; one entry may be -1 (inferred). No copy when `x` is contiguous.
 *
 * @example
 * arange(6).reshape([2, -1]).shape;   // [2, 3]
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const inferred = [...shape];
  const unknown = inferred.indexOf(-1);
  if (unknown >= 0) {
    if (inferred.indexOf(-1, unknown + 1) >= 0) throw new Error(`reshape: only one -1 allowed in ${formatShape(shape)}`);
    const known = sizeOf(inferred.filter((_, i) => i !== unknown));
    inferred[unknown] = known === 0 ? 0 : x.size / known;
  }
  if (!inferred.every((d) => Number.isInteger(d) && d >= 0) || sizeOf(inferred) !== x.size) {
    throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`);
  }
  if (shapesEqual(inferred, x.shape)) return x;
  return runOp('reshape', [x], { shape: inferred })[0];
}

/** Reorder axes: y.shape[i] = x.shape[axes[i]]. A view (no copy). */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  const normalised = axes.map((a) => normaliseAxis('permute', a, x.rank));
  if (normalised.length !== x.rank || new Set(normalised).size !== x.rank) {
    throw new Error(`permute: axes [${axes.join(',')}] are not a permutation of ${x.rank} axes (x=${formatShape(x.shape)})`);
  }
  if (normalised.every((a, i) => a === i)) return x;
  return runOp('permute', [x], { axes: normalised })[0];
}

/** Swap two axes (default: the last two). A view. */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  const axes = Array.from({ length: x.rank }, (_, i) => i);
  const a = normaliseAxis('transpose', axis0, x.rank);
  const b = normaliseAxis('transpose', axis1, x.rank);
  [axes[a], axes[b]] = [axes[b], axes[a]];
  return permute(x, axes);
}

/**
 * Broadcast `x` to `shape` without copying: size-1 axes (and missing leading axes) get stride 0.
 * Its gradient sums back over the repeated axes.
 */
export function expand(x: Tensor, shape: Shape): Tensor {
  if (shapesEqual(x.shape, shape)) return x;
  const offset = shape.length - x.rank;
  const ok = offset >= 0 && x.shape.every((d, i) => d === shape[i + offset] || d === 1);
  if (!ok) throw new Error(`expand: cannot broadcast ${formatShape(x.shape)} to ${formatShape(shape)}`);
  return runOp('expand', [x], { shape: [...shape] })[0];
}

/** A contiguous copy (differentiable). Kernels that need row-major data call this through `Tensor.contiguous()`. */
export function copy(x: Tensor): Tensor {
  return runOp('copy', [x], {})[0];
}

/** Sum `x` down to `shape`, which must broadcast to x.shape (the gradient of expand). */
export function sumToShape(x: Tensor, shape: Shape): Tensor {
  if (shapesEqual(x.shape, shape)) return x;
  const offset = x.rank - shape.length;
  const ok = offset >= 0 && shape.every((d, i) => d === x.shape[i + offset] || d === 1);
  if (!ok) throw new Error(`sumToShape: ${formatShape(shape)} does not broadcast to ${formatShape(x.shape)}`);
  return runOp('sumToShape', [x], { shape: [...shape] })[0];
}
