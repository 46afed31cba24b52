// wasmLstmCell / wasmLstmCellBackward: one LSTM step's fused cell (gate activations, c, tanh(c), h) and its BPTT step in float32 WebAssembly SIMD, with the plain-TS loops as fallback.
//
// Why: at DCL-MoE's shape (B = 64, H = 64) the scalar cell costs ~430 µs per step in V8 (five Math.exp /
// Math.tanh per unit), eight times the step's recurrent GEMM. The wasm cell evaluates sigmoid and tanh with
// the vectorised rational approximation of the GEMM epilogue (|error| <= TANH_MAX_ABS_ERROR).
// Layout is the one src/kernels/cpu/recurrent.ts uses: z[n] = row n of the step's gates [i | f | g | o]
// (4H wide, row stride ldz), cPrev rows (stride ldcPrev), and c / tanhC / y sharing one layout (stride ldh,
// first row at hOff).

import type { FloatArray } from '../../tensor/dtype.ts';
// The plain cells live in a module with no engine imports, so this file is outside the cpu/ import cycle.
import { lstmCell, lstmCellBackward } from '../cpu/lstm-cell.ts';
import { activeWorkerPool } from './gemm.ts';
import { wasmRuntime } from './runtime.ts';
import { copyOut, place, type Placed } from './staging.ts';
import { CMD_LSTM_CELL, CMD_LSTM_CELL_BACKWARD } from './threads.ts';

/**
 * Split a cell pass across two threads from this many units (B·H) up, when worker threads run
 * (startWasmThreads). Measured on the 2-core dev machine with the other core idle, B = H = 64 (4096 units):
 * forward cell 26.1-27.1 -> 15.8-17.9 µs; the backward cell on hot data 4.4-4.6 -> 3.2-4.5 µs (on the cold
 * data of a real BPTT step it is memory-bound, ~20 µs). Below ~2000 units a pass takes a few µs, the size
 * of the hand-off itself.
 */
export const PARALLEL_MIN_CELL_UNITS = 2048;

/**
 * Run a B-row cell pass, in two row shares when a worker is free: rows [0, half) here, [half, B) on worker 0.
 * `argsFor(row0, rows)` gives the export's arguments for a block of rows; `run` calls the export.
 */
function inRowShares(B: number, H: number, cmd: number, argsFor: (row0: number, rows: number) => number[], run: (args: number[]) => void): void {
  const pool = activeWorkerPool();
  if (pool === null || B < 2 || B * H < PARALLEL_MIN_CELL_UNITS || !pool.shouldSplit()) {
    run(argsFor(0, B));
    return;
  }
  const half = Math.ceil(B / 2);
  const theirs = argsFor(half, B - half);
  pool.postCall(0, cmd, theirs);
  let failure: unknown = null;
  try {
    run(argsFor(0, half));
  } catch (e) {
    failure = e;
  }
  // Always, even after a failure: staging blocks must not be reused while the worker still reads them.
  try {
    pool.finish(0, theirs, run);
  } catch (e) {
    failure ??= e;
  }
  if (failure !== null) throw failure;
}

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
    lstmCell(B, H, z, zOff, ldz, cPrev, cPrevOff, ldcPrev, c, tanhC, y, hOff, ldh);
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
    const [ldz4, ldc4, ldh4] = [4 * zp.ld, 4 * cp.ld, 4 * outs[0].ld];
    inRowShares(B, H, CMD_LSTM_CELL,
      (r, rows) => [zp.address + r * ldz4, ldz4, cp.address + r * ldc4, ldc4, outs[0].address + r * ldh4, outs[1].address + r * ldh4, outs[2].address + r * ldh4, ldh4, rows, H],
      (a) => rt.exports.lstmCell(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]));
    if (zp.staged !== 0) copyOut(rt, zp, zf, zOff, B, G, ldz);
    const outArrays = [cf, tcf, yf];
    for (let k = 0; k < 3; k++) if (outs[k].staged !== 0) copyOut(rt, outs[k], outArrays[k], hOff, B, H, ldh);
  } finally {
    for (const p of [zp, cp, ...outs]) if (p.staged !== 0) rt.arena.free(p.staged);
  }
}

/**
 * One step of BPTT through the cell, in float32 WebAssembly SIMD: the same arguments and maths as
 * lstmCellBackward in src/kernels/cpu/lstm-cell.ts (which runs instead for Float64Arrays or without SIMD).
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
    const [g4, z4, p4, t4, y4, h4] = [4 * gp.ld, 4 * dzp.ld, 4 * cpp.ld, 4 * tcp.ld, 4 * dyp.ld, 4 * H];
    inRowShares(B, H, CMD_LSTM_CELL_BACKWARD,
      (r, rows) => [gp.address + r * g4, g4, dzp.address + r * z4, z4, cpp.address + r * p4, p4, tcp.address + r * t4, t4,
        dyp.address + r * y4, y4, dhp.address + r * h4, dcp.address + r * h4, rows, H],
      (a) => rt.exports.lstmCellBackward(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13]));
    if (dzp.staged !== 0) copyOut(rt, dzp, dzf, zOff, B, G, ldz);
    if (dcp.staged !== 0) copyOut(rt, dcp, dcf, 0, B, H, H);
  } finally {
    for (const p of placed) if (p.staged !== 0) rt.arena.free(p.staged);
  }
}

