// CPU kernels for the fused whole-sequence LSTM: forward (GEMMs + fused cell pass) and hand-written BPTT.
//
// Layout: everything is batch-major, like x and y. The gate pre-activations z live in one [B, T, 4H] buffer;
// step t is the strided matrix z[:, t, :] (B rows of 4H, T·4H apart in memory), which a GEMM reads and writes
// in place through its leading dimension, so no step copies or allocates.

import type { FloatArray } from '../../tensor/dtype.ts';
import { emptyTensor } from '../../tensor/tensor.ts';
import type { RecurrentOps } from '../../tensor/ops/recurrent.ts';
import type { KernelsFor } from '../backend.ts';
import { contiguousValues } from './strided.ts';

/**
 * C = alpha · op(A) · op(B) + beta · C, row-major, BLAS argument order (op(A): [M, K], op(B): [K, N]; a
 * transposed operand is stored as its transpose, e.g. A as [K, M] with leading dimension lda).
 * NOTE: a local stand-in with the signature of src/kernels/cpu/gemm.ts (being written in parallel); the LSTM
 * switches to that blocked GEMM once it lands.
 */
function gemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
  A: FloatArray, aOff: number, lda: number, B: FloatArray, bOff: number, ldb: number,
  beta: number, C: FloatArray, cOff: number, ldc: number,
): void {
  for (let i = 0; i < M; i++) {
    const ci = cOff + i * ldc;
    if (beta === 0) C.fill(0, ci, ci + N);
    else if (beta !== 1) for (let j = 0; j < N; j++) C[ci + j] *= beta;
  }
  if (!transB) {
    // i-k-j: the inner loop streams a row of B into a row of C.
    for (let i = 0; i < M; i++) {
      const ci = cOff + i * ldc;
      for (let k = 0; k < K; k++) {
        const a = alpha * (transA ? A[aOff + k * lda + i] : A[aOff + i * lda + k]);
        if (a === 0) continue;
        const bk = bOff + k * ldb;
        for (let j = 0; j < N; j++) C[ci + j] += a * B[bk + j];
      }
    }
  } else {
    // B is stored [N, K]: each C element is a dot product of two contiguous rows (when A is not transposed).
    for (let i = 0; i < M; i++) {
      const ci = cOff + i * ldc;
      for (let j = 0; j < N; j++) {
        const bj = bOff + j * ldb;
        let acc = 0;
        if (transA) for (let k = 0; k < K; k++) acc += A[aOff + k * lda + i] * B[bj + k];
        else for (let k = 0, ai = aOff + i * lda; k < K; k++) acc += A[ai + k] * B[bj + k];
        C[ci + j] += alpha * acc;
      }
    }
  }
}

