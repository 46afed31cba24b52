// Movement and indexing ops: views (reshape, permute, expand, slice), copies (contiguous, concat, pad) and index ops (gather, scatterAdd, embedding).

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

  // ---- indexing (slice, concat, pad, gather, scatterAdd) ----
  /** A strided view: y[i] = x[begin + i * step] for begin + i * step < end, on every axis (step >= 1). Never copies. */
  slice: { begin: number[]; end: number[]; step: number[] };
  /** Backward of slice: dy written into zeros of x's shape at begin + i * step. */
  sliceBackward: { shape: number[]; begin: number[]; step: number[] };
  /** Join equal-rank tensors along `axis` (a copy). */
  concat: { axis: number };
  /** Surround x with `padding[a] = [before, after]` elements of `value` on each axis a (a copy). */
  pad: { padding: [number, number][]; value: number };
  /** y = x.shape[:axis] + indices.shape + x.shape[axis+1:]: whole slices of x picked by int32 indices (np.take). */
  gather: { axis: number };
  /** y = base, then y[.., indices[j], ..] += src[.., j, ..] along `axis`: the adjoint of gather. */
  scatterAdd: { axis: number };
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

// ---- indexing -----------------------------------------------------------------------------------------

/**
 * The part of `x` from `begin` (inclusive) to `end` (exclusive) every `step` elements, per axis: a strided
 * view, never a copy. Missing trailing entries take the whole axis; negative begin / end count from the end
 * (as in Python); `end` defaults to the axis size and `step` to 1.
 *
 * NOTE: out-of-range bounds are an error, not clamped as in Python: a silent clamp hides off-by-one bugs.
 *
 * @example
 * const x = arange(12).reshape([3, 4]);
 * slice(x, [1, 1], [3, 3]).toArray();          // [[5, 6], [9, 10]]
 * slice(x, [0, 0], undefined, [2, 3]).toArray(); // [[0, 3], [8, 11]]
 */
export function slice(x: Tensor, begin: readonly number[], end?: readonly number[], step?: readonly number[]): Tensor {
  const describe = (): string =>
    `x=${formatShape(x.shape)}, begin=[${begin.join(',')}]${end ? `, end=[${end.join(',')}]` : ''}${step ? `, step=[${step.join(',')}]` : ''}`;
  if (begin.length > x.rank || (end && end.length > x.rank) || (step && step.length > x.rank)) {
    throw new Error(`slice: more bounds than axes (${describe()})`);
  }
  const b: number[] = [];
  const e: number[] = [];
  const s: number[] = [];
  const shape: number[] = [];
  for (let a = 0; a < x.rank; a++) {
    const d = x.shape[a];
    const lo = begin[a] ?? 0;
    const hi = end?.[a] ?? d;
    const st = step?.[a] ?? 1;
    const from = lo < 0 ? lo + d : lo;
    const to = hi < 0 ? hi + d : hi;
    if (!Number.isInteger(st) || st < 1) throw new Error(`slice: step must be a positive integer on axis ${a} (${describe()})`);
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > d || from > to) {
      throw new Error(`slice: bounds [${lo}, ${hi}) out of range on axis ${a} of size ${d} (${describe()})`);
    }
    b.push(from);
    e.push(to);
    s.push(st);
    shape.push(Math.ceil((to - from) / st));
  }
  if (shapesEqual(shape, x.shape)) return x;
  return runOp('slice', [x], { begin: b, end: e, step: s })[0];
}

/** Backward of `slice` (used by its gradient rule): `dy` placed into zeros of `shape`. */
export function sliceBackward(dy: Tensor, shape: Shape, begin: readonly number[], step: readonly number[]): Tensor {
  return runOp('sliceBackward', [dy], { shape: [...shape], begin: [...begin], step: [...step] })[0];
}

/**
 * Join tensors along `axis`; all other axes must match. The gradient slices dy back into the pieces.
 *
 * @example
 * concat([ones([2, 1]), zeros([2, 3])], 1).shape;   // [2, 4]
 */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('concat: no tensors to join');
  const first = xs[0];
  const ax = normaliseAxis('concat', axis, first.rank);
  const shapes = (): string => xs.map((t) => formatShape(t.shape)).join(', ');
  for (const t of xs) {
    if (t.dtype !== first.dtype) throw new Error(`concat: dtypes differ (${xs.map((u) => u.dtype).join(', ')})`);
    const ok = t.rank === first.rank && t.shape.every((d, i) => i === ax || d === first.shape[i]);
    if (!ok) throw new Error(`concat: shapes differ outside axis ${ax} (${shapes()})`);
  }
  if (xs.length === 1) return first;
  return runOp('concat', xs, { axis: ax })[0];
}

/**
 * Pad every axis with `padding[a] = [before, after]` copies of `value` (one pair per axis; [0, 0] leaves
 * an axis alone). The gradient is the slice of dy that covers x.
 *
 * @example
 * pad(tensor([[1, 2]]), [[0, 0], [1, 2]]).toArray();   // [[0, 1, 2, 0, 0]]
 */
