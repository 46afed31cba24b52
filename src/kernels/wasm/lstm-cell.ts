// wasmLstmCell / wasmLstmCellBackward: one LSTM step's fused cell (gate activations, c, tanh(c), h) and its BPTT step in float32 WebAssembly SIMD, with the plain-TS loops as fallback.
//
// Why: at DCL-MoE's shape (B = 64, H = 64) the scalar cell costs ~430 µs per step in V8 (five Math.exp /
// Math.tanh per unit), eight times the step's recurrent GEMM. The wasm cell evaluates sigmoid and tanh with
// the vectorised rational approximation of the GEMM epilogue (|error| <= TANH_MAX_ABS_ERROR).
// Layout is the one src/kernels/cpu/recurrent.ts uses: z[n] = row n of the step's gates [i | f | g | o]
// (4H wide, row stride ldz), cPrev rows (stride ldcPrev), and c / tanhC / y sharing one layout (stride ldh,
// first row at hOff).

// NOTE: load the engine before cpu/recurrent.ts (the import cycle explained in backend.ts).
import '../../tensor/tensor.ts';
import type { FloatArray } from '../../tensor/dtype.ts';
import { lstmCellBackward } from '../cpu/recurrent.ts';
import { wasmRuntime } from './runtime.ts';
import { copyOut, place, type Placed } from './staging.ts';

/**
 * For n < B, j < H (i, f, o = sigmoid, g = tanh of the gate pre-activations in z, replaced in place by
 * the activated gates):  c = f·cPrev + i·g,  tanhC = tanh(c),  y = o·tanhC.
 * Float32Arrays run the SIMD kernel (in place when they live in wasm memory, else staged); anything else,
 * or no WebAssembly SIMD, runs the scalar reference loop.
 *
 * @example
 * // step t of recurrent.ts's forward, after z[:, t, :] += h_{t-1}·W_hh:
 * wasmLstmCell(B, H, zs, t * G, T * G, cPrev, p0, pStride, cs, tcs, ys, t * H, T * H);
 */
export function wasmLstmCell(
  B: number, H: number,
  z: FloatArray, zOff: number, ldz: number,
  cPrev: FloatArray, cPrevOff: number, ldcPrev: number,
  c: FloatArray, tanhC: FloatArray, y: FloatArray, hOff: number, ldh: number,
): void {
  if (B <= 0 || H <= 0) return;
  const rt = wasmRuntime();
  const arrays = [z, cPrev, c, tanhC, y];
  if (rt === null || !arrays.every((a) => a instanceof Float32Array)) {
    referenceLstmCell(B, H, z, zOff, ldz, cPrev, cPrevOff, ldcPrev, c, tanhC, y, hOff, ldh);
    return;
  }
  const [zf, cpf, cf, tcf, yf] = arrays as Float32Array[];
  const G = 4 * H;
  const zp = place(rt, 'wasmLstmCell: z', zf, zOff, B, G, ldz, true);
  const cp = place(rt, 'wasmLstmCell: cPrev', cpf, cPrevOff, B, H, ldcPrev, true);
  // c, tanhC and y must share a row stride inside the kernel: use them in place only if all three can be.
  const outsInPlace = [cf, tcf, yf].every((a) => rt.arena.contains(a));
  const outs: Placed[] = [cf, tcf, yf].map((a, k) => place(rt, `wasmLstmCell: ${['c', 'tanhC', 'y'][k]}`, a, hOff, B, H, ldh, false, !outsInPlace));
  try {
    rt.exports.lstmCell(zp.address, 4 * zp.ld, cp.address, 4 * cp.ld, outs[0].address, outs[1].address, outs[2].address, 4 * outs[0].ld, B, H);
    if (zp.staged !== 0) copyOut(rt, zp, zf, zOff, B, G, ldz);
    const outArrays = [cf, tcf, yf];
    for (let k = 0; k < 3; k++) if (outs[k].staged !== 0) copyOut(rt, outs[k], outArrays[k], hOff, B, H, ldh);
  } finally {
    for (const p of [zp, cp, ...outs]) if (p.staged !== 0) rt.arena.free(p.staged);
  }
}

