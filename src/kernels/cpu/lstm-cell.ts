// The LSTM cell for one time step, forward and backward, on plain arrays. Its own module without engine
// imports, so the reference kernels (recurrent.ts) and the wasm fallback (wasm/lstm-cell.ts) share one copy.

import type { FloatArray } from '../../tensor/dtype.ts';

// NOTE: 1 / (1 + e^-z) is exact enough and never NaN: for z << 0, e^-z = Infinity and the result is 0.
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/**
 * One step's fused cell for B rows, in place on the step's gates (Keras order i, f, c, o along 4H):
 * i, f, o = σ(z), g = tanh(z) replace z (saved for backward); c = f·cPrev + i·g; tanhC = tanh(c); y = o·tanhC.
 * Rows: z at zOff + n·ldz, cPrev at cPrevOff + n·ldcPrev, and c / tanhC / y at hOff + n·ldh.
 */
export function lstmCell(
  B: number, H: number,
  z: FloatArray, zOff: number, ldz: number,
  cPrev: FloatArray, cPrevOff: number, ldcPrev: number,
  c: FloatArray, tanhC: FloatArray, y: FloatArray, hOff: number, ldh: number,
): void {
  for (let n = 0; n < B; n++) {
    const zr = zOff + n * ldz;
    const pr = cPrevOff + n * ldcPrev;
    const hr = hOff + n * ldh;
    for (let j = 0; j < H; j++) {
      const i = sigmoid(z[zr + j]);
      const f = sigmoid(z[zr + H + j]);
      const g = Math.tanh(z[zr + 2 * H + j]);
      const o = sigmoid(z[zr + 3 * H + j]);
      const ct = f * cPrev[pr + j] + i * g;
      const tc = Math.tanh(ct);
      z[zr + j] = i;
      z[zr + H + j] = f;
      z[zr + 2 * H + j] = g;
      z[zr + 3 * H + j] = o;
      c[hr + j] = ct;
      tanhC[hr + j] = tc;
      y[hr + j] = o * tc;
    }
  }
}

/**
 * One step of BPTT through the cell for B rows. dh, dc: [B, H] carries, d(loss)/d(h_t) and d(loss)/d(c_t)
 * from step t+1 on entry; dc leaves holding d(loss)/d(c_{t-1}) (dh is then recomputed by the caller's GEMM).
 * Writes d(loss)/dz for the step into dz, which shares the gates' layout (zOff, ldz); dy shares tanhC's (hOff, ldh).
 */
export function lstmCellBackward(
  B: number, H: number,
  gates: FloatArray, dz: FloatArray, zOff: number, ldz: number,
  cPrev: FloatArray, cPrevOff: number, ldcPrev: number,
  tanhC: FloatArray, dy: FloatArray, hOff: number, ldh: number,
  dh: FloatArray, dc: FloatArray,
): void {
  for (let n = 0; n < B; n++) {
    const zr = zOff + n * ldz;
    const pr = cPrevOff + n * ldcPrev;
    const hr = hOff + n * ldh;
    for (let j = 0; j < H; j++) {
      const i = gates[zr + j];
      const f = gates[zr + H + j];
      const g = gates[zr + 2 * H + j];
      const o = gates[zr + 3 * H + j];
      const tc = tanhC[hr + j];
      // h_t feeds y[:, t] and step t+1 (the carry); c_t feeds h_t and step t+1.
      const dht = dy[hr + j] + dh[n * H + j];
      const dct = dc[n * H + j] + dht * o * (1 - tc * tc); // h = o·tanh(c): dc += dh · o · (1 - tanh²c)
      // σ' = σ(1 - σ), tanh' = 1 - tanh²; c = f·c_{t-1} + i·g; h = o·tanh(c).
      dz[zr + j] = dct * g * i * (1 - i);
      dz[zr + H + j] = dct * cPrev[pr + j] * f * (1 - f);
      dz[zr + 2 * H + j] = dct * i * (1 - g * g);
      dz[zr + 3 * H + j] = dht * tc * o * (1 - o);
      dc[n * H + j] = dct * f; // dc_{t-1} = dc_t · f
    }
  }
}
