// CPU kernels: Convolution and pooling over sequences, channels-last [B, L, C] like Keras: conv1d, maxPool1d; and dropout.
//
// conv1d runs as one GEMM over windows (im2col): every output position (b, t) becomes a row holding its
// K·C_in window of x, so y [B·L_out, C_out] = cols [B·L_out, K·C_in] · w [K·C_in, C_out], with the bias
// (and an optional activation) in the GEMM epilogue. Measured against the direct loop (an AXPY of w's rows
// per output row; `conv1d direct loop` in bench/suites/linalg-conv.ts), float32, B=64, K=3, C_out=64: at
// DCL-MoE's first layer (L=40, C_in=1) im2col + GEMM runs at 0.9 GFLOP/s vs 0.65 (a depth K·C_in of 3 is
// too short for the GEMM to shine, but it still wins), and at C_in=64 (L=19) at 3.2 vs 0.8 GFLOP/s. So
// there is one path: im2col + GEMM.
// Both backward passes are GEMMs over the same windows: dcols = dy·wᵀ scattered back (col2im) for dx, and
// dw = colsᵀ·dy. The cols buffer comes from the tensor pool, so a training loop reuses it step after step.

import type { FloatArray, TypedArray } from '../../tensor/dtype.ts';
import { emptyTensor } from '../../tensor/tensor.ts';
import { acquireArray, releaseArray } from '../../tensor/storage.ts';
import type { ConvOps } from '../../tensor/ops/conv.ts';
import type { KernelsFor } from '../backend.ts';
import { gemm, type GemmFn } from './gemm.ts';
import { contiguousValues } from './strided.ts';

/** Window geometry shared by the three conv1d kernels. */
interface Windows {
  B: number;
  L: number;
  inChannels: number;
  K: number;
  stride: number;
  padLeft: number;
  outLength: number;
}

/**
 * cols[(b·L_out + t)·K·C_in + k·C_in + c] = x[b, t·stride + k - padLeft, c], 0 where that is outside [0, L).
 * Each window row is K runs of C_in contiguous values (one per tap), so the copy streams x in order.
 */
function im2col(xs: TypedArray, g: Windows, cols: TypedArray): void {
  const { B, L, inChannels: C, K, stride, padLeft, outLength } = g;
  let q = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < outLength; t++) {
      for (let k = 0; k < K; k++) {
        const l = t * stride + k - padLeft;
        if (l < 0 || l >= L) {
          for (let c = 0; c < C; c++) cols[q++] = 0;
        } else {
          for (let c = 0, p = (b * L + l) * C; c < C; c++) cols[q++] = xs[p + c];
        }
      }
    }
  }
}

/** The adjoint of im2col: dx[b, l, c] += dcols[row of (b, t), tap k, c] for every window tap that read x[b, l, c]. */
function col2im(dcols: TypedArray, g: Windows, dx: TypedArray): void {
  const { B, L, inChannels: C, K, stride, padLeft, outLength } = g;
  let q = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < outLength; t++) {
      for (let k = 0; k < K; k++) {
        const l = t * stride + k - padLeft;
        if (l < 0 || l >= L) {
          q += C;
        } else {
          for (let c = 0, p = (b * L + l) * C; c < C; c++) dx[p + c] += dcols[q++];
        }
      }
    }
  }
}

