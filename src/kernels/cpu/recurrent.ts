// CPU kernels for the fused whole-sequence LSTM: forward (GEMMs + fused cell pass) and hand-written BPTT.
//
// Layout: everything is batch-major, like x and y. The gate pre-activations z live in one [B, T, 4H] buffer;
// step t is the strided matrix z[:, t, :] (B rows of 4H, T·4H apart in memory), which a GEMM reads and writes
// in place through its leading dimension, so no step copies or allocates. The cell passes take the same
// (offset, row stride) pairs, so a faster backend can swap in its own GEMM and cell (`recurrentKernelsWith`).

import type { FloatArray } from '../../tensor/dtype.ts';
import { emptyTensor } from '../../tensor/tensor.ts';
import type { RecurrentOps } from '../../tensor/ops/recurrent.ts';
import type { KernelsFor } from '../backend.ts';
import { contiguousValues } from './strided.ts';
import { gemm } from './gemm.ts';

export { lstmCell, lstmCellBackward } from './lstm-cell.ts';
import { lstmCell, lstmCellBackward } from './lstm-cell.ts';

/**
 * dst[dstOff + j] += Σ_r src[srcOff + r·ld + j] for j < cols, r < rows, summed in row order (the bias gradient
 * db = Σ_rows dz). NOTE: accumulates in dst's own precision, so a Float32Array dst rounds after every add.
 */
export function addColumnSums(rows: number, cols: number, src: FloatArray, srcOff: number, ld: number, dst: FloatArray, dstOff: number): void {
  for (let r = 0; r < rows; r++) {
    const row = srcOff + r * ld;
    for (let j = 0; j < cols; j++) dst[dstOff + j] += src[row + j];
  }
}

/** The pieces a backend may replace: the GEMM (src/kernels/cpu/gemm.ts's signature), the two cell passes and the bias-gradient sum. */
export interface LstmParts {
  gemm: typeof gemm;
  cell: typeof lstmCell;
  cellBackward: typeof lstmCellBackward;
  columnSums: typeof addColumnSums;
}

