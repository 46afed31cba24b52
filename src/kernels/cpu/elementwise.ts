// CPU kernels for elementwise ops: one loop per op (switch outside the loop, so each loop stays monomorphic and fast).

import type { FloatArray, TypedArray } from '../../tensor/dtype.ts';
import { emptyTensor } from '../../tensor/tensor.ts';
import type { ElementwiseOps, UnaryFn } from '../../tensor/ops/elementwise.ts';
import type { Kernel, KernelsFor } from '../backend.ts';
import { collapseAxes, contiguousValues, forEachRow } from './strided.ts';

type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'equal' | 'greater' | 'greaterEqual' | 'less' | 'lessEqual';

/**
 * y[k..k+n) = a[pa + i*sa] (op) b[pb + i*sb]. Strides of 0 are broadcasts; both 1 is the contiguous case.
 * NOTE: one explicit loop per op on purpose: a shared loop calling `f(a, b)` is several times slower in V8.
 */
function binaryRow(op: BinaryName, a: TypedArray, pa: number, sa: number, b: TypedArray, pb: number, sb: number, y: TypedArray, k: number, n: number): void {
  const end = k + n;
  switch (op) {
    case 'add':
      for (; k < end; k++, pa += sa, pb += sb) y[k] = a[pa] + b[pb];
      return;
    case 'sub':
      for (; k < end; k++, pa += sa, pb += sb) y[k] = a[pa] - b[pb];
      return;
    case 'mul':
      for (; k < end; k++, pa += sa, pb += sb) y[k] = a[pa] * b[pb];
      return;
    case 'div':
      for (; k < end; k++, pa += sa, pb += sb) y[k] = a[pa] / b[pb];
      return;
    case 'maximum':
      // `a !== a` is the NaN test: NaN in either input propagates, as in Math.max.
      for (; k < end; k++, pa += sa, pb += sb) y[k] = a[pa] >= b[pb] || a[pa] !== a[pa] ? a[pa] : b[pb];
      return;
    case 'equal':
      for (; k < end; k++, pa += sa, pb += sb) y[k] = a[pa] === b[pb] ? 1 : 0;
      return;
    case 'greater':
      for (; k < end; k++, pa += sa, pb += sb) y[k] = a[pa] > b[pb] ? 1 : 0;
      return;
    case 'greaterEqual':
      for (; k < end; k++, pa += sa, pb += sb) y[k] = a[pa] >= b[pb] ? 1 : 0;
      return;
    case 'less':
      for (; k < end; k++, pa += sa, pb += sb) y[k] = a[pa] < b[pb] ? 1 : 0;
      return;
    case 'lessEqual':
      for (; k < end; k++, pa += sa, pb += sb) y[k] = a[pa] <= b[pb] ? 1 : 0;
      return;
    default:
      return op satisfies never;
  }
}

function binaryKernel(op: BinaryName): Kernel<BinaryName> {
  return ([a, b]) => {
    const y = emptyTensor(a.shape, a.dtype);
    const out = y.values;
    const layout = collapseAxes(a.shape, [a.strides, b.strides]);
    const last = layout.shape.length - 1;
    const sa = layout.strides[0][last];
    const sb = layout.strides[1][last];
    const da = a.storage.data;
    const db = b.storage.data;
    let k = 0;
    forEachRow(layout, [a.offset, b.offset], (offsets, n) => {
      binaryRow(op, da, offsets[0], sa, db, offsets[1], sb, out, k, n);
      k += n;
    });
    return { outputs: [y] };
  };
}

type UnaryName = 'neg' | 'sqrt' | 'exp' | 'log' | 'abs' | 'sign' | 'tanh' | 'sigmoid' | 'relu' | 'gelu';

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

function unaryLoop(op: UnaryName, x: TypedArray, y: TypedArray, n: number): void {
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) y[i] = -x[i];
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) y[i] = Math.sqrt(x[i]);
      return;
    case 'exp':
      for (let i = 0; i < n; i++) y[i] = Math.exp(x[i]);
      return;
    case 'log':
      for (let i = 0; i < n; i++) y[i] = Math.log(x[i]);
      return;
    case 'abs':
      for (let i = 0; i < n; i++) y[i] = Math.abs(x[i]);
      return;
    case 'sign':
      for (let i = 0; i < n; i++) y[i] = Math.sign(x[i]);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]);
      return;
    case 'sigmoid':
      // Two branches so exp never overflows: for x < 0 use e^x / (1 + e^x).
      for (let i = 0; i < n; i++) {
        const v = x[i];
        if (v >= 0) y[i] = 1 / (1 + Math.exp(-v));
        else {
          const e = Math.exp(v);
          y[i] = e / (1 + e);
        }
      }
      return;
    case 'relu':
      // Math.max compiles to a branch-free max; `x > 0 ? x : 0` mispredicts half the time on random signs.
      for (let i = 0; i < n; i++) y[i] = Math.max(x[i], 0);
      return;
    case 'gelu':
      for (let i = 0; i < n; i++) {
        const v = x[i];
        y[i] = 0.5 * v * (1 + Math.tanh(GELU_C * (v + GELU_A * v * v * v)));
      }
      return;
    default:
      return op satisfies never;
  }
}