/** The conv kernels over a given GEMM (as linalgKernelsWith): `convKernelsWith(wasmGemm)` reuses im2col / col2im. */
export function convKernelsWith(gemm: GemmFn): KernelsFor<ConvOps> {
  return {
    // x: [B, L, C_in], w: [K, C_in, C_out], b: [C_out] -> y: [B, L_out, C_out] (bias, activation in the epilogue)
    conv1d: ([x, w, b], { stride, padLeft, outLength, activation }) => {
      const [B, L, inChannels] = x.shape;
      const [K, , outChannels] = w.shape;
      const g: Windows = { B, L, inChannels, K, stride, padLeft, outLength };
      const y = emptyTensor([B, outLength, outChannels], x.dtype);
      const rows = B * outLength;
      const depth = K * inChannels;
      const cols = acquireArray(x.dtype, rows * depth, false) as FloatArray;
      im2col(contiguousValues(x), g, cols);
      const bias = b ? (contiguousValues(b) as FloatArray) : null;
      const ws = contiguousValues(w) as FloatArray;
      gemm(false, false, rows, outChannels, depth, 1, cols, 0, depth, ws, 0, outChannels, 0, y.values as FloatArray, 0, outChannels, {
        bias,
        biasOff: 0,
        activation: activation ?? 'none',
      });
      releaseArray(x.dtype, cols);
      return { outputs: [y] };
    },

    // dy: [B, L_out, C_out], w: [K, C_in, C_out] -> dx: [B, L, C_in]
    conv1dInputGrad: ([dy, w], { stride, padLeft, inLength }) => {
      const [B, outLength, outChannels] = dy.shape;
      const [K, inChannels] = w.shape;
      const g: Windows = { B, L: inLength, inChannels, K, stride, padLeft, outLength };
      const rows = B * outLength;
      const depth = K * inChannels;
      // dcols [B·L_out, K·C_in] = dy [B·L_out, C_out] · wᵀ (w read as [K·C_in, C_out], transposed by the GEMM)
      const dcols = acquireArray(dy.dtype, rows * depth, false) as FloatArray;
      gemm(false, true, rows, depth, outChannels, 1, contiguousValues(dy) as FloatArray, 0, outChannels, contiguousValues(w) as FloatArray, 0, outChannels, 0, dcols, 0, depth);
      const dx = emptyTensor([B, inLength, inChannels], dy.dtype, true);
      col2im(dcols, g, dx.values);
      releaseArray(dy.dtype, dcols);
      return { outputs: [dx] };
    },

    // x: [B, L, C_in], dy: [B, L_out, C_out] -> dw: [K, C_in, C_out]
    conv1dWeightGrad: ([x, dy], { stride, padLeft, kernelSize: K }) => {
      const [B, L, inChannels] = x.shape;
      const [, outLength, outChannels] = dy.shape;
      const g: Windows = { B, L, inChannels, K, stride, padLeft, outLength };
      const rows = B * outLength;
      const depth = K * inChannels;
      const cols = acquireArray(x.dtype, rows * depth, false) as FloatArray;
      im2col(contiguousValues(x), g, cols);
      // dw [K·C_in, C_out] = colsᵀ [K·C_in, B·L_out] · dy [B·L_out, C_out]: the batch is the GEMM's inner dim.
      const dw = emptyTensor([K, inChannels, outChannels], x.dtype);
      gemm(true, false, depth, outChannels, rows, 1, cols, 0, depth, contiguousValues(dy) as FloatArray, 0, outChannels, 0, dw.values as FloatArray, 0, outChannels);
      releaseArray(x.dtype, cols);
      return { outputs: [dw] };
    },

    // x: [B, L, C] -> y: [B, L_out, C], argmax (saved): [B, L_out, C] int32 time indices into x
    maxPool1d: ([x], { poolSize, stride }) => {
      const [B, L, C] = x.shape;
      const outLength = Math.floor((L - poolSize) / stride) + 1;
      const xs = contiguousValues(x);
      const y = emptyTensor([B, outLength, C], x.dtype);
      const argmax = emptyTensor([B, outLength, C], 'int32');
      const ys = y.values;
      const am = argmax.values;
      // NOTE: branch-free on purpose. With random data `if (v > m)` is a coin flip the CPU mispredicts half
      // the time (measured 1.65x slower here); instead the comparison becomes 0 / 1 and moves the argmax
      // index arithmetically, and the max is re-read through it (exact: no arithmetic on the values).
      for (let b = 0; b < B; b++) {
        const base = b * L * C;
        for (let t = 0; t < outLength; t++) {
          const out = (b * outLength + t) * C;
          const l0 = t * stride;
          for (let c = 0; c < C; c++) {
            let best = l0;
            let m = xs[base + l0 * C + c];
            for (let l = l0 + 1; l < l0 + poolSize; l++) {
              // Strict '>' keeps the lowest index at ties; NaN never wins (the trainer's finiteness check catches it).
              best += +(xs[base + l * C + c] > m) * (l - best);
              m = xs[base + best * C + c];
            }
            ys[out + c] = m;
            am[out + c] = best;
          }
        }
      }
      return { outputs: [y], saved: [argmax] };
    },

    // dy: [B, L_out, C], argmax: [B, L_out, C] -> dx: [B, L, C]. A scatter: each window's argmax is read once,
    // so poolSize / stride go unused here (the GPU's gather reads them to find the windows covering a cell).
    maxPool1dBackward: ([dy, argmax], { inLength }) => {
      const [B, outLength, C] = dy.shape;
      const dx = emptyTensor([B, inLength, C], dy.dtype, true);
      const dxs = dx.values;
      const dys = contiguousValues(dy);
      const am = contiguousValues(argmax);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < outLength; t++) {
          const row = (b * outLength + t) * C;
          // `+=`: with stride < poolSize, overlapping windows can pick the same element.
          for (let c = 0; c < C; c++) dxs[(b * inLength + am[row + c]) * C + c] += dys[row + c];
        }
      }
      return { outputs: [dx] };
    },

    // x, mask: same shape -> y = x · mask / (1 - rate)
    dropoutWithMask: ([x, mask], { rate }) => {
      const y = emptyTensor(x.shape, x.dtype);
      const ys = y.values;
      const xs = contiguousValues(x);
      const ms = contiguousValues(mask);
      const scale = 1 / (1 - rate);
      for (let i = 0; i < ys.length; i++) ys[i] = xs[i] * ms[i] * scale;
      return { outputs: [y] };
    },
  };
}

export const convKernels: KernelsFor<ConvOps> = convKernelsWith(gemm);
