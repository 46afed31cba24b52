// The Tensor: an N-d view (shape, strides, offset) over reference-counted typed-array storage, plus its autograd fields.

import { type DType, type TypedArray, isFloat } from './dtype.ts';
import { type Shape, contiguousStrides, formatShape, sizeOf } from './shape.ts';
import { Storage, acquireArray, keep, releaseArray, trackInScope } from './storage.ts';
import type { GraphNode } from '../autograd/node.ts';
import * as ops from './ops/index.ts';

/** Nested JavaScript arrays of numbers, as `toArray` returns and `tensor` accepts. */
export type NestedArray = number | NestedArray[];

/**
 * An N-d array of float32 (default), float64 or int32 values.
 *
 * A tensor is a *view*: `shape`, `strides` and `offset` say where its elements live in `storage.data`, so
 * reshape / permute / slice / expand are O(rank) and copy nothing (like scijs/ndarray). Kernels read
 * contiguous data through `values`; `contiguous()` copies a strided view when one is needed.
 *
 * @example
 * const x = tensor([[1, 2], [3, 4]]);
 * const y = x.mul(x).sum();      // 30
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  readonly size: number;
  /** Set on leaves whose gradient you want (parameters), and by autograd on every result that depends on them. */
  requiresGrad = false;
  /** Accumulated gradient of a leaf after `backward()`. */
  grad: Tensor | null = null;
  /** The op that produced this tensor (null for leaves and for results computed without grad). */
  node: GraphNode | null = null;
  /** Optional name (parameters), shown in errors and summaries. */
  name = '';
  private storageRef: Storage | null;

  constructor(storage: Storage, shape: Shape, dtype: DType, strides?: Shape, offset = 0) {
    this.storageRef = storage;
    storage.refs++;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
    this.dtype = dtype;
    this.size = sizeOf(shape);
    trackInScope(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this.storageRef === null;
  }

  /** The storage this tensor views. Throws once the tensor is disposed (use-after-free is a bug, never silent). */
  get storage(): Storage {
    if (this.storageRef === null) throw new Error(`tensor${this.name ? ` '${this.name}'` : ''} ${formatShape(this.shape)} was disposed`);
    return this.storageRef;
  }

  /** True when the elements are laid out row-major without gaps (offset may be non-zero). */
  get isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== expected) return false;
      expected *= this.shape[i];
    }
    return true;
  }

  /**
   * The elements as one contiguous typed array (no copy: the storage itself or a subarray of it).
   * Throws for strided views: call `contiguous()` first.
   */
  get values(): TypedArray {
    if (!this.isContiguous) throw new Error(`values: tensor ${formatShape(this.shape)} is a strided view; call contiguous() first`);
    const data = this.storage.data;
    if (this.offset === 0 && data.length === this.size) return data;
    const part = data.subarray(this.offset, this.offset + this.size);
    // The storage array may own a block that is freed when the array is collected (the wasm arena):
    // the subarray keeps it reachable for as long as the subarray itself lives.
    SUBARRAY_PARENT.set(part, data);
    return part;
  }

  /** This tensor if already contiguous, else a row-major copy (differentiable). */
  contiguous(): Tensor {
    return this.isContiguous ? this : ops.copy(this);
  }

  /** Free the storage now (when no other view holds it): it returns to the buffer pool. */
  dispose(): void {
    const storage = this.storageRef;
    if (storage === null) return;
    this.storageRef = null;
    this.node = null;
    if (--storage.refs === 0) {
      storage.releaseDevice(); // device values are freed, never downloaded just to be discarded
      if (storage.owned) releaseArray(this.dtype, storage.data);
      storage.data = EMPTY[this.dtype];
    }
  }

  /** Keep this tensor alive past the enclosing `tidy` scope. */
  keep(): this {
    return keep(this);
  }

  /** A leaf that shares storage but is cut out of the graph: gradients stop here. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.dtype, this.strides, this.offset);
  }

  /** Mark as a leaf that accumulates a gradient. Only float tensors can. */
  requireGrad(flag = true): this {
    if (flag && !isFloat(this.dtype)) throw new Error(`requireGrad: ${this.dtype} tensors cannot have gradients`);
    this.requiresGrad = flag;
    return this;
  }

  /** Run reverse-mode autodiff from this tensor; `dy` defaults to 1 for a scalar. */
  backward(dy?: Tensor): void {
    ops.backward(this, dy);
  }

  /**
   * Bring the values to the host, waiting for the device where it must; then `item()`, `toArray()` and
   * `values` read them. Needed only on a device that reads back asynchronously (the gpu.js `webgpu` mode,
   * where a synchronous read throws); elsewhere it resolves at once. Like any host access it moves the
   * values off the device: a later GPU op uploads them again.
   *
   * @example
   * const loss = nllFromProbs(model.predict(x).probs, labels);   // on webgpu: recorded, not yet run
   * console.log((await loss.toHost()).item());
   */
  async toHost(): Promise<this> {
    await this.storage.dataAsync();
    return this;
  }

  /** Value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: tensor has ${this.size} elements (shape ${formatShape(this.shape)}), expected 1`);
    return this.storage.data[this.offset];
  }

  /** Elements as nested arrays (follows strides, so works on any view). */
  toArray(): NestedArray {
    const data = this.storage.data;
    const walk = (axis: number, base: number): NestedArray => {
      if (axis === this.rank) return data[base];
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[axis]; i++) out.push(walk(axis + 1, base + i * this.strides[axis]));
      return out;
    };
    return walk(0, this.offset);
  }

  /** Elements in row-major order as a fresh plain array. */
  toFlatArray(): number[] {
    return Array.from(this.contiguousValuesCopy());
  }

  private contiguousValuesCopy(): TypedArray {
    return this.isContiguous ? this.values.slice() : ops.copy(this).values;
  }

  toString(): string {
    return `Tensor(${this.dtype}, ${formatShape(this.shape)})`;
  }

  // ---- sugar: every method below is one call into the functional API in ./ops ----
  add(b: Tensor | number): Tensor { return ops.add(this, b); }
  sub(b: Tensor | number): Tensor { return ops.sub(this, b); }
  mul(b: Tensor | number): Tensor { return ops.mul(this, b); }
  div(b: Tensor | number): Tensor { return ops.div(this, b); }
  pow(exponent: number): Tensor { return ops.pow(this, exponent); }
  square(): Tensor { return ops.square(this); }
  neg(): Tensor { return ops.neg(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  abs(): Tensor { return ops.abs(this); }
  tanh(): Tensor { return ops.tanh(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  relu(): Tensor { return ops.relu(this); }
  gelu(): Tensor { return ops.gelu(this); }
  maximum(b: Tensor | number): Tensor { return ops.maximum(this, b); }
  sum(axes?: number | number[], keepDims = false): Tensor { return ops.sum(this, axes, keepDims); }
  mean(axes?: number | number[], keepDims = false): Tensor { return ops.mean(this, axes, keepDims); }
  max(axes?: number | number[], keepDims = false): Tensor { return ops.max(this, axes, keepDims); }
  logsumexp(axes?: number | number[], keepDims = false): Tensor { return ops.logsumexp(this, axes, keepDims); }
  expand(shape: Shape): Tensor { return ops.expand(this, shape); }
  reshape(shape: Shape): Tensor { return ops.reshape(this, shape); }
  matmul(b: Tensor, options?: ops.MatmulOptions): Tensor { return ops.matmul(this, b, options); }
  // indexing, softmax, losses and routing
  slice(begin: readonly number[], end?: readonly number[], step?: readonly number[]): Tensor { return ops.slice(this, begin, end, step); }
  pad(padding: readonly (readonly [number, number])[], value = 0): Tensor { return ops.pad(this, padding, value); }
  gather(indices: Tensor, axis = 0): Tensor { return ops.gather(this, indices, axis); }
  softmax(axis = -1): Tensor { return ops.softmax(this, axis); }
  logSoftmax(axis = -1): Tensor { return ops.logSoftmax(this, axis); }
  crossEntropy(labels: Tensor, options?: ops.CrossEntropyOptions): Tensor { return ops.crossEntropy(this, labels, options); }
  topk(k: number): { values: Tensor; indices: Tensor } { return ops.topk(this, k); }
  layerNorm(gamma: Tensor, beta: Tensor, options?: ops.LayerNormOptions): Tensor { return ops.layerNorm(this, gamma, beta, options); }
}

const SUBARRAY_PARENT = new WeakMap<TypedArray, TypedArray>();

const EMPTY: Record<DType, TypedArray> = {
  float32: new Float32Array(0),
  float64: new Float64Array(0),
  int32: new Int32Array(0),
};

/**
 * A new contiguous tensor over a pooled buffer. NOTE: the values are garbage unless `zero` is set; kernels
 * use this for outputs they overwrite completely.
 */
export function emptyTensor(shape: Shape, dtype: DType, zero = false): Tensor {
  return new Tensor(new Storage(acquireArray(dtype, sizeOf(shape), zero)), shape, dtype);
}

/** Wrap an existing typed array (no copy). Its length must equal the shape's size. */
export function tensorFromData(data: TypedArray, shape: Shape, dtype: DType): Tensor {
  if (data.length !== sizeOf(shape)) {
    throw new Error(`tensorFromData: ${data.length} values do not fill shape ${formatShape(shape)}`);
  }
  return new Tensor(new Storage(data), shape, dtype);
}

/** A view over the same storage with a new shape / strides / offset. */
export function viewOf(x: Tensor, shape: Shape, strides: Shape, offset: number): Tensor {
  return new Tensor(x.storage, shape, x.dtype, strides, offset);
}
