// Moving tensors between the engine and gpu.js kernels: kernel arguments, strided layouts, staging copies, device-resident outputs.

import { allocateArray, type DType } from '../../tensor/dtype.ts';
import { Storage } from '../../tensor/storage.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { sizeOf } from '../../tensor/shape.ts';
import { collapseAxes } from '../cpu/strided.ts';
import { GpuArray, type Constants, type GpuContext, type KernelArg } from './context.ts';

/** Strided views up to this rank (after merging mergeable axes) are read in place; others decline the GPU. */
export const MAX_STRIDED_RANK = 4;

/**
 * The values a kernel reads for `x`: its storage's device array. Host storage is uploaded first, once, and
 * the storage then lives on the device (`Storage.setDevice`), so a batch read by four kernels or a weight
 * read every step crosses to the device one time, not once per kernel call.
 * NOTE: the host array is dropped, not recycled: it may be a caller's array (`tensorFromData`). A caller
 * that writes into that array directly, bypassing the tensor, is not seen by the device copy; every engine
 * write goes through `storage.data`, which first brings the values back to the host.
 */
export function storageArg(context: GpuContext, x: Tensor): KernelArg {
  const device = x.storage.device;
  if (device instanceof GpuArray && device.context === context) return device.value;
  const data = x.storage.data; // host values (downloads a foreign device copy first)
  // NOTE: int32 (labels, argmax indices) travels as float32: exact below 2^24, far above any index here.
  const host = data instanceof Float32Array ? data : Float32Array.from(data);
  const uploaded = context.run('upload', uploadBody, host.length, {}, [host], x.dtype);
  context.stats.uploads++;
  x.storage.setDevice(uploaded, allocateArray(x.dtype, 0));
  return uploaded.value;
}

// y[i] = x[i]: the host array becomes a device array (a texture in GL modes).
function uploadBody(this: { thread: { x: number } }, x: Float32Array): number {
  return x[this.thread.x];
}

/** A tensor whose values stay on the device until something reads them on the host. */
export function deviceTensor(array: GpuArray, shape: readonly number[], dtype: DType = array.dtype): Tensor {
  return new Tensor(Storage.onDevice(array, allocateArray(dtype, 0)), shape, dtype);
}

/** A view's layout as at most MAX_STRIDED_RANK axes (leading axes padded with size 1), or null when it needs more. */
export interface Layout4 {
  /** d0..d3, outermost first. */
  dims: number[];
  /** strides[i][0..3] of input i. */
  strides: number[][];
}

/** Merge the axes every input can walk together, as the CPU kernels do, then pad to 4 axes. */
export function layout4(shape: readonly number[], strides: readonly (readonly number[])[]): Layout4 | null {
  const collapsed = collapseAxes(shape, strides);
  const rank = collapsed.shape.length;
  if (rank > MAX_STRIDED_RANK) return null;
  const pad = MAX_STRIDED_RANK - rank;
  return {
    dims: [...new Array<number>(pad).fill(1), ...collapsed.shape],
    strides: collapsed.strides.map((s) => [...new Array<number>(pad).fill(0), ...s]),
  };
}

/** The constants that decode a flat output index into 4 axes: n3 = d3, n23 = d2·d3, n123 = d1·d2·d3. */
export function decodeConstants(dims: readonly number[]): Constants {
  return { n3: dims[3], n23: dims[2] * dims[3], n123: dims[1] * dims[2] * dims[3] };
}

/** Per-input stride constants `${p}s0..${p}s3` and the offset `${p}o`. */
export function strideConstants(prefix: string, strides: readonly number[], offset: number): Constants {
  return { [`${prefix}s0`]: strides[0], [`${prefix}s1`]: strides[1], [`${prefix}s2`]: strides[2], [`${prefix}s3`]: strides[3], [`${prefix}o`]: offset };
}

// y[i] = x[xo + i0·xs0 + i1·xs1 + i2·xs2 + i3·xs3], with (i0..i3) the row-major position of i.
function stridedCopyBody(this: { thread: { x: number }; constants: Constants }, x: Float32Array): number {
  const i = this.thread.x;
  const i0 = Math.floor(i / this.constants.n123);
  const r1 = i - i0 * this.constants.n123;
  const i1 = Math.floor(r1 / this.constants.n23);
  const r2 = r1 - i1 * this.constants.n23;
  const i2 = Math.floor(r2 / this.constants.n3);
  const i3 = r2 - i2 * this.constants.n3;
  return x[this.constants.xo + i0 * this.constants.xs0 + i1 * this.constants.xs1 + i2 * this.constants.xs2 + i3 * this.constants.xs3];
}

/** A row-major device copy of any view of rank <= 4 after merging (null when it has more strided axes). */
export function stridedCopy(context: GpuContext, x: Tensor, shape: readonly number[] = x.shape, strides: readonly number[] = x.strides): GpuArray | null {
  const layout = layout4(shape, [strides]);
  if (layout === null) return null;
  const constants = { ...decodeConstants(layout.dims), ...strideConstants('x', layout.strides[0], x.offset) };
  return context.run('copy', stridedCopyBody, sizeOf(shape), constants, [storageArg(context, x)], x.dtype);
}

/**
 * Contiguous kernel inputs: each tensor as (argument, offset). Contiguous views are read in place; strided
 * ones are copied on the device first, and `release()` frees those copies after the kernel ran.
 *
 * @example
 * const staging = new Staging(ctx);
 * const [x] = staging.contiguous(input);   // x.arg, x.offset
 * const y = ctx.run('relu', reluBody, n, { xo: x.offset }, [x.arg]);
 * staging.release();
 */
export class Staging {
  private readonly temporaries: GpuArray[] = [];

  constructor(private readonly context: GpuContext) {}

  contiguous(...xs: Tensor[]): { arg: KernelArg; offset: number }[] {
    return xs.map((x) => {
      if (x.isContiguous) return { arg: storageArg(this.context, x), offset: x.offset };
      const copy = stridedCopy(this.context, x);
      if (copy === null) throw new Error(`gpu: cannot stage a view with more than ${MAX_STRIDED_RANK} strided axes (shape [${x.shape}], strides [${x.strides}])`);
      this.temporaries.push(copy);
      return { arg: copy.value, offset: 0 };
    });
  }

  /** Keep a device array alive until release (an intermediate between two kernels of one op). */
  hold(array: GpuArray): GpuArray {
    this.temporaries.push(array);
    return array;
  }

  release(): void {
    for (const t of this.temporaries) t.dispose();
    this.temporaries.length = 0;
  }
}

/** True when a view can be staged (contiguous, or at most 4 strided axes after merging). */
export function stageable(x: Tensor): boolean {
  return x.isContiguous || layout4(x.shape, [x.strides]) !== null;
}

/** A 1-element placeholder argument for optional inputs (gpu.js kernels have a fixed arity). */
export const NO_INPUT = new Float32Array(1);
