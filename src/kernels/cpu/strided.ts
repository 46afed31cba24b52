// Walking strided views: collapse mergeable axes, then visit the view row by row (the last axis is the inner loop).

import type { TypedArray } from '../../tensor/dtype.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { acquireArray } from '../../tensor/storage.ts';

export interface StridedLayout {
  shape: number[];
  /** strides[i][axis] for input i, after collapsing. */
  strides: number[][];
}

/**
 * Merge adjacent axes that every input can walk as one (stride[a] == stride[a+1] * shape[a+1]), so e.g. a
 * contiguous tensor becomes one long row and a bias broadcast over a batch becomes [B, N] rows.
 */
export function collapseAxes(shape: readonly number[], strides: readonly (readonly number[])[]): StridedLayout {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let axis = 0; axis < shape.length; axis++) {
    if (shape[axis] === 1) continue; // size-1 axes never move the pointer
    const last = outShape.length - 1;
    const mergeable =
      last >= 0 && strides.every((s, i) => outStrides[i][last] === s[axis] * shape[axis]);
    if (mergeable) {
      outShape[last] *= shape[axis];
      strides.forEach((s, i) => (outStrides[i][last] = s[axis]));
    } else {
      outShape.push(shape[axis]);
      strides.forEach((s, i) => outStrides[i].push(s[axis]));
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    outStrides.forEach((s) => s.push(1));
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Call `row(offsets, length)` once per row of the collapsed layout, where offsets[i] is the start of the row
 * in input i (including its base offset). Inner strides are layout.strides[i][last].
 */
export function forEachRow(
  layout: StridedLayout,
  baseOffsets: readonly number[],
  row: (offsets: readonly number[], length: number) => void,
): void {
  const { shape, strides } = layout;
  const rank = shape.length;
  const length = shape[rank - 1];
  let rows = 1;
  for (let a = 0; a < rank - 1; a++) rows *= shape[a];
  const counter = new Array<number>(rank).fill(0);
  const offsets = [...baseOffsets];
  for (let r = 0; r < rows; r++) {
    row(offsets, length);
    // Odometer increment over the outer axes, updating each input's offset incrementally.
    for (let a = rank - 2; a >= 0; a--) {
      counter[a]++;
      for (let i = 0; i < offsets.length; i++) offsets[i] += strides[i][a];
      if (counter[a] < shape[a]) break;
      for (let i = 0; i < offsets.length; i++) offsets[i] -= strides[i][a] * shape[a];
      counter[a] = 0;
    }
  }
}

/** Copy any view into a fresh contiguous (pooled) array in row-major order. */
export function gatherStrided(x: Tensor): TypedArray {
  const out = acquireArray(x.dtype, x.size, false);
  if (x.size === 0) return out;
  const src = x.storage.data;
  const layout = collapseAxes(x.shape, [x.strides]);
  const inner = layout.strides[0][layout.shape.length - 1];
  let k = 0;
  forEachRow(layout, [x.offset], (offsets, length) => {
    let p = offsets[0];
    if (inner === 1) {
      out.set(src.subarray(p, p + length), k);
      k += length;
    } else {
      for (let j = 0; j < length; j++, p += inner) out[k++] = src[p];
    }
  });
  return out;
}

/** The elements of `x` in row-major order: the storage itself when contiguous, else a strided copy. */
export function contiguousValues(x: Tensor): TypedArray {
  return x.isContiguous ? x.values : gatherStrided(x);
}
