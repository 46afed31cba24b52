// maxPool1d and its backward kernel on the WebAssembly kernels: same results as the reference kernels in src/kernels/cpu/conv.ts, bit for bit.
//
// Why: the scalar loops ran at ~6 ns per output (forward, branch-free) and ~5 ns per element (backward
// scatter) on the 2-core dev machine: ~0.9 ms of every DCL-MoE training batch (CNN expert, [64, 38, 64]
// -> [64, 19, 64]). The argmax tensors are int32, which the wasm arena does not hold (it allocates float32
// tensors only), so they are staged through an arena block.

import '../../tensor/tensor.ts'; // NOTE: the engine before the CPU kernel modules (see backend.ts)
import { emptyTensor } from '../../tensor/tensor.ts';
import type { Kernel } from '../backend.ts';
import { contiguousValues } from '../cpu/strided.ts';
import { wasmRuntime, type WasmRuntime } from './runtime.ts';
import { copyOut, place } from './staging.ts';

/** An int32 block of n elements in the arena, and a view of it (freed by the caller with rt.arena.free(address)). */
function int32Block(rt: WasmRuntime, n: number): { address: number; view: Int32Array } {
  const address = rt.arena.alloc(4 * Math.max(1, n));
  return { address, view: new Int32Array(rt.arena.memory.buffer, address, n) };
}

/** x: [B, L, C] float32 -> y: [B, L_out, C], argmax (saved): [B, L_out, C] int32 time indices into x. */
export const wasmMaxPool1d: Kernel<'maxPool1d'> = ([x], { poolSize, stride }) => {
  const rt = wasmRuntime();
  if (rt === null) throw new Error('wasmMaxPool1d: WebAssembly SIMD is unavailable (the backend should not have admitted it)');
  const [B, L, C] = x.shape;
  const outLength = Math.floor((L - poolSize) / stride) + 1;
  const y = emptyTensor([B, outLength, C], 'float32');
  const argmax = emptyTensor([B, outLength, C], 'int32');
  const n = B * outLength * C;
  const xp = place(rt, 'wasmMaxPool1d: x', contiguousValues(x) as Float32Array, 0, 1, B * L * C, B * L * C, true);
  const ys = y.values as Float32Array;
  const yp = place(rt, 'wasmMaxPool1d: y', ys, 0, 1, n, n, false);
  const am = int32Block(rt, n);
  try {
    rt.exports.maxPool1d(xp.address, yp.address, am.address, B, L, C, outLength, poolSize, stride);
    if (yp.staged !== 0) copyOut(rt, yp, ys, 0, 1, n, n);
    (argmax.values as Int32Array).set(am.view);
  } finally {
    for (const p of [xp, yp]) if (p.staged !== 0) rt.arena.free(p.staged);
    rt.arena.free(am.address);
  }
  return { outputs: [y], saved: [argmax] };
};

/** dy: [B, L_out, C] float32, argmax: [B, L_out, C] int32 -> dx: [B, inLength, C] (dy routed to each argmax). */
export const wasmMaxPool1dBackward: Kernel<'maxPool1dBackward'> = ([dy, argmax], { inLength }) => {
  const rt = wasmRuntime();
  if (rt === null) throw new Error('wasmMaxPool1dBackward: WebAssembly SIMD is unavailable (the backend should not have admitted it)');
  const [B, outLength, C] = dy.shape;
  const dx = emptyTensor([B, inLength, C], 'float32', true);
  const n = B * outLength * C;
  const nx = B * inLength * C;
  const dyp = place(rt, 'wasmMaxPool1dBackward: dy', contiguousValues(dy) as Float32Array, 0, 1, n, n, true);
  const dxs = dx.values as Float32Array;
  const dxp = place(rt, 'wasmMaxPool1dBackward: dx', dxs, 0, 1, nx, nx, true);
  const am = int32Block(rt, n);
  try {
    am.view.set(contiguousValues(argmax) as Int32Array);
    rt.exports.maxPool1dBackward(dyp.address, am.address, dxp.address, B, outLength, C, inLength);
    if (dxp.staged !== 0) copyOut(rt, dxp, dxs, 0, 1, nx, nx);
  } finally {
    for (const p of [dyp, dxp]) if (p.staged !== 0) rt.arena.free(p.staged);
    rt.arena.free(am.address);
  }
  return { outputs: [dx] };
};
