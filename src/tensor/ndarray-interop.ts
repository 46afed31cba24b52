// Interop with scijs/ndarray: both are (data, shape, stride, offset) views, so conversion copies nothing.

import ndarray from 'ndarray';
import { Tensor } from './tensor.ts';
import { Storage } from './storage.ts';
import { type TypedArray, dtypeOf } from './dtype.ts';

/** A Tensor viewing the same memory as an ndarray over a Float32Array, Float64Array or Int32Array (no copy). */
export function fromNdarray(array: ndarray.NdArray): Tensor {
  const data = array.data as unknown;
  if (!(data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array)) {
    throw new Error(`fromNdarray: data must be a Float32Array, Float64Array or Int32Array (got ${Object.prototype.toString.call(data)})`);
  }
  // The furthest element the view reaches must lie inside the array (else reads would silently be NaN).
  let lo = array.offset;
  let hi = array.offset;
  array.shape.forEach((d, i) => {
    if (d === 0) return;
    const reach = (d - 1) * array.stride[i];
    if (reach < 0) lo += reach;
    else hi += reach;
  });
  const length = (data as TypedArray).length;
  if (array.size > 0 && (lo < 0 || hi >= length)) {
    throw new Error(`fromNdarray: shape [${array.shape.join(',')}], strides [${array.stride.join(',')}] and offset ${array.offset} reach elements ${lo}..${hi} of an array of ${length}`);
  }
  // Not owned: the caller's array never goes into the buffer pool when the tensor is disposed.
  return new Tensor(new Storage(data as TypedArray, false), array.shape, dtypeOf(data as TypedArray), array.stride, array.offset);
}

/** An ndarray viewing the same memory as the tensor (no copy; strides and offset carried over). */
export function toNdarray(x: Tensor): ndarray.NdArray<TypedArray> {
  return ndarray(x.storage.data, [...x.shape], [...x.strides], x.offset);
}
