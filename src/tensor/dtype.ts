// Element types a tensor can hold, and the typed array behind each.

/** float32 is the default; float64 exists for gradient checks; int32 holds indices and labels. */
export type DType = 'float32' | 'float64' | 'int32';

export type FloatArray = Float32Array | Float64Array;
export type TypedArray = Float32Array | Float64Array | Int32Array;

/**
 * Where float32 buffers come from. A fast backend may install its own (the WebAssembly backend allocates
 * inside its linear memory, so its kernels read tensors in place instead of copying them in and out).
 * The allocator must return a zero-filled array of exactly `size` elements.
 */
let float32Allocator: ((size: number) => Float32Array) | null = null;

export function setFloat32Allocator(allocate: ((size: number) => Float32Array) | null): void {
  float32Allocator = allocate;
}

/** Allocate a zero-filled typed array of the dtype. */
export function allocateArray(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return float32Allocator ? float32Allocator(size) : new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    default:
      return dtype satisfies never;
  }
}

export function dtypeOf(array: TypedArray): DType {
  if (array instanceof Float32Array) return 'float32';
  if (array instanceof Float64Array) return 'float64';
  return 'int32';
}

export function isFloat(dtype: DType): boolean {
  return dtype !== 'int32';
}