export function pad(x: Tensor, padding: readonly (readonly [number, number])[], value = 0): Tensor {
  const pairs = padding.map(([before, after]) => [before, after] as [number, number]);
  if (pairs.length !== x.rank) {
    throw new Error(`pad: expected ${x.rank} [before, after] pairs for x=${formatShape(x.shape)}, got ${pairs.length}`);
  }
  for (const [before, after] of pairs) {
    if (!Number.isInteger(before) || !Number.isInteger(after) || before < 0 || after < 0) {
      throw new Error(`pad: padding must be non-negative integers (x=${formatShape(x.shape)}, padding=${JSON.stringify(pairs)})`);
    }
  }
  if (pairs.every(([before, after]) => before === 0 && after === 0)) return x;
  return runOp('pad', [x], { padding: pairs, value })[0];
}

/** Throw unless `indices` is int32 with every value in [0, size). `what` names the op and context. */
export function checkIndices(what: string, indices: Tensor, size: number, context: string): void {
  if (indices.dtype !== 'int32') throw new Error(`${what}: indices must be int32, got ${indices.dtype}${formatShape(indices.shape)} (${context})`);
  // NOTE: device-resident indices are not read back to be checked (a download per call, impossible on an
  // asynchronous device): they were checked as host values before their first upload, or a kernel made them.
  if (indices.storage.device !== null) return;
  const values = indices.contiguous().values;
  for (let j = 0; j < values.length; j++) {
    const i = values[j];
    if (i < 0 || i >= size) throw new Error(`${what}: index ${i} at flat position ${j} out of range [0, ${size}) (${context})`);
  }
}

/**
 * Pick whole slices of `x` along `axis` by int32 `indices` (like torch.index_select for 1-d indices and
 * np.take / tf.gather for any rank): y.shape = x.shape[:axis] + indices.shape + x.shape[axis+1:], and
 * y[.., j, ..] = x[.., indices[j], ..]. Indices may repeat; the gradient scatter-adds (see `scatterAdd`).
 *
 * @example
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * gather(x, tensor([2, 0], { dtype: 'int32' }), 1).toArray();   // [[3, 1], [6, 4]]
 */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  const ax = normaliseAxis('gather', axis, x.rank);
  checkIndices('gather', indices, x.shape[ax], `axis ${ax} of x=${formatShape(x.shape)}, indices=${formatShape(indices.shape)}`);
  return runOp('gather', [x, indices], { axis: ax })[0];
}

/**
 * `base` plus `src` added at `indices` along `axis`: y = base; y[.., indices[j], ..] += src[.., j, ..].
 * Repeated indices accumulate. src.shape must be base.shape[:axis] + indices.shape + base.shape[axis+1:]
 * (the shape `gather(base, indices, axis)` would have): scatterAdd is gather's adjoint.
 *
 * @example
 * const counts = scatterAdd(zeros([3]), tensor([0, 2, 0], { dtype: 'int32' }), ones([3]), 0);
 * counts.toArray();   // [2, 0, 1]
 */
export function scatterAdd(base: Tensor, indices: Tensor, src: Tensor, axis = 0): Tensor {
  const ax = normaliseAxis('scatterAdd', axis, base.rank);
  const context = `axis ${ax} of base=${formatShape(base.shape)}, indices=${formatShape(indices.shape)}, src=${formatShape(src.shape)}`;
  if (src.dtype !== base.dtype) throw new Error(`scatterAdd: dtypes differ (base=${base.dtype}, src=${src.dtype})`);
  const expected = [...base.shape.slice(0, ax), ...indices.shape, ...base.shape.slice(ax + 1)];
  if (!shapesEqual(src.shape, expected)) throw new Error(`scatterAdd: src must have shape ${formatShape(expected)} (${context})`);
  checkIndices('scatterAdd', indices, base.shape[ax], context);
  return runOp('scatterAdd', [base, indices, src], { axis: ax })[0];
}

/**
 * Look up rows of `table` [V, D] by int32 `indices` of any shape: y = [...indices.shape, D]. The gradient
 * scatter-adds dy into the rows that were used (a row used twice gets both contributions).
 *
 * @example
 * const table = randn([100, 8], { rng });                       // 100 tokens, width 8
 * embedding(tensor([[3, 7, 7]], { dtype: 'int32' }), table).shape; // [1, 3, 8]
 */
export function embedding(indices: Tensor, table: Tensor): Tensor {
  if (table.rank !== 2) throw new Error(`embedding: table must be [V, D], got ${formatShape(table.shape)}`);
  checkIndices('embedding', indices, table.shape[0], `table=${formatShape(table.shape)}, indices=${formatShape(indices.shape)}`);
  return runOp('gather', [table, indices], { axis: 0 })[0]; // = gather(table, indices, 0), indices already checked
}
