// dropoutWithMask on the WebAssembly kernels (forward and, being linear, its own gradient): bit-identical to the reference kernel in src/kernels/cpu/conv.ts.
//
// Why: the scalar loop ran at ~2.9 ns per element on the 2-core dev machine (~0.5 ms of every DCL-MoE
// training batch over its four dropout layers, forward and backward).

import '../../tensor/tensor.ts'; // NOTE: the engine before the CPU kernel modules (see backend.ts)
import { emptyTensor } from '../../tensor/tensor.ts';
import type { Kernel } from '../backend.ts';
import { contiguousValues } from '../cpu/strided.ts';
import { wasmRuntime } from './runtime.ts';
import { copyOut, place } from './staging.ts';

/** x, mask: same shape, float32 -> y = x · mask / (1 - rate) (the product in float64, rounded once, like the reference). */
export const wasmDropoutWithMask: Kernel<'dropoutWithMask'> = ([x, mask], { rate }) => {
  const rt = wasmRuntime();
  if (rt === null) throw new Error('wasmDropoutWithMask: WebAssembly SIMD is unavailable (the backend should not have admitted it)');
  const y = emptyTensor(x.shape, 'float32');
  const n = y.size;
  if (n === 0) return { outputs: [y] };
  const xp = place(rt, 'wasmDropoutWithMask: x', contiguousValues(x) as Float32Array, 0, 1, n, n, true);
  const mp = place(rt, 'wasmDropoutWithMask: mask', contiguousValues(mask) as Float32Array, 0, 1, n, n, true);
  const ys = y.values as Float32Array;
  const yp = place(rt, 'wasmDropoutWithMask: y', ys, 0, 1, n, n, false);
  try {
    rt.exports.dropoutScale(xp.address, mp.address, yp.address, n, 1 / (1 - rate));
    if (yp.staged !== 0) copyOut(rt, yp, ys, 0, 1, n, n);
  } finally {
    for (const p of [xp, mp, yp]) if (p.staged !== 0) rt.arena.free(p.staged);
  }
  return { outputs: [y] };
};