// NOTE: 1 / (1 + e^-z) is exact enough and never NaN: for z << 0, e^-z = Infinity and the result is 0.
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export const recurrentKernels: KernelsFor<RecurrentOps> = {
  // x: [B, T, F] -> y: [B, T, H], hT: [B, H], cT: [B, H]; saved gates: [B, T, 4H] (activated), c, tanhC: [B, T, H]
  lstm: ([x, wIh, wHh, b, h0, c0]) => {
    const [B, T, F] = x.shape;
    const H = wHh.shape[0];
    const G = 4 * H;
    const xs = contiguousValues(x) as FloatArray;
    const wih = contiguousValues(wIh) as FloatArray;
    const whh = contiguousValues(wHh) as FloatArray;
    const bs = contiguousValues(b);
    const h0s = contiguousValues(h0) as FloatArray;
    const c0s = contiguousValues(c0);
    const y = emptyTensor([B, T, H], x.dtype);
    const gates = emptyTensor([B, T, G], x.dtype);
    const c = emptyTensor([B, T, H], x.dtype);
    const tanhC = emptyTensor([B, T, H], x.dtype);
    const ys = y.values as FloatArray;
    const zs = gates.values as FloatArray;
    const cs = c.values;
    const tcs = tanhC.values;

    // z = x·W_ih + b for all B·T rows at once: fill every row with b, then one GEMM accumulates into it.
    for (let r = 0; r < B * T; r++) zs.set(bs, r * G);
    gemm(false, false, B * T, G, F, 1, xs, 0, F, wih, 0, G, 1, zs, 0, G);

    for (let t = 0; t < T; t++) {
      // z[:, t, :] += h_{t-1}·W_hh, with h_{t-1} = y[:, t-1, :] (rows T·H apart) or h0.
      if (t === 0) gemm(false, false, B, G, H, 1, h0s, 0, H, whh, 0, G, 1, zs, 0, T * G);
      else gemm(false, false, B, G, H, 1, ys, (t - 1) * H, T * H, whh, 0, G, 1, zs, t * G, T * G);
      // The fused cell: activate the gates in place (they are saved for backward), then c_t and h_t.
      for (let n = 0; n < B; n++) {
        const z = (n * T + t) * G;
        const h = (n * T + t) * H;
        const cPrev = t === 0 ? c0s : cs;
        const p = t === 0 ? n * H : h - H;
        for (let j = 0; j < H; j++) {
          const i = sigmoid(zs[z + j]);
          const f = sigmoid(zs[z + H + j]);
          const g = Math.tanh(zs[z + 2 * H + j]);
          const o = sigmoid(zs[z + 3 * H + j]);
          const ct = f * cPrev[p + j] + i * g;
          const tc = Math.tanh(ct);
          zs[z + j] = i;
          zs[z + H + j] = f;
          zs[z + 2 * H + j] = g;
          zs[z + 3 * H + j] = o;
          cs[h + j] = ct;
          tcs[h + j] = tc;
          ys[h + j] = o * tc;
        }
      }
    }

    const hT = emptyTensor([B, H], x.dtype);
    const cT = emptyTensor([B, H], x.dtype);
    for (let n = 0; n < B; n++) {
      const last = (n * T + T - 1) * H;
      hT.values.set(ys.subarray(last, last + H), n * H);
      cT.values.set(cs.subarray(last, last + H), n * H);
    }
    return { outputs: [y, hT, cT], saved: [gates, c, tanhC] };
  },

  // Backpropagation through time, from t = T-1 down to 0. dh and dc carry d(loss)/d(h_t), d(loss)/d(c_t)
  // back one step; they live in the dh0 / dc0 outputs, which hold exactly that after the last step.
  lstmBackward: ([dy, dhT, dcT, x, wIh, wHh, h0, c0, y, gates, c, tanhC], { needsDx }) => {
    const [B, T, F] = x.shape;
    const H = wHh.shape[0];
    const G = 4 * H;
    const dys = contiguousValues(dy);
    const xs = contiguousValues(x) as FloatArray;
    const wih = contiguousValues(wIh) as FloatArray;
    const whh = contiguousValues(wHh) as FloatArray;
    const h0s = contiguousValues(h0) as FloatArray;
    const c0s = contiguousValues(c0);
    const ys = contiguousValues(y) as FloatArray;
    const gs = gates.values;
    const cs = c.values;
    const tcs = tanhC.values;
    const dz = emptyTensor([B, T, G], x.dtype); // scratch: d(loss)/dz for every step, the GEMMs' shared input
    const dx = emptyTensor([B, T, F], x.dtype, !needsDx);
    const dwIh = emptyTensor([F, G], x.dtype);
    const dwHh = emptyTensor([H, G], x.dtype, true);
    const db = emptyTensor([G], x.dtype, true);
    const dh0 = emptyTensor([B, H], x.dtype);
    const dc0 = emptyTensor([B, H], x.dtype);
    const dzs = dz.values as FloatArray;
    const dh = dh0.values as FloatArray;
    const dc = dc0.values;
    dh.set(contiguousValues(dhT));
    dc.set(contiguousValues(dcT));

    for (let t = T - 1; t >= 0; t--) {
      for (let n = 0; n < B; n++) {
        const z = (n * T + t) * G;
        const h = (n * T + t) * H;
        const cPrev = t === 0 ? c0s : cs;
        const p = t === 0 ? n * H : h - H;
        for (let j = 0; j < H; j++) {
          const i = gs[z + j];
          const f = gs[z + H + j];
          const g = gs[z + 2 * H + j];
          const o = gs[z + 3 * H + j];
          const tc = tcs[h + j];
          // h_t feeds y[:, t] and step t+1 (the carry); c_t feeds h_t and step t+1.
          const dht = dys[h + j] + dh[n * H + j];
          const dct = dc[n * H + j] + dht * o * (1 - tc * tc); // h = o·tanh(c): dc += dh · o · (1 - tanh²c)
          // σ' = σ(1 - σ), tanh' = 1 - tanh²; c = f·c_{t-1} + i·g; h = o·tanh(c).
          dzs[z + j] = dct * g * i * (1 - i);
          dzs[z + H + j] = dct * cPrev[p + j] * f * (1 - f);
          dzs[z + 2 * H + j] = dct * i * (1 - g * g);
          dzs[z + 3 * H + j] = dht * tc * o * (1 - o);
          dc[n * H + j] = dct * f; // dc_{t-1} = dc_t · f
        }
      }
      // dW_hh += h_{t-1}ᵀ·dz_t ([H, B]·[B, 4H]), then the carry dh_{t-1} = dz_t·W_hhᵀ ([B, 4H]·[4H, H]).
      if (t === 0) gemm(true, false, H, G, B, 1, h0s, 0, H, dzs, 0, T * G, 1, dwHh.values as FloatArray, 0, G);
      else gemm(true, false, H, G, B, 1, ys, (t - 1) * H, T * H, dzs, t * G, T * G, 1, dwHh.values as FloatArray, 0, G);
      gemm(false, true, B, H, G, 1, dzs, t * G, T * G, whh, 0, G, 0, dh, 0, H);
    }

    // The input side has no recurrence: one GEMM each over all B·T rows.
    gemm(true, false, F, G, B * T, 1, xs, 0, F, dzs, 0, G, 0, dwIh.values as FloatArray, 0, G); // dW_ih = xᵀ·dz
    if (needsDx) gemm(false, true, B * T, F, G, 1, dzs, 0, G, wih, 0, G, 0, dx.values as FloatArray, 0, F); // dx = dz·W_ihᵀ
    const dbs = db.values;
    for (let r = 0; r < B * T; r++) for (let k = 0; k < G; k++) dbs[k] += dzs[r * G + k]; // db = Σ_rows dz
    dz.dispose();
    return { outputs: [dx, dwIh, dwHh, db, dh0, dc0] };
  },
};
