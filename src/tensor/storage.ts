// Reference-counted typed-array storage, a size-keyed buffer pool, and `tidy` scopes that return buffers to it.
//
// Why a pool: a training step creates hundreds of short-lived tensors of the same few sizes. Handing their
// buffers back at the end of the step and reusing them on the next removes nearly all allocation (and GC
// pauses) from the steady state. Nothing is pooled unless a tensor is disposed, explicitly or by `tidy`.

import { allocateArray, type DType, type TypedArray } from './dtype.ts';

/** One buffer shared by a tensor and all of its views; freed when the last view is disposed. */
export class Storage {
  /** Number of live tensors viewing this buffer. */
  refs = 0;
  constructor(public data: TypedArray) {}
}

const MAX_POOLED_BUFFERS_PER_SIZE = 64;
const pool = new Map<string, TypedArray[]>();
const poolStats = { hits: 0, misses: 0, released: 0 };

function poolKey(dtype: DType, size: number): string {
  return `${dtype}:${size}`;
}

/**
 * A buffer of `size` elements. NOTE: a recycled buffer holds stale values unless `zero` is set: kernels
 * that overwrite every element skip the fill, kernels that accumulate (`+=`) must ask for zeros.
 */
export function acquireArray(dtype: DType, size: number, zero: boolean): TypedArray {
  const free = pool.get(poolKey(dtype, size));
  const recycled = free?.pop();
  if (recycled) {
    poolStats.hits++;
    if (zero) recycled.fill(0);
    return recycled;
  }
  poolStats.misses++;
  return allocateArray(dtype, size);
}

export function releaseArray(dtype: DType, array: TypedArray): void {
  if (array.length === 0) return;
  const key = poolKey(dtype, array.length);
  let free = pool.get(key);
  if (!free) pool.set(key, (free = []));
  if (free.length < MAX_POOLED_BUFFERS_PER_SIZE) {
    free.push(array);
    poolStats.released++;
  }
}

/** Pool counters, for tests and benchmarks. */
export function bufferPoolStats(): { hits: number; misses: number; released: number; pooledBuffers: number } {
  let pooledBuffers = 0;
  for (const free of pool.values()) pooledBuffers += free.length;
  return { ...poolStats, pooledBuffers };
}

export function clearBufferPool(): void {
  pool.clear();
}

// ---- tidy scopes -------------------------------------------------------------------------------------

/** Anything `tidy` can track: tensors register here when they are created. */
export interface Disposable {
  dispose(): void;
  readonly disposed: boolean;
}

const scopes: Set<Disposable>[] = [];

/** Called by the Tensor constructor: the innermost open scope owns the new tensor. */
export function trackInScope(t: Disposable): void {
  scopes[scopes.length - 1]?.add(t);
}

/** Remove a tensor from every open scope so it outlives them (parameters, gradients, results). */
export function keep<T extends Disposable>(t: T): T {
  for (const scope of scopes) scope.delete(t);
  return t;
}

/**
 * Run `fn`, then dispose every tensor created inside it except those it returns (a tensor, or an array /
 * object of tensors, one level deep) and those passed to `keep`.
 *
 * @example
 * const loss = tidy(() => crossEntropy(model.forward(x), labels)); // intermediates go back to the pool
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    scopes.pop();
    for (const t of scope) if (!t.disposed) t.dispose(); // nothing escaped: return everything to the pool
    throw error;
  }
  scopes.pop();
  const survivors = collectDisposables(result);
  for (const t of survivors) scope.delete(t);
  for (const t of scope) if (!t.disposed) t.dispose();
  // Survivors now belong to the enclosing scope, if any.
  for (const t of survivors) trackInScope(t);
  return result;
}

function collectDisposables(value: unknown): Disposable[] {
  const isDisposable = (v: unknown): v is Disposable =>
    typeof v === 'object' && v !== null && typeof (v as Disposable).dispose === 'function';
  if (isDisposable(value)) return [value];
  if (Array.isArray(value)) return value.filter(isDisposable);
  if (typeof value === 'object' && value !== null) return Object.values(value).filter(isDisposable);
  return [];
}