/**
 * One step of BPTT through the cell, in float32 WebAssembly SIMD: the same arguments and maths as
 * lstmCellBackward in src/kernels/cpu/recurrent.ts (which runs instead for Float64Arrays or without SIMD).
 * Writes d(loss)/dz for the step's B rows into dz (gates' layout) and replaces the carry dc with
 * d(loss)/d(c_{t-1}); dh, dc are contiguous [B, H].
 * Why: at DCL-MoE's shape the scalar pass was ~1.4x the step's two GEMMs together (measured in the
 * commit that added it); it is plain arithmetic, so the SIMD version is exact up to float32 rounding.
 *
 * @example
 * // step t of recurrent.ts's BPTT, before the step's dW_hh and dh GEMMs:
 * wasmLstmCellBackward(B, H, gs, dzs, t * G, T * G, cs, (t - 1) * H, T * H, tcs, dys, t * H, T * H, dh, dc);
 */
export function wasmLstmCellBackward(
  B: number, H: number,
  gates: FloatArray, dz: FloatArray, zOff: number, ldz: number,
  cPrev: FloatArray, cPrevOff: number, ldcPrev: number,
  tanhC: FloatArray, dy: FloatArray, hOff: number, ldh: number,
  dh: FloatArray, dc: FloatArray,
): void {
  if (B <= 0 || H <= 0) return;
  const rt = wasmRuntime();
  const arrays = [gates, dz, cPrev, tanhC, dy, dh, dc];
  if (rt === null || !arrays.every((a) => a instanceof Float32Array)) {
    lstmCellBackward(B, H, gates, dz, zOff, ldz, cPrev, cPrevOff, ldcPrev, tanhC, dy, hOff, ldh, dh, dc);
    return;
  }
  const [gf, dzf, cpf, tcf, dyf, dhf, dcf] = arrays as Float32Array[];
  const G = 4 * H;
  // Each operand is placed on its own (in place, or staged with its own row stride).
  const gp = place(rt, 'wasmLstmCellBackward: gates', gf, zOff, B, G, ldz, true);
  const dzp = place(rt, 'wasmLstmCellBackward: dz', dzf, zOff, B, G, ldz, false);
  const cpp = place(rt, 'wasmLstmCellBackward: cPrev', cpf, cPrevOff, B, H, ldcPrev, true);
  const tcp = place(rt, 'wasmLstmCellBackward: tanhC', tcf, hOff, B, H, ldh, true);
  const dyp = place(rt, 'wasmLstmCellBackward: dy', dyf, hOff, B, H, ldh, true);
  const dhp = place(rt, 'wasmLstmCellBackward: dh', dhf, 0, B, H, H, true);
  const dcp = place(rt, 'wasmLstmCellBackward: dc', dcf, 0, B, H, H, true);
  const placed = [gp, dzp, cpp, tcp, dyp, dhp, dcp];
  try {
    rt.exports.lstmCellBackward(gp.address, 4 * gp.ld, dzp.address, 4 * dzp.ld, cpp.address, 4 * cpp.ld, tcp.address, 4 * tcp.ld,
      dyp.address, 4 * dyp.ld, dhp.address, dcp.address, B, H);
    if (dzp.staged !== 0) copyOut(rt, dzp, dzf, zOff, B, G, ldz);
    if (dcp.staged !== 0) copyOut(rt, dcp, dcf, 0, B, H, H);
  } finally {
    for (const p of placed) if (p.staged !== 0) rt.arena.free(p.staged);
  }
}

// NOTE: 1 / (1 + e^-z) is exact enough and never NaN: for z << 0, e^-z = Infinity and the result is 0.
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** The scalar cell (float64 arrays, and engines without WebAssembly SIMD); same maths as recurrent.ts. */
export function referenceLstmCell(
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
