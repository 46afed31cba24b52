// CPU kernels: Linear algebra: batched matmul and the fused dense layer op (x·W + b), both on the shared GEMM.

import type { FloatArray } from '../../tensor/dtype.ts';
import { emptyTensor, type Tensor } from '../../tensor/tensor.ts';
import { contiguousStrides, sizeOf } from '../../tensor/shape.ts';
import { releaseArray } from '../../tensor/storage.ts';
import type { LinalgOps } from '../../tensor/ops/linalg.ts';
import type { KernelsFor } from '../backend.ts';
import { gemm, type GemmFn } from './gemm.ts';
import { contiguousValues, gatherStrided } from './strided.ts';

/** How the GEMM reads one operand: a row-major matrix (possibly transposed) at data[offset + batch strides]. */
interface Operand {
  data: FloatArray;
  offset: number;
  /** Strides of the leading (batch) axes; 0 on broadcast axes. */
  batchStrides: readonly number[];
  trans: boolean;
  ld: number;
  /** True when `data` is a gathered copy to hand back to the pool after use. */
  gathered: boolean;
}

/**
 * Read the last two axes of `x` (stored [R, C]; `trans` says the op uses its transpose) as a GEMM operand
 * without copying when possible: row-major rows (unit column stride) are read directly, and a transposed
 * view (unit row stride, e.g. `transpose(w)`) becomes the opposite `trans` flag. Only views that are
 * strided in both axes are gathered.
 */
function operand(x: Tensor, trans: boolean): Operand {
  const r = x.rank;
  const [R, C] = x.shape.slice(r - 2);
  const [sR, sC] = x.strides.slice(r - 2);
  const batchStrides = x.strides.slice(0, r - 2);
  const data = x.storage.data as FloatArray;
  if (sC === 1 || C === 1) return { data, offset: x.offset, batchStrides, trans, ld: R === 1 ? Math.max(C, 1) : sR, gathered: false };
  if (sR === 1 || R === 1) return { data, offset: x.offset, batchStrides, trans: !trans, ld: sC, gathered: false };
  const strides = contiguousStrides(x.shape);
  return { data: gatherStrided(x) as FloatArray, offset: 0, batchStrides: strides.slice(0, r - 2), trans, ld: C, gathered: true };
}

function release(op: Operand, x: Tensor): void {
  if (op.gathered) releaseArray(x.dtype, op.data);
}

/**
 * The linalg kernels over a given GEMM (src/kernels/cpu/gemm.ts's BLAS-style signature), so a faster
 * backend (WebAssembly SIMD) reuses the operand and batch logic: `linalgKernelsWith(wasmGemm)`.
 */
export function linalgKernelsWith(gemm: GemmFn): KernelsFor<LinalgOps> {
  return {
    // a: [..., M, K] (or [..., K, M]), b: [..., K, N] (or [..., N, K]) -> y: [..., M, N]
    matmul: ([a, b], { transA, transB }) => {
      const r = a.rank;
      const batch = a.shape.slice(0, r - 2);
      const M = transA ? a.shape[r - 1] : a.shape[r - 2];
      const K = transA ? a.shape[r - 2] : a.shape[r - 1];
      const N = transB ? b.shape[r - 2] : b.shape[r - 1];
      const y = emptyTensor([...batch, M, N], a.dtype);
      const ys = y.values as FloatArray;
      const A = operand(a, transA);
      const B = operand(b, transB);
      // Walk the batch axes as an odometer, moving each operand's offset by its own (possibly 0) strides.
      const counter = new Array<number>(batch.length).fill(0);
      let offA = A.offset;
      let offB = B.offset;
      const count = sizeOf(batch);
      for (let n = 0; n < count; n++) {
        gemm(A.trans, B.trans, M, N, K, 1, A.data, offA, A.ld, B.data, offB, B.ld, 0, ys, n * M * N, N);
        for (let axis = batch.length - 1; axis >= 0; axis--) {
          offA += A.batchStrides[axis];
          offB += B.batchStrides[axis];
          if (++counter[axis] < batch[axis]) break;
          offA -= A.batchStrides[axis] * batch[axis];
          offB -= B.batchStrides[axis] * batch[axis];
          counter[axis] = 0;
        }
      }
      release(A, a);
      release(B, b);
      return { outputs: [y] };
    },

    // x: [N, in], w: [in, out], b: [out] -> y: [N, out]
    dense: ([x, w, b], { activation }) => {
      const [N, inFeatures] = x.shape;
      const outFeatures = w.shape[1];
      const y = emptyTensor([N, outFeatures], x.dtype);
      const X = operand(x, false);
      const W = operand(w, false);
      const bias = b ? (contiguousValues(b) as FloatArray) : null;
      gemm(X.trans, W.trans, N, outFeatures, inFeatures, 1, X.data, X.offset, X.ld, W.data, W.offset, W.ld, 0, y.values as FloatArray, 0, outFeatures, {
        bias,
        biasOff: 0,
        activation,
      });
      release(X, x);
      release(W, w);
      return { outputs: [y] };
    },
  };
}

export const linalgKernels: KernelsFor<LinalgOps> = linalgKernelsWith(gemm);
