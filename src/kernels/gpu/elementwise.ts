// gpu.js kernels for elementwise ops: broadcasting binary arithmetic and comparisons (stride constants), where, cast, activations, pow, unaryGrad, dropout.
//
// One body per kind of op with the operation as an integer constant: gpu.js compiles constants in, so each
// (op, shape) kernel holds one branch that the shader / WebAssembly compiler folds away.

import type { ElementwiseOps, UnaryFn } from '../../tensor/ops/elementwise.ts';
import type { ConvOps } from '../../tensor/ops/conv.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import type { Kernel } from '../backend.ts';
import type { Constants, GpuContext } from './context.ts';
import { Staging, decodeConstants, deviceTensor, layout4, storageArg, strideConstants } from './device.ts';

type This = { thread: { x: number }; constants: Constants };

const BINARY_CODES = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, equal: 5, greater: 6, greaterEqual: 7, less: 8, lessEqual: 9 } as const;
type BinaryName = keyof typeof BINARY_CODES;

// y[i] = a[pa] (op) b[pb]: pa, pb from the row-major position of i and each input's strides (0 = broadcast).
function binaryBody(this: This, a: Float32Array, b: Float32Array): number {
  const i = this.thread.x;
  const i0 = Math.floor(i / this.constants.n123);
  const r1 = i - i0 * this.constants.n123;
  const i1 = Math.floor(r1 / this.constants.n23);
  const r2 = r1 - i1 * this.constants.n23;
  const i2 = Math.floor(r2 / this.constants.n3);
  const i3 = r2 - i2 * this.constants.n3;
  const x = a[this.constants.ao + i0 * this.constants.as0 + i1 * this.constants.as1 + i2 * this.constants.as2 + i3 * this.constants.as3];
  const y = b[this.constants.bo + i0 * this.constants.bs0 + i1 * this.constants.bs1 + i2 * this.constants.bs2 + i3 * this.constants.bs3];
  if (this.constants.op === 0) return x + y;
  if (this.constants.op === 1) return x - y;
  if (this.constants.op === 2) return x * y;
  if (this.constants.op === 3) return x / y;
  // Comparisons give 1 or 0 (in the inputs' dtype, float32 here), as on the CPU.
  if (this.constants.op === 5) return x === y ? 1 : 0;
  if (this.constants.op === 6) return x > y ? 1 : 0;
  if (this.constants.op === 7) return x >= y ? 1 : 0;
  if (this.constants.op === 8) return x < y ? 1 : 0;
  if (this.constants.op === 9) return x <= y ? 1 : 0;
  // maximum: NaN in either input propagates, as on the CPU (x !== x is the NaN test).
  if (x >= y || x !== x) return x;
  return y;
}

function binaryKernel(context: GpuContext, op: BinaryName): Kernel<BinaryName> {
  return ([a, b]) => {
    const layout = layout4(a.shape, [a.strides, b.strides])!; // `accepts` checked it exists
    const constants = {
      op: BINARY_CODES[op],
      ...decodeConstants(layout.dims),
      ...strideConstants('a', layout.strides[0], a.offset),
      ...strideConstants('b', layout.strides[1], b.offset),
    };
    const y = context.run(op, binaryBody, a.size, constants, [storageArg(context, a), storageArg(context, b)]);
    return { outputs: [deviceTensor(y, a.shape)] };
  };
}

// y[i] = cond[pc] !== 0 ? a[pa] : b[pb], each position from its own strides (so a scalar a or b broadcasts).
function whereBody(this: This, cond: Float32Array, a: Float32Array, b: Float32Array): number {
  const i = this.thread.x;
  const i0 = Math.floor(i / this.constants.n123);
  const r1 = i - i0 * this.constants.n123;
  const i1 = Math.floor(r1 / this.constants.n23);
  const r2 = r1 - i1 * this.constants.n23;
  const i2 = Math.floor(r2 / this.constants.n3);
  const i3 = r2 - i2 * this.constants.n3;
  const c = cond[this.constants.co + i0 * this.constants.cs0 + i1 * this.constants.cs1 + i2 * this.constants.cs2 + i3 * this.constants.cs3];
  if (c !== 0) return a[this.constants.ao + i0 * this.constants.as0 + i1 * this.constants.as1 + i2 * this.constants.as2 + i3 * this.constants.as3];
  return b[this.constants.bo + i0 * this.constants.bs0 + i1 * this.constants.bs1 + i2 * this.constants.bs2 + i3 * this.constants.bs3];
}

