// Reference-counted typed-array storage, a size-keyed buffer pool, and `tidy` scopes that return buffers to it.
//
// Why a pool: a training step creates hundreds of short-lived tensors of the same few sizes. Handing their
// buffers back at the end of the step and reusing them on the next removes nearly all allocation (and GC
// pauses) from the steady state. Nothing is pooled unless a tensor is disposed, explicitly or by `tidy`.

import { allocateArray, type DType, type TypedArray } from './dtype.ts';

/**
 * Values held by a device (the gpu.js backend: a texture or buffer). The engine core only moves them to the
 * host and frees them; a device backend (src/kernels/gpu) creates them and reads `Storage.device`.
 */
export interface DeviceData {
  /** The values as a new host array (pooled, the storage's dtype). Throws where the device reads back only asynchronously. */
  download(): TypedArray;
  /**
   * The same, waiting for the device where it must (gpu.js webgpu). Optional: a device without it is read
   * with `download()`.
   */
  downloadAsync?(): Promise<TypedArray>;
  /** Free the device memory (idempotent). */
  dispose(): void;
}

/**
 * One buffer shared by a tensor and all of its views; freed when the last view is disposed.
 *
 * The values live either on the host (`data`, a typed array) or on a device (`device`), never both: a
 * device backend creates device-resident storage with `Storage.onDevice`, and the first host access to
 * `data` downloads the values and frees the device copy. NOTE: any host access counts as a possible write
 * (kernels and optimisers write through `data`), so the host becomes the only copy; a device kernel that
 * reads host storage uploads it again. The CPU path pays one null check per `data` access and nothing else.
 */
export class Storage {
  /** Number of live tensors viewing this buffer. */
  refs = 0;
  private host: TypedArray;
  private deviceData: DeviceData | null = null;

  /**
   * @param owned false for memory the caller handed in (tensorFromData, fromNdarray): it never goes into
   *   the buffer pool, where an unrelated op could later overwrite the caller's array.
   */
  constructor(
    data: TypedArray,
    readonly owned = true,
  ) {
    this.host = data;
  }

  /** Device-resident storage; `placeholder` (an empty array of the dtype) stands in until a host access. */
  static onDevice(device: DeviceData, placeholder: TypedArray): Storage {
    const storage = new Storage(placeholder);
    storage.deviceData = device;
    return storage;
  }

  /** The host values (downloaded first, once, when the storage is on a device). */
  get data(): TypedArray {
    if (this.deviceData !== null) this.moveToHost();
    return this.host;
  }

  set data(values: TypedArray) {
    this.host = values;
  }

  /**
   * `data`, for devices that read back only asynchronously (gpu.js webgpu): the values come to the host
   * and the device copy is freed, as on a synchronous first access; afterwards `data` is the host array.
   * A write to the device meanwhile (`setDevice`) is waited for too: the result is always the newest values.
   */
  async dataAsync(): Promise<TypedArray> {
    for (let device = this.deviceData; device !== null; device = this.deviceData) {
      let host: TypedArray;
      try {
        host = await (device.downloadAsync ? device.downloadAsync() : device.download());
      } catch (error) {
        // A write meanwhile disposed `device` (setDevice), so its read may fail: read the new values instead.
        if (this.deviceData !== device) continue;
        throw error;
      }
      if (this.deviceData !== device) continue; // written or read while we waited: read what is there now
      this.deviceData = null;
      this.host = host;
      device.dispose();
    }
    return this.host;
  }

  /** The device copy, or null when the values are on the host. */
  get device(): DeviceData | null {
    return this.deviceData;
  }

  /**
   * A device-side write (an optimiser step on the device): `device` now holds the values; the host copy
   * and any previous device copy are dropped. Views of this storage see the new values.
   */
  setDevice(device: DeviceData, placeholder: TypedArray): void {
    if (this.deviceData !== device) this.deviceData?.dispose();
    this.deviceData = device;
    this.host = placeholder;
  }

  /** Free the device copy without downloading it (disposal: the values are no longer needed). */
  releaseDevice(): void {
    const device = this.deviceData;
    this.deviceData = null;
    device?.dispose();
  }

  private moveToHost(): void {
    const device = this.deviceData!;
    // NOTE: download first: where it throws (an asynchronous-only device) the values must stay on the device.
    this.host = device.download();
    this.deviceData = null;
    device.dispose();
  }
}

const MAX_POOLED_BUFFERS_PER_SIZE = 64;
/** Total bytes the pool may hold; beyond it the least recently used sizes are dropped (GC reclaims them). */
const MAX_POOLED_BYTES = 256 * 1024 * 1024;
// A Map iterates in insertion order: re-inserting a size on release keeps the least recently used first.
const pool = new Map<string, TypedArray[]>();
let pooledBytes = 0;
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
    pooledBytes -= recycled.byteLength;
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
  if (free) pool.delete(key); // re-inserted below: this size becomes the most recently used
  else free = [];
  pool.set(key, free);
  if (free.length < MAX_POOLED_BUFFERS_PER_SIZE) {
    free.push(array);
    pooledBytes += array.byteLength;
    poolStats.released++;
  }
  // Bound the pool's memory (workloads whose sizes keep changing would otherwise grow it without limit).
  for (const [oldKey, buffers] of pool) {
    if (pooledBytes <= MAX_POOLED_BYTES) break;
    for (const b of buffers) pooledBytes -= b.byteLength;
    pool.delete(oldKey);
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
  pooledBytes = 0;
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
  // Survivors created in this scope now belong to the enclosing one, if any. A returned tensor created
  // outside (a parameter passed through a no-op reshape, say) stays untracked, as it was.
  const adopted = collectDisposables(result).filter((t) => scope.delete(t));
  for (const t of scope) if (!t.disposed) t.dispose();
  for (const t of adopted) trackInScope(t);
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