function unaryKernel(op: UnaryName): Kernel<UnaryName> {
  return ([x]) => {
    const y = emptyTensor(x.shape, x.dtype);
    unaryLoop(op, contiguousValues(x), y.values, x.size);
    return { outputs: [y] };
  };
}

/** dx = dy * f'(x); y = f(x) is passed in so rules never recompute f. */
function unaryGradLoop(fn: UnaryFn, exponent: number, dy: TypedArray, x: TypedArray, y: TypedArray, dx: FloatArray, n: number): void {
  switch (fn) {
    case 'sqrt': // d sqrt(x) = 1 / (2 sqrt(x))
      for (let i = 0; i < n; i++) dx[i] = (0.5 * dy[i]) / y[i];
      return;
    case 'exp': // d e^x = e^x
      for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i];
      return;
    case 'log': // d log x = 1 / x
      for (let i = 0; i < n; i++) dx[i] = dy[i] / x[i];
      return;
    case 'abs': // d |x| = sign(x), 0 at 0
      for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : x[i] < 0 ? -dy[i] : 0;
      return;
    case 'tanh': // d tanh = 1 - tanh^2
      for (let i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
      return;
    case 'sigmoid': // d s = s (1 - s)
      for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
      return;
    case 'relu': // 1 for x > 0, else 0 (the comparison as a 0/1 number: no branch to mispredict)
      for (let i = 0; i < n; i++) dx[i] = dy[i] * +(x[i] > 0);
      return;
    case 'gelu': // 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 a x^2), t = tanh(c (x + a x^3))
      for (let i = 0; i < n; i++) {
        const v = x[i];
        const t = Math.tanh(GELU_C * (v + GELU_A * v * v * v));
        dx[i] = dy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * GELU_A * v * v));
      }
      return;
    case 'pow': // d x^p = p x^(p-1)
      for (let i = 0; i < n; i++) dx[i] = dy[i] * exponent * Math.pow(x[i], exponent - 1);
      return;
    default:
      return fn satisfies never;
  }
}

export const elementwiseKernels: KernelsFor<ElementwiseOps> = {
  add: binaryKernel('add'),
  sub: binaryKernel('sub'),
  mul: binaryKernel('mul'),
  div: binaryKernel('div'),
  maximum: binaryKernel('maximum'),
  equal: binaryKernel('equal'),
  greater: binaryKernel('greater'),
  greaterEqual: binaryKernel('greaterEqual'),
  less: binaryKernel('less'),
  lessEqual: binaryKernel('lessEqual'),
  neg: unaryKernel('neg'),
  sqrt: unaryKernel('sqrt'),
  exp: unaryKernel('exp'),
  log: unaryKernel('log'),
  abs: unaryKernel('abs'),
  sign: unaryKernel('sign'),
  tanh: unaryKernel('tanh'),
  sigmoid: unaryKernel('sigmoid'),
  relu: unaryKernel('relu'),
  gelu: unaryKernel('gelu'),

  pow: ([x], { exponent }) => {
    const y = emptyTensor(x.shape, x.dtype);
    const xs = contiguousValues(x);
    const out = y.values;
    // Squaring is the common case (L2 penalty, variance): skip Math.pow.
    if (exponent === 2) for (let i = 0; i < out.length; i++) out[i] = xs[i] * xs[i];
    else for (let i = 0; i < out.length; i++) out[i] = Math.pow(xs[i], exponent);
    return { outputs: [y] };
  },

  where: ([cond, a, b]) => {
    const y = emptyTensor(a.shape, a.dtype);
    const out = y.values;
    const layout = collapseAxes(a.shape, [cond.strides, a.strides, b.strides]);
    const last = layout.shape.length - 1;
    const [sc, sa, sb] = layout.strides.map((s) => s[last]);
    const dc = cond.storage.data;
    const da = a.storage.data;
    const db = b.storage.data;
    let k = 0;
    forEachRow(layout, [cond.offset, a.offset, b.offset], (offsets, n) => {
      let [pc, pa, pb] = offsets;
      for (let i = 0; i < n; i++, pc += sc, pa += sa, pb += sb) out[k++] = dc[pc] !== 0 ? da[pa] : db[pb];
    });
    return { outputs: [y] };
  },

  unaryGrad: ([dy, x, y], { fn, exponent }) => {
    const dx = emptyTensor(x.shape, x.dtype);
    unaryGradLoop(fn, exponent, contiguousValues(dy), contiguousValues(x), contiguousValues(y), dx.values as FloatArray, x.size);
    return { outputs: [dx] };
  },

  cast: ([x], { dtype }) => {
    const y = emptyTensor(x.shape, dtype);
    const out = y.values;
    const xs = contiguousValues(x);
    if (dtype === 'int32') for (let i = 0; i < out.length; i++) out[i] = Math.trunc(xs[i]);
    else out.set(xs);
    return { outputs: [y] };
  },
};