function whereKernel(context: GpuContext): Kernel<'where'> {
  return ([cond, a, b]) => {
    const layout = layout4(a.shape, [cond.strides, a.strides, b.strides])!; // `accepts` checked it exists
    const constants = {
      ...decodeConstants(layout.dims),
      ...strideConstants('c', layout.strides[0], cond.offset),
      ...strideConstants('a', layout.strides[1], a.offset),
      ...strideConstants('b', layout.strides[2], b.offset),
    };
    const y = context.run('where', whereBody, a.size, constants, [storageArg(context, cond), storageArg(context, a), storageArg(context, b)]);
    return { outputs: [deviceTensor(y, a.shape)] };
  };
}

/** where reads its three inputs in place when their joint layout merges into 4 axes. */
export function whereAccepts(cond: Tensor, a: Tensor, b: Tensor): boolean {
  return layout4(a.shape, [cond.strides, a.strides, b.strides]) !== null;
}

// y[i] = x[xo + i]: int32 indices (labels) as float32 values; exact below 2^24.
function castBody(this: This, x: Float32Array): number {
  return x[this.constants.xo + this.thread.x];
}

/** cast to float32 (from int32 or float32). NOTE: to int32 (truncation) stays on the CPU: see castAccepts. */
function castKernel(context: GpuContext): Kernel<'cast'> {
  return ([x]) => {
    const staging = new Staging(context);
    const [xs] = staging.contiguous(x);
    const y = context.run('cast', castBody, x.size, { xo: xs.offset }, [xs.arg], 'float32');
    staging.release();
    return { outputs: [deviceTensor(y, x.shape)] };
  };
}

/** Binary ops read any broadcast / strided views whose layout merges into 4 axes. */
export function binaryAccepts(a: Tensor, b: Tensor): boolean {
  return layout4(a.shape, [a.strides, b.strides]) !== null;
}

const UNARY_CODES = { neg: 0, sqrt: 1, exp: 2, log: 3, abs: 4, sign: 5, tanh: 6, sigmoid: 7, relu: 8, gelu: 9, pow: 10 } as const;
type UnaryName = Exclude<keyof typeof UNARY_CODES, 'pow'>;

// GELU's tanh approximation constants: sqrt(2 / pi) and 0.044715.
const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

function unaryBody(this: This, x: Float32Array): number {
  const v = x[this.constants.xo + this.thread.x];
  const fn = this.constants.fn;
  if (fn === 0) return -v;
  if (fn === 1) return Math.sqrt(v);
  if (fn === 2) return Math.exp(v);
  if (fn === 3) return Math.log(v);
  if (fn === 4) return Math.abs(v);
  if (fn === 5) return Math.sign(v);
  if (fn === 6) return Math.tanh(v);
  if (fn === 7) return 1 / (1 + Math.exp(-v));
  if (fn === 8) return Math.max(v, 0);
  if (fn === 9) return 0.5 * v * (1 + Math.tanh(this.constants.geluC * (v + this.constants.geluA * v * v * v)));
  if (this.constants.p === 2) return v * v; // squaring (L2 penalty, variance) skips pow, as on the CPU
  return Math.pow(v, this.constants.p);
}

function unaryKernel(context: GpuContext, op: UnaryName | 'pow'): Kernel<UnaryName | 'pow'> {
  return ([x], attrs) => {
    const staging = new Staging(context);
    const [xs] = staging.contiguous(x);
    const p = op === 'pow' ? (attrs as ElementwiseOps['pow']).exponent : 1;
    const constants = { fn: UNARY_CODES[op], xo: xs.offset, p, geluC: GELU_C, geluA: GELU_A };
    const y = context.run(op, unaryBody, x.size, constants, [xs.arg]);
    staging.release();
    return { outputs: [deviceTensor(y, x.shape)] };
  };
}

const GRAD_CODES: Record<UnaryFn, number> = { sqrt: 1, exp: 2, log: 3, abs: 4, tanh: 6, sigmoid: 7, relu: 8, gelu: 9, pow: 10 };

