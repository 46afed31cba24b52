// gpu.js kernels for linear algebra: batched matmul (transposes and broadcast batches as stride constants) and dense (bias + activation epilogue).

import type { LinalgOps, DenseActivation } from '../../tensor/ops/linalg.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { contiguousStrides, sizeOf } from '../../tensor/shape.ts';
import type { Kernel } from '../backend.ts';
import { collapseAxes } from '../cpu/strided.ts';
import type { Constants, GpuContext } from './context.ts';
import { NO_INPUT, Staging, deviceTensor, storageArg } from './device.ts';

type This = { thread: { x: number }; constants: Constants };

// y[t, m, n] = Σ_k op(a)[t, m, k] · op(b)[t, k, n]. Transposes only swap which stride walks k, so no
// operand is ever copied; a broadcast batch has stride 0.
function matmulBody(this: This, a: Float32Array, b: Float32Array): number {
  const t = Math.floor(this.thread.x / this.constants.MN);
  const r = this.thread.x - t * this.constants.MN;
  const m = Math.floor(r / this.constants.N);
  const n = r - m * this.constants.N;
  const pa = this.constants.ao + t * this.constants.asb + m * this.constants.asm;
  const pb = this.constants.bo + t * this.constants.bsb + n * this.constants.bsn;
  let s = 0;
  for (let k = 0; k < this.constants.K; k++) s += a[pa + k * this.constants.ask] * b[pb + k * this.constants.bsk];
  return s;
}

/** The epilogue activations as kernel constants (dense and conv1d). */
export const ACTIVATION_CODES: Record<DenseActivation, number> = { none: 0, relu: 1, tanh: 2, sigmoid: 3 };

// y[n, j] = act(Σ_k x[n, k] · w[k, j] + bias[j]): the epilogue runs on the sum while it is in a register.
function denseBody(this: This, x: Float32Array, w: Float32Array, bias: Float32Array): number {
  const n = Math.floor(this.thread.x / this.constants.out);
  const j = this.thread.x - n * this.constants.out;
  const px = this.constants.xo + n * this.constants.xsr;
  const pw = this.constants.wo + j * this.constants.wsc;
  let s = 0;
  for (let k = 0; k < this.constants.K; k++) s += x[px + k * this.constants.xsc] * w[pw + k * this.constants.wsr];
  if (this.constants.hasBias === 1) s += bias[this.constants.bo + j];
  if (this.constants.act === 1) return Math.max(s, 0);
  if (this.constants.act === 2) return Math.tanh(s);
  if (this.constants.act === 3) return 1 / (1 + Math.exp(-s));
  return s;
}

/** Batch strides of a and b merged into one axis, or null when they do not merge. */
function batchAxis(a: Tensor, b: Tensor): { count: number; as: number; bs: number } | null {
  const r = a.rank;
  const batch = a.shape.slice(0, r - 2);
  const layout = collapseAxes(batch, [a.strides.slice(0, r - 2), b.strides.slice(0, r - 2)]);
  if (layout.shape.length > 1) return null;
  const count = sizeOf(batch);
  // collapseAxes gives stride 1 for an empty / all-1 batch: any value works when the batch index is always 0.
  return { count, as: layout.strides[0][0], bs: layout.strides[1][0] };
}

/**
 * The strides of an operand's free axis (m of a, n of b) and of its k axis. op(a) is [M, K] and op(b) is
 * [K, N], so k is a's column axis but b's row axis; a transposed operand swaps the two.
 */
function operandStrides(strides: readonly number[], kIsColumn: boolean): { free: number; k: number } {
  const [sR, sC] = strides.slice(strides.length - 2);
  return kIsColumn ? { free: sR, k: sC } : { free: sC, k: sR };
}

export function linalgGpuKernels(context: GpuContext): { [K in keyof LinalgOps]: Kernel<K> } {
  return {
    // a: [..., M, K] (or [..., K, M] with transA), b: [..., K, N] (or [..., N, K]) -> y: [..., M, N]
    matmul: ([a, b], { transA, transB }) => {
      const r = a.rank;
      const M = transA ? a.shape[r - 1] : a.shape[r - 2];
      const K = transA ? a.shape[r - 2] : a.shape[r - 1];
      const N = transB ? b.shape[r - 2] : b.shape[r - 1];
      const staging = new Staging(context);
      let batch = batchAxis(a, b);
      let [argA, argB] = [{ arg: storageArg(context, a), offset: a.offset }, { arg: storageArg(context, b), offset: b.offset }];
      let [sa, sb] = [operandStrides(a.strides, !transA), operandStrides(b.strides, transB)];
      if (batch === null) {
        // Batch axes that do not merge (rare: permuted batches): make both operands row-major first.
        [argA, argB] = staging.contiguous(a, b);
        sa = operandStrides(contiguousStrides(a.shape), !transA);
        sb = operandStrides(contiguousStrides(b.shape), transB);
        batch = { count: sizeOf(a.shape.slice(0, r - 2)), as: M * K, bs: K * N };
      }
      const constants = {
        MN: M * N, N, K,
        ao: argA.offset, asb: batch.as, asm: sa.free, ask: sa.k,
        bo: argB.offset, bsb: batch.bs, bsn: sb.free, bsk: sb.k,
      };
      const y = context.run('matmul', matmulBody, batch.count * M * N, constants, [argA.arg, argB.arg]);
      staging.release();
      return { outputs: [deviceTensor(y, [...a.shape.slice(0, r - 2), M, N])] };
    },

    // x: [N, in], w: [in, out], bias: [out] -> y: [N, out]
    dense: ([x, w, bias], { activation }) => {
      const [N, K] = x.shape;
      const out = w.shape[1];
      const staging = new Staging(context);
      const [b] = bias ? staging.contiguous(bias) : [{ arg: NO_INPUT, offset: 0 }];
      const constants = {
        out, K,
        xo: x.offset, xsr: x.strides[0], xsc: x.strides[1],
        wo: w.offset, wsr: w.strides[0], wsc: w.strides[1],
        bo: b.offset, hasBias: bias ? 1 : 0, act: ACTIVATION_CODES[activation],
      };
      const y = context.run('dense', denseBody, N * out, constants, [storageArg(context, x), storageArg(context, w), b.arg]);
      staging.release();
      return { outputs: [deviceTensor(y, [N, out])] };
    },
  };
}
