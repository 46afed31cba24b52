// Writing a tensor's values on the device in place: its storage takes a new device array, the tensor keeps its identity.
//
// Layers and optimisers hold parameter and gradient tensors by identity, so an update on the device swaps
// the storage's device array (`Storage.setDevice`, which frees the old one) instead of making a new tensor.

import { allocateArray } from '../../tensor/dtype.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { GpuArray } from './context.ts';

/**
 * Throw unless `x` is its storage's whole, contiguous float32 view: replacing the values of any other view
 * would lose the storage's elements outside it. Call before running the kernels, so nothing leaks on error.
 */
export function assertOwnsStorage(who: string, name: string, x: Tensor): void {
  if (x.dtype !== 'float32') throw new Error(`${who}: '${name}' is ${x.dtype}; gpu.js computes in float32 only`);
  const device = x.storage.device;
  const length = device === null ? x.storage.data.length : device instanceof GpuArray ? device.length : -1;
  if (!x.isContiguous || x.offset !== 0 || length !== x.size) {
    throw new Error(`${who}: '${name}' must own its whole storage to be updated in place (shape [${x.shape}], offset ${x.offset}, storage of ${length} values)`);
  }
}

/** Make `array` (a kernel's result over all of `x`'s elements) the values of `x`, which must own its storage. */
export function replaceOnDevice(x: Tensor, array: GpuArray): void {
  x.storage.setDevice(array, allocateArray(x.dtype, 0));
}
