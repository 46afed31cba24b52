// Staging: where a kernel operand is in the wasm memory, copying it in (and results back out) when it lives in an ordinary typed array.

import type { WasmRuntime } from './runtime.ts';

/** Where one operand is for the kernel: byte address and leading dimension, and the staging block to free (0 if none). */
export interface Placed {
  address: number;
  ld: number;
  staged: number;
}

/**
 * Locate a rows x cols operand with leading dimension ld at array[offset] for the kernel. An array in the
 * wasm memory is used in place. Anything else is staged: copied (when `copyIn`) into a block where its rows
 * are packed back to back (ld = cols; `forceStage` stages even wasm-resident arrays), so a strided view into a big buffer (an LSTM step's z[:, t, :]
 * inside [B, T, 4H]) costs rows·cols elements, not the whole span between its first and last row.
 */
export function place(rt: WasmRuntime, name: string, array: Float32Array, offset: number, rows: number, cols: number, ld: number, copyIn: boolean, forceStage = false): Placed {
  const extent = (rows - 1) * ld + cols; // elements from the first to the last one touched
  if (offset < 0 || (ld < cols && rows > 1) || offset + extent > array.length) {
    throw new RangeError(`${name} [${rows} x ${cols}, ld ${ld}] at offset ${offset} overruns its array (length ${array.length})`);
  }
  if (!forceStage && rt.arena.contains(array)) return { address: array.byteOffset + 4 * offset, ld, staged: 0 };
  const staged = rt.arena.alloc(4 * rows * cols);
  if (copyIn) {
    const heap = rt.arena.f32;
    if (ld === cols || rows === 1) heap.set(array.subarray(offset, offset + rows * cols), staged / 4);
    else for (let r = 0; r < rows; r++) heap.set(array.subarray(offset + r * ld, offset + r * ld + cols), staged / 4 + r * cols);
  }
  return { address: staged, ld: cols, staged };
}

/** Copy a staged rows x cols result back into array[offset] with leading dimension ld. */
export function copyOut(rt: WasmRuntime, placed: Placed, array: Float32Array, offset: number, rows: number, cols: number, ld: number): void {
  const heap = rt.arena.f32;
  const from = placed.staged / 4;
  if (ld === cols || rows === 1) array.set(heap.subarray(from, from + rows * cols), offset);
  else for (let r = 0; r < rows; r++) array.set(heap.subarray(from + r * cols, from + (r + 1) * cols), offset + r * ld);
}

