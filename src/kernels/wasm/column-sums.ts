// wasmAddColumnSums: column sums of a row-major float32 block (bias gradients: db = Σ_rows dz) in WebAssembly SIMD, with the plain-TS loop as fallback.
//
// Why: the LSTM's db = Σ over B·T rows of dz [B·T, 4H] ran as a TypeScript loop at ~2.5 ns per element
// (~1.6 ms of a 7 ms DCL-MoE LSTM backward pass); the SIMD loop sums 32 columns per row pass.

// NOTE: load the engine before cpu/recurrent.ts (the import cycle explained in backend.ts).
import '../../tensor/tensor.ts';
import type { FloatArray } from '../../tensor/dtype.ts';
import { addColumnSums } from '../cpu/recurrent.ts';
import { wasmRuntime } from './runtime.ts';
import { copyOut, place } from './staging.ts';

/**
 * dst[dstOff + j] += Σ_r src[srcOff + r·ld + j] for j < cols, r < rows: `addColumnSums` of
 * src/kernels/cpu/recurrent.ts on Float32Arrays, bit-identical to it (each column is summed in row order,
 * rounding to float32 after every add). Float64Arrays, or no WebAssembly SIMD, run that loop instead.
 *
 * @example
 * // db [4H] += Σ over the B·T rows of dz [B·T, 4H]
 * wasmAddColumnSums(B * T, G, dz, 0, G, db, 0);
 */
export function wasmAddColumnSums(rows: number, cols: number, src: FloatArray, srcOff: number, ld: number, dst: FloatArray, dstOff: number): void {
  if (rows <= 0 || cols <= 0) return;
  const rt = wasmRuntime();
  if (rt === null || !(src instanceof Float32Array) || !(dst instanceof Float32Array)) {
    addColumnSums(rows, cols, src, srcOff, ld, dst, dstOff);
    return;
  }
  const s = place(rt, 'wasmAddColumnSums: src', src, srcOff, rows, cols, ld, true);
  const d = place(rt, 'wasmAddColumnSums: dst', dst, dstOff, 1, cols, cols, true);
  try {
    rt.exports.addColumnSums(s.address, 4 * s.ld, rows, cols, d.address);
    if (d.staged !== 0) copyOut(rt, d, dst, dstOff, 1, cols, cols);
  } finally {
    for (const p of [s, d]) if (p.staged !== 0) rt.arena.free(p.staged);
  }
}