/** The lstm / lstmBackward kernels over the given GEMM and cells (e.g. a WebAssembly SIMD backend's). */
export function recurrentKernelsWith({ gemm, cell, cellBackward, columnSums }: LstmParts): KernelsFor<RecurrentOps> {
  return {
    // x: [B, T, F] -> y: [B, T, H], hT: [B, H], cT: [B, H]; saved gates: [B, T, 4H] (activated), c, tanhC: [B, T, H]
    lstm: ([x, wIh, wHh, b, h0, c0]) => {
      const [B, T, F] = x.shape;
      const H = wHh.shape[0];
      const G = 4 * H;
      const xs = contiguousValues(x) as FloatArray;
      const wih = contiguousValues(wIh) as FloatArray;
      const whh = contiguousValues(wHh) as FloatArray;
      const bs = contiguousValues(b) as FloatArray;
      const h0s = contiguousValues(h0) as FloatArray;
      const c0s = contiguousValues(c0) as FloatArray;
      const y = emptyTensor([B, T, H], x.dtype);
      const gates = emptyTensor([B, T, G], x.dtype);
      const c = emptyTensor([B, T, H], x.dtype);
      const tanhC = emptyTensor([B, T, H], x.dtype);
      const ys = y.values as FloatArray;
      const zs = gates.values as FloatArray;
      const cs = c.values as FloatArray;

      // z = x·W_ih + b for all B·T rows at once: one GEMM, the bias added by its epilogue.
      gemm(false, false, B * T, G, F, 1, xs, 0, F, wih, 0, G, 0, zs, 0, G, { bias: bs, biasOff: 0, activation: 'none' });

      for (let t = 0; t < T; t++) {
        // z[:, t, :] += h_{t-1}·W_hh, with h_{t-1} = y[:, t-1, :] (rows T·H apart) or h0; then the cell,
        // with c_{t-1} = c[:, t-1, :] or c0.
        if (t === 0) {
          gemm(false, false, B, G, H, 1, h0s, 0, H, whh, 0, G, 1, zs, 0, T * G);
          cell(B, H, zs, 0, T * G, c0s, 0, H, cs, tanhC.values as FloatArray, ys, 0, T * H);
        } else {
          gemm(false, false, B, G, H, 1, ys, (t - 1) * H, T * H, whh, 0, G, 1, zs, t * G, T * G);
          cell(B, H, zs, t * G, T * G, cs, (t - 1) * H, T * H, cs, tanhC.values as FloatArray, ys, t * H, T * H);
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

    // Backpropagation through time, from t = T-1 down to 0. The carries dh and dc live in the dh0 / dc0
    // outputs, which hold exactly d(loss)/d(h0), d(loss)/d(c0) after the last step.
    lstmBackward: ([dy, dhT, dcT, x, wIh, wHh, h0, c0, y, gates, c, tanhC], { needsDx }) => {
      const [B, T, F] = x.shape;
      const H = wHh.shape[0];
      const G = 4 * H;
      const dys = contiguousValues(dy) as FloatArray;
      const xs = contiguousValues(x) as FloatArray;
      const wih = contiguousValues(wIh) as FloatArray;
      const whh = contiguousValues(wHh) as FloatArray;
      const h0s = contiguousValues(h0) as FloatArray;
      const c0s = contiguousValues(c0) as FloatArray;
      const ys = contiguousValues(y) as FloatArray;
      const gs = gates.values as FloatArray;
      const cs = c.values as FloatArray;
      const tcs = tanhC.values as FloatArray;
      const dz = emptyTensor([B, T, G], x.dtype); // scratch: d(loss)/dz for every step, the GEMMs' shared input
      const dx = emptyTensor([B, T, F], x.dtype, !needsDx);
      const dwIh = emptyTensor([F, G], x.dtype);
      const dwHh = emptyTensor([H, G], x.dtype, true);
      const db = emptyTensor([G], x.dtype, true);
      const dh0 = emptyTensor([B, H], x.dtype);
      const dc0 = emptyTensor([B, H], x.dtype);
      const dzs = dz.values as FloatArray;
      const dwhh = dwHh.values as FloatArray;
      const dh = dh0.values as FloatArray;
      const dc = dc0.values as FloatArray;
      dh.set(contiguousValues(dhT));
      dc.set(contiguousValues(dcT));

      for (let t = T - 1; t >= 0; t--) {
        if (t === 0) cellBackward(B, H, gs, dzs, 0, T * G, c0s, 0, H, tcs, dys, 0, T * H, dh, dc);
        else cellBackward(B, H, gs, dzs, t * G, T * G, cs, (t - 1) * H, T * H, tcs, dys, t * H, T * H, dh, dc);
        // dW_hh += h_{t-1}ᵀ·dz_t ([H, B]·[B, 4H]), then the carry dh_{t-1} = dz_t·W_hhᵀ ([B, 4H]·[4H, H]).
        if (t === 0) gemm(true, false, H, G, B, 1, h0s, 0, H, dzs, 0, T * G, 1, dwhh, 0, G);
        else gemm(true, false, H, G, B, 1, ys, (t - 1) * H, T * H, dzs, t * G, T * G, 1, dwhh, 0, G);
        gemm(false, true, B, H, G, 1, dzs, t * G, T * G, whh, 0, G, 0, dh, 0, H);
      }

      // The input side has no recurrence: one GEMM each over all B·T rows.
      gemm(true, false, F, G, B * T, 1, xs, 0, F, dzs, 0, G, 0, dwIh.values as FloatArray, 0, G); // dW_ih = xᵀ·dz
      if (needsDx) gemm(false, true, B * T, F, G, 1, dzs, 0, G, wih, 0, G, 0, dx.values as FloatArray, 0, F); // dx = dz·W_ihᵀ
      columnSums(B * T, G, dzs, 0, G, db.values as FloatArray, 0); // db = Σ_rows dz
      dz.dispose();
      return { outputs: [dx, dwIh, dwHh, db, dh0, dc0] };
    },
  };
}

export const recurrentKernels: KernelsFor<RecurrentOps> = recurrentKernelsWith({ gemm, cell: lstmCell, cellBackward: lstmCellBackward, columnSums: addColumnSums });
