// Convolution and pooling over sequences, channels-last [B, L, C] like Keras: conv1d, maxPool1d; and dropout.

import { formatShape, shapesEqual } from '../shape.ts';
import { emptyTensor, type Tensor } from '../tensor.ts';
import type { Rng } from '../random.ts';
import { runOp } from '../dispatch.ts';
import type { DenseActivation } from './linalg.ts';

export interface ConvOps {
  /**
   * y[b, t, o] = act(bias[o] + Σ_k Σ_c x[b, t·stride + k - padLeft, c] · w[k, c, o]), with x = 0 outside
   * [0, L): x [B, L, C_in], w [K, C_in, C_out], optional bias [C_out] -> y [B, outLength, C_out].
   * The front end resolves 'valid' / 'same' into padLeft and outLength; bias and activation (absent:
   * 'none') run in the GEMM epilogue, as in dense.
   */
  conv1d: { stride: number; padLeft: number; outLength: number; activation?: DenseActivation };
  /** Backward kernel of conv1d for x: inputs [dy, w] -> dx [B, inLength, C_in]. */
  conv1dInputGrad: { stride: number; padLeft: number; inLength: number };
  /** Backward kernel of conv1d for w: inputs [x, dy] -> dw [K, C_in, C_out]. */
  conv1dWeightGrad: { stride: number; padLeft: number; kernelSize: number };
  /**
   * y[b, t, c] = max_p x[b, t·stride + p, c] over p < poolSize ('valid': windows inside x only);
   * saves the argmax time index (int32). NOTE: ties go to the lowest index (the first maximal element).
   */
  maxPool1d: { poolSize: number; stride: number };
  /**
   * Backward kernel of maxPool1d: inputs [dy, argmax] -> dx [B, inLength, C], dy routed to each argmax.
   * poolSize and stride are the forward's: a gather-style kernel (GPU) reads only the windows covering a position.
   */
  maxPool1dBackward: { inLength: number; poolSize: number; stride: number };
  /** y = x · mask / (1 - rate): inputs [x, mask], mask of 0 / 1 in x's dtype (inverted dropout). */
  dropoutWithMask: { rate: number };
}

export type Conv1dPadding = 'valid' | 'same';

export interface Conv1dOptions {
  stride?: number;
  padding?: Conv1dPadding;
  /** Fused into the GEMM epilogue (default 'none'): saves a separate pass over y and its backward. */
  activation?: DenseActivation;
}

/**
 * Output length and left padding of a 1-d convolution, with Keras' semantics: 'valid' uses only full
 * windows; 'same' gives ceil(L / stride) outputs, padding pad_total = max((ceil(L/s) - 1)·s + K - L, 0)
 * zeros, floor(pad_total / 2) of them on the left (the extra one goes right, as TensorFlow does).
 *
 * @example
 * conv1dGeometry(7, 4, 2, 'same');   // { outLength: 4, padLeft: 1 }: pad_total 3, 2 of them on the right
 */
export function conv1dGeometry(inLength: number, kernelSize: number, stride: number, padding: Conv1dPadding): { outLength: number; padLeft: number } {
  if (padding === 'valid') return { outLength: Math.floor((inLength - kernelSize) / stride) + 1, padLeft: 0 };
  const outLength = Math.ceil(inLength / stride);
  const padTotal = Math.max((outLength - 1) * stride + kernelSize - inLength, 0);
  return { outLength, padLeft: Math.floor(padTotal / 2) };
}