// dx = dy · f'(x), with y = f(x) passed in so nothing is recomputed (the derivatives of the CPU kernel).
function unaryGradBody(this: This, dy: Float32Array, x: Float32Array, y: Float32Array): number {
  const i = this.thread.x;
  const g = dy[this.constants.dyo + i];
  const v = x[this.constants.xo + i];
  const u = y[this.constants.yo + i];
  const fn = this.constants.fn;
  if (fn === 1) return (0.5 * g) / u; // d sqrt(x) = 1 / (2 sqrt(x))
  if (fn === 2) return g * u; // d e^x = e^x
  if (fn === 3) return g / v; // d log x = 1 / x
  if (fn === 4) return v > 0 ? g : v < 0 ? -g : 0; // d |x| = sign(x), 0 at 0
  if (fn === 6) return g * (1 - u * u); // d tanh = 1 - tanh^2
  if (fn === 7) return g * u * (1 - u); // d s = s (1 - s)
  if (fn === 8) return v > 0 ? g : 0; // relu: 1 for x > 0
  if (fn === 9) {
    // gelu: 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 a x^2), t = tanh(c (x + a x^3))
    const t = Math.tanh(this.constants.geluC * (v + this.constants.geluA * v * v * v));
    return g * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * this.constants.geluC * (1 + 3 * this.constants.geluA * v * v));
  }
  return g * this.constants.p * Math.pow(v, this.constants.p - 1); // d x^p = p x^(p-1)
}

function unaryGradKernel(context: GpuContext): Kernel<'unaryGrad'> {
  return ([dy, x, y], { fn, exponent }) => {
    const staging = new Staging(context);
    const [g, xs, ys] = staging.contiguous(dy, x, y);
    const constants = { fn: GRAD_CODES[fn], dyo: g.offset, xo: xs.offset, yo: ys.offset, p: exponent, geluC: GELU_C, geluA: GELU_A };
    const dx = context.run('unaryGrad', unaryGradBody, x.size, constants, [g.arg, xs.arg, ys.arg]);
    staging.release();
    return { outputs: [deviceTensor(dx, x.shape)] };
  };
}

// y = x · mask / (1 - rate): inverted dropout with a mask drawn on the host (the engine's seeded Rng).
function dropoutBody(this: This, x: Float32Array, mask: Float32Array): number {
  const i = this.thread.x;
  return x[this.constants.xo + i] * mask[this.constants.mo + i] * this.constants.scale;
}

function dropoutKernel(context: GpuContext): Kernel<'dropoutWithMask'> {
  return ([x, mask], { rate }) => {
    const staging = new Staging(context);
    const [xs, ms] = staging.contiguous(x, mask);
    const y = context.run('dropoutWithMask', dropoutBody, x.size, { xo: xs.offset, mo: ms.offset, scale: 1 / (1 - rate) }, [xs.arg, ms.arg]);
    staging.release();
    return { outputs: [deviceTensor(y, x.shape)] };
  };
}

type GpuElementwiseOps = BinaryName | UnaryName | 'pow' | 'unaryGrad' | 'where' | 'cast';

/** The elementwise ops with a GPU kernel (all of them; cast only to float32). */
export function elementwiseGpuKernels(context: GpuContext): { [K in GpuElementwiseOps]: Kernel<K> } & { dropoutWithMask: Kernel<keyof Pick<ConvOps, 'dropoutWithMask'>> } {
  const unary = (op: UnaryName): Kernel<UnaryName> => unaryKernel(context, op) as Kernel<UnaryName>;
  return {
    add: binaryKernel(context, 'add'),
    sub: binaryKernel(context, 'sub'),
    mul: binaryKernel(context, 'mul'),
    div: binaryKernel(context, 'div'),
    maximum: binaryKernel(context, 'maximum'),
    equal: binaryKernel(context, 'equal'),
    greater: binaryKernel(context, 'greater'),
    greaterEqual: binaryKernel(context, 'greaterEqual'),
    less: binaryKernel(context, 'less'),
    lessEqual: binaryKernel(context, 'lessEqual'),
    where: whereKernel(context),
    cast: castKernel(context),
    neg: unary('neg'),
    sqrt: unary('sqrt'),
    exp: unary('exp'),
    log: unary('log'),
    abs: unary('abs'),
    sign: unary('sign'),
    tanh: unary('tanh'),
    sigmoid: unary('sigmoid'),
    relu: unary('relu'),
    gelu: unary('gelu'),
    pow: unaryKernel(context, 'pow') as Kernel<'pow'>,
    unaryGrad: unaryGradKernel(context),
    dropoutWithMask: dropoutKernel(context),
  };
}
