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
  return new Tensor(new Storage(data as TypedArray), array.shape, dtypeOf(data as TypedArray), array.stride, array.offset);
}

/** An ndarray viewing the same memory as the tensor (no copy; strides and offset carried over). */
export function toNdarray(x: Tensor): ndarray.NdArray<TypedArray> {
  return ndarray(x.storage.data, [...x.shape], [...x.strides], x.offset);
}