function assertPositiveInt(op: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${op}: ${name} must be a positive integer, got ${value}`);
}

/**
 * 1-d convolution (cross-correlation, as every DL framework), channels-last like Keras' Conv1D.
 *
 * @example
 * const y = conv1d(x, w, b);                                  // x: [64, 40, 1], w: [3, 1, 64] -> y: [64, 38, 64]
 * const z = conv1d(x, w, b, { stride: 2, padding: 'same' });  // -> z: [64, 20, 64]
 * const h = conv1d(x, w, b, { activation: 'relu' });          // relu fused into the GEMM epilogue
 */
export function conv1d(x: Tensor, w: Tensor, b?: Tensor | null, options: Conv1dOptions = {}): Tensor {
  const stride = options.stride ?? 1;
  const padding = options.padding ?? 'valid';
  const activation = options.activation ?? 'none';
  const shapes = `(x=${formatShape(x.shape)}, w=${formatShape(w.shape)}${b ? `, b=${formatShape(b.shape)}` : ''})`;
  if (x.rank !== 3 || w.rank !== 3) throw new Error(`conv1d: expected x [B, L, C_in] and w [K, C_in, C_out] ${shapes}`);
  const [, L, inChannels] = x.shape;
  const [K, wInChannels, outChannels] = w.shape;
  if (wInChannels !== inChannels) throw new Error(`conv1d: input channels differ ${shapes}`);
  if (b && (b.rank !== 1 || b.shape[0] !== outChannels)) throw new Error(`conv1d: bias must be [${outChannels}] ${shapes}`);
  if (x.dtype !== w.dtype || (b && b.dtype !== x.dtype)) throw new Error(`conv1d: dtypes differ (x=${x.dtype}, w=${w.dtype}${b ? `, b=${b.dtype}` : ''})`);
  if (x.dtype === 'int32') throw new Error(`conv1d: expected float tensors, got int32 ${shapes}`);
  assertPositiveInt('conv1d', 'stride', stride);
  assertPositiveInt('conv1d', 'kernel size', K);
  if (padding !== 'valid' && padding !== 'same') throw new Error(`conv1d: padding must be 'valid' or 'same', got '${padding as string}'`);
  if (padding === 'valid' && K > L) throw new Error(`conv1d: kernel size ${K} exceeds the input length ${L} with 'valid' padding ${shapes}`);
  const { outLength, padLeft } = conv1dGeometry(L, K, stride, padding);
  return runOp('conv1d', b ? [x, w, b] : [x, w], { stride, padLeft, outLength, activation })[0];
}

/** conv1d's gradient with respect to x (used by its gradient rule). dy: [B, L_out, C_out] -> dx: [B, inLength, C_in]. */
export function conv1dInputGrad(dy: Tensor, w: Tensor, attrs: ConvOps['conv1dInputGrad']): Tensor {
  return runOp('conv1dInputGrad', [dy, w], attrs)[0];
}

/** conv1d's gradient with respect to w (used by its gradient rule). -> dw: [K, C_in, C_out]. */
export function conv1dWeightGrad(x: Tensor, dy: Tensor, attrs: ConvOps['conv1dWeightGrad']): Tensor {
  return runOp('conv1dWeightGrad', [x, dy], attrs)[0];
}

export interface MaxPool1dOptions {
  poolSize: number;
  /** Defaults to poolSize (non-overlapping windows), as Keras. */
  stride?: number;
  /** Only 'valid' (windows fully inside x), Keras' default. */
  padding?: 'valid';
}

/**
 * Max over windows along the time axis, channels-last like Keras' MaxPooling1D with 'valid' padding.
 * NOTE: at ties the gradient goes to the lowest time index in the window.
 *
 * @example
 * maxPool1d(x, { poolSize: 2 }).shape;   // x: [64, 38, 64] -> [64, 19, 64]
 */
export function maxPool1d(x: Tensor, options: MaxPool1dOptions): Tensor {
  const { poolSize } = options;
  const stride = options.stride ?? poolSize;
  if (x.rank !== 3) throw new Error(`maxPool1d: expected x [B, L, C], got ${formatShape(x.shape)}`);
  if (x.dtype === 'int32') throw new Error(`maxPool1d: expected a float tensor, got int32 ${formatShape(x.shape)}`);
  assertPositiveInt('maxPool1d', 'poolSize', poolSize);
  assertPositiveInt('maxPool1d', 'stride', stride);
  if ((options.padding ?? 'valid') !== 'valid') throw new Error(`maxPool1d: only 'valid' padding is supported, got '${options.padding as string}'`);
  if (poolSize > x.shape[1]) throw new Error(`maxPool1d: poolSize ${poolSize} exceeds the input length (x=${formatShape(x.shape)})`);
  return runOp('maxPool1d', [x], { poolSize, stride })[0];
}

/** maxPool1d's backward (used by its gradient rule): dy [B, L_out, C] scattered to argmax -> [B, inLength, C]. */
export function maxPool1dBackward(dy: Tensor, argmax: Tensor, attrs: ConvOps['maxPool1dBackward']): Tensor {
  return runOp('maxPool1dBackward', [dy, argmax], attrs)[0];
}

export interface DropoutOptions {
  /** Dropout is active only while training; otherwise it is the identity. */
  training: boolean;
  /** The seeded stream the mask is drawn from. */
  rng: Rng;
}

/**
 * Inverted dropout: zero each element with probability `rate` and scale the kept ones by 1 / (1 - rate), so
 * the expected value is unchanged and inference needs no rescaling. Returns `x` itself (no op recorded)
 * when not training or when rate = 0. The mask comes from `rng` (one draw per mask: see `dropoutMask`).
 *
 * @example
 * const h = dropout(x, 0.3, { training: true, rng });   // about 30% zeros, the rest x / 0.7
 */
export function dropout(x: Tensor, rate: number, options: DropoutOptions): Tensor {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  if (!options.training || rate === 0) return x;
  if (x.dtype === 'int32') throw new Error(`dropout: expected a float tensor, got int32 ${formatShape(x.shape)}`);
  return dropoutWithMask(x, dropoutMask(x.shape, rate, options.rng, x.dtype), rate);
}

// SplitMix32's increment (2^32 / golden ratio) and murmur3's fmix32 multipliers.
const WEYL = 0x9e3779b9;
const MIX1 = 0x85ebca6b;
const MIX2 = 0xc2b2ae35;

/**
 * A keep-mask of 1s (probability 1 - rate) and 0s (probability rate), in row-major order. One draw from
 * `rng` seeds the mask's own stream, SplitMix32 (a Weyl sequence through murmur3's fmix32 finaliser: 32
 * uniform bits per element, a bijection of a counter, so no short cycles): deterministic for a given rng
 * state, like every netmoe random number. Element i is kept when its 32 bits u satisfy u / 2^32 >= rate.
 * NOTE: why not a draw per element: an ARC4 draw (Rng.quick) costs ~18 ns here, ~1.7 ms of every DCL-MoE
 * training batch (94k mask elements); this loop costs ~2 ns an element. Masks of up to 2^32 elements.
 *
 * @example
 * const mask = dropoutMask([64, 128], 0.3, rng);   // reuse it: dropoutWithMask(x, mask, 0.3)
 */
export function dropoutMask(shape: readonly number[], rate: number, rng: Rng, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  const mask = emptyTensor(shape, dtype);
  const m = mask.values;
  const threshold = rate * 4294967296; // u / 2^32 >= rate  <=>  u >= rate · 2^32
  let state = Math.floor(rng.quick() * 4294967296) | 0;
  for (let i = 0; i < m.length; i++) {
    state = (state + WEYL) | 0;
    let z = Math.imul(state ^ (state >>> 16), MIX1);
    z = Math.imul(z ^ (z >>> 13), MIX2);
    // NOTE: `+(keep)`, not `keep ? 1 : 0`: a branch V8 keeps is mispredicted `rate` of the time (3x slower at 0.3).
    m[i] = +((z ^ (z >>> 16)) >>> 0 >= threshold);
  }
  return mask;
}

/**
 * Dropout with a given keep-mask (0 / 1, same shape and dtype as x): x · mask / (1 - rate). `dropout`
 * calls this; gradient checks call it directly so every evaluation uses the same mask.
 *
 * @example
 * dropoutWithMask(tensor([2, 4, 6]), tensor([1, 0, 1]), 0.5).toArray();   // [4, 0, 12]
 */
export function dropoutWithMask(x: Tensor, mask: Tensor, rate: number): Tensor {
  if (x.dtype === 'int32') throw new Error(`dropoutWithMask: expected a float tensor, got int32 ${formatShape(x.shape)}`);
  if (!shapesEqual(x.shape, mask.shape) || x.dtype !== mask.dtype) {
    throw new Error(`dropoutWithMask: mask ${mask.dtype}${formatShape(mask.shape)} must match x ${x.dtype}${formatShape(x.shape)}`);
  }
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropoutWithMask: rate must be in [0, 1), got ${rate}`);
  return runOp('dropoutWithMask', [x, mask], { rate })[0];
}
