// Tensor creation: constants, ranges, nested arrays, and seeded random initialisers (uniform, normal, Glorot, He, orthogonal).

import { type DType, type TypedArray, allocateArray } from './dtype.ts';
import { type Shape, assertValidShape, formatShape, sizeOf } from './shape.ts';
import { type NestedArray, Tensor, tensorFromData } from './tensor.ts';
import type { Rng } from './random.ts';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export interface RandomOptions extends CreateOptions {
  /** The seeded stream to draw from. Required: netmoe has no hidden global randomness. */
  rng: Rng;
}

function finish(t: Tensor, options?: CreateOptions): Tensor {
  if (options?.requiresGrad) t.requireGrad();
  return t;
}

export function full(shape: Shape, value: number, options?: CreateOptions): Tensor {
  assertValidShape('full', shape);
  const dtype = options?.dtype ?? 'float32';
  const data = allocateArray(dtype, sizeOf(shape));
  if (value !== 0) data.fill(value);
  return finish(tensorFromData(data, shape, dtype), options);
}

export function zeros(shape: Shape, options?: CreateOptions): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: Shape, options?: CreateOptions): Tensor {
  return full(shape, 1, options);
}

export function zerosLike(x: Tensor): Tensor {
  return zeros(x.shape, { dtype: x.dtype });
}

/** [start, start + step, ...) up to `stop` (exclusive), as in NumPy. */
export function arange(start: number, stop?: number, step = 1, options?: CreateOptions): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const dtype = options?.dtype ?? 'float32';
  const data = allocateArray(dtype, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return finish(tensorFromData(data, [n], dtype), options);
}

/**
 * A tensor from (nested) numbers or a typed array (copied). Nested arrays must be rectangular.
 *
 * @example
 * tensor([[1, 2, 3], [4, 5, 6]]).shape;         // [2, 3]
 * tensor([0, 2, 1], { dtype: 'int32' });         // indices
 */
export function tensor(values: NestedArray | TypedArray, options?: CreateOptions & { shape?: Shape }): Tensor {
  const dtype = options?.dtype ?? (values instanceof Float64Array ? 'float64' : values instanceof Int32Array ? 'int32' : 'float32');
  let shape: number[];
  let data: TypedArray;
  if (ArrayBuffer.isView(values)) {
    shape = options?.shape ? [...options.shape] : [values.length];
    data = allocateArray(dtype, values.length);
    data.set(values);
  } else {
    shape = inferShape(values);
    data = allocateArray(dtype, sizeOf(shape));
    let i = 0;
    const fill = (v: NestedArray, depth: number): void => {
      if (depth === shape.length) {
        if (typeof v !== 'number') throw new Error('tensor: ragged nested array');
        data[i++] = v;
        return;
      }
      if (!Array.isArray(v) || v.length !== shape[depth]) throw new Error(`tensor: ragged nested array at depth ${depth} (expected length ${shape[depth]})`);
      for (const item of v) fill(item, depth + 1);
    };
    fill(values, 0);
    if (options?.shape) {
      if (sizeOf(options.shape) !== data.length) throw new Error(`tensor: ${data.length} values do not fill shape ${formatShape(options.shape)}`);
      shape = [...options.shape];
    }
  }
  return finish(tensorFromData(data, shape, dtype), options);
}

function inferShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

function randomTensor(shape: Shape, options: RandomOptions, draw: () => number): Tensor {
  assertValidShape('random', shape);
  const dtype = options.dtype ?? 'float32';
  if (dtype === 'int32') throw new Error('random initialisers produce float tensors, not int32');
  const data = allocateArray(dtype, sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = draw();
  return finish(tensorFromData(data, shape, dtype), options);
}

/** Uniform in [low, high). */
export function randu(shape: Shape, options: RandomOptions & { low?: number; high?: number }): Tensor {
  const { low = 0, high = 1, rng } = options;
  return randomTensor(shape, options, () => rng.uniform(low, high));
}

/** Normal with the given mean and standard deviation. */
export function randn(shape: Shape, options: RandomOptions & { mean?: number; std?: number }): Tensor {
  const { mean = 0, std = 1, rng } = options;
  return randomTensor(shape, options, () => mean + std * rng.normal());
}

/**
 * Fan-in and fan-out of a weight, Keras convention: dense [in, out]; conv1d [K, C_in, C_out] counts the
 * receptive field (K) in both; lstm kernels [in, 4H] use their 2-d shape.
 */
export function fans(shape: Shape): { fanIn: number; fanOut: number } {
  if (shape.length < 2) return { fanIn: shape[0] ?? 1, fanOut: shape[0] ?? 1 };
  const receptive = sizeOf(shape.slice(0, -2));
  return { fanIn: shape[shape.length - 2] * receptive, fanOut: shape[shape.length - 1] * receptive };
}

/** Glorot/Xavier uniform: U(-l, l), l = sqrt(6 / (fanIn + fanOut)). Keras' default kernel initialiser. */
export function glorotUniform(shape: Shape, options: RandomOptions): Tensor {
  const { fanIn, fanOut } = fans(shape);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return randu(shape, { ...options, low: -limit, high: limit });
}

/** Glorot/Xavier normal: N(0, 2 / (fanIn + fanOut)). */
export function glorotNormal(shape: Shape, options: RandomOptions): Tensor {
  const { fanIn, fanOut } = fans(shape);
  return randn(shape, { ...options, std: Math.sqrt(2 / (fanIn + fanOut)) });
}

/** He/Kaiming uniform for ReLU layers: U(-l, l), l = sqrt(6 / fanIn). */
export function heUniform(shape: Shape, options: RandomOptions): Tensor {
  const limit = Math.sqrt(6 / fans(shape).fanIn);
  return randu(shape, { ...options, low: -limit, high: limit });
}

/** He/Kaiming normal: N(0, 2 / fanIn). */
export function heNormal(shape: Shape, options: RandomOptions): Tensor {
  return randn(shape, { ...options, std: Math.sqrt(2 / fans(shape).fanIn) });
}

/**
 * A random orthogonal matrix [rows, cols] (Saxe et al. 2014), Keras' default recurrent initialiser:
 * Gram-Schmidt on a Gaussian matrix, done in float64 and then cast. Rows are orthonormal when rows <= cols,
 * columns when rows > cols.
 */
export function orthogonal(shape: Shape, options: RandomOptions & { gain?: number }): Tensor {
  if (shape.length !== 2) throw new Error(`orthogonal: expected a 2-d shape, got ${formatShape(shape)}`);
  const [rows, cols] = shape;
  const transposed = rows > cols;
  const [n, m] = transposed ? [cols, rows] : [rows, cols]; // orthonormalise n vectors of length m, n <= m
  const q = new Float64Array(n * m);
  for (let i = 0; i < q.length; i++) q[i] = options.rng.normal();
  for (let i = 0; i < n; i++) {
    // Modified Gram-Schmidt: subtract the projections on the vectors already done, then normalise.
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let k = 0; k < m; k++) dot += q[i * m + k] * q[j * m + k];
      for (let k = 0; k < m; k++) q[i * m + k] -= dot * q[j * m + k];
    }
    let norm = 0;
    for (let k = 0; k < m; k++) norm += q[i * m + k] ** 2;
    norm = Math.sqrt(norm);
    for (let k = 0; k < m; k++) q[i * m + k] /= norm;
  }
  const gain = options.gain ?? 1;
  const dtype = options.dtype ?? 'float32';
  const data = allocateArray(dtype, rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) data[r * cols + c] = gain * (transposed ? q[c * m + r] : q[r * m + c]);
  }
  return finish(tensorFromData(data, shape, dtype), options);
}
