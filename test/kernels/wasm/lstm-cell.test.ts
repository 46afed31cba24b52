// wasmLstmCell parity: the float32 SIMD cell against the float64 scalar cell, in recurrent.ts's strided [B, T, ...] layout.

import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/tensor/random.ts';
import { TANH_MAX_ABS_ERROR } from '../../../src/kernels/wasm/gemm-module.ts';
import { wasmLstmCell } from '../../../src/kernels/wasm/lstm-cell.ts';
import { allocateInWasm, freeInWasm, wasmSimdSupported } from '../../../src/kernels/wasm/runtime.ts';

type Where = 'copied' | 'in-wasm' | 'mixed';

/**
 * Step t of a [B, T, 4H] gate buffer and [B, T, H] state buffers (rows T·4H and T·H apart), cPrev = the
 * states of step t - 1. The same inputs go through the float64 reference (Float64Arrays take the scalar
 * path) and the float32 kernel; every output must agree within the activation approximation's error plus
 * float32 rounding.
 */
function check(rng: Rng, B: number, H: number, where: Where): void {
  const T = 3, t = 2, G = 4 * H;
  const z64 = Float64Array.from({ length: B * T * G }, () => rng.uniform(-5, 5));
  const c64 = Float64Array.from({ length: B * T * H }, () => rng.uniform(-2, 2));
  const alloc = (n: number, wasm: boolean): Float32Array => (wasm ? allocateInWasm(n) : new Float32Array(n));
  const z32 = alloc(z64.length, where !== 'copied');
  const c32 = alloc(c64.length, where === 'in-wasm');
  const tanhC32 = alloc(c64.length, where !== 'copied');
  const y32 = alloc(c64.length, where !== 'copied');
  z32.set(z64);
  c32.set(c64);
  // Round the float64 inputs to float32 so both paths see identical inputs.
  z64.set(z32);
  c64.set(c32);
  const tanhC64 = new Float64Array(c64.length), y64 = new Float64Array(c64.length);

  const args = (z: Float32Array | Float64Array, c: Float32Array | Float64Array, tanhC: Float32Array | Float64Array, y: Float32Array | Float64Array) =>
    [B, H, z, t * G, T * G, c, (t - 1) * H, T * H, c, tanhC, y, t * H, T * H] as const;
  wasmLstmCell(...args(z64, c64, tanhC64, y64));
  wasmLstmCell(...args(z32, c32, tanhC32, y32));

  const tol = 2 * TANH_MAX_ABS_ERROR + 1e-6;
  for (const [name, got, want] of [['gates', z32, z64], ['c', c32, c64], ['tanhC', tanhC32, tanhC64], ['y', y32, y64]] as const) {
    for (let i = 0; i < want.length; i++) {
      if (!(Math.abs(got[i] - want[i]) <= tol)) expect.fail(`B=${B} H=${H} ${where}: ${name}[${i}] = ${got[i]}, expected ${want[i]}`);
    }
  }
  for (const a of [z32, c32, tanhC32, y32]) freeInWasm(a);
}

describe('wasmLstmCell', () => {
  it.skipIf(!wasmSimdSupported())('matches the float64 cell (vector lanes, scalar tails, batch 1; copied, in-wasm and mixed operands)', () => {
    const rng = new Rng('lstm-cell');
    for (const [B, H] of [[64, 64], [3, 5], [1, 1], [1, 8], [7, 13]]) {
      for (const where of ['copied', 'in-wasm', 'mixed'] as const) check(rng, B, H, where);
    }
  });

  it('leaves the rest of the buffers alone (other time steps)', () => {
    const B = 2, H = 4, T = 2, G = 4 * H;
    const z = new Float32Array(B * T * G).fill(0.5), c = new Float32Array(B * T * H).fill(7), tanhC = new Float32Array(B * T * H).fill(7), y = new Float32Array(B * T * H).fill(7);
    wasmLstmCell(B, H, z, G, T * G, c, 0, T * H, c, tanhC, y, H, T * H); // step t = 1
    // Step 0's rows (the first H of each batch row) keep their 7s; step 1's are written.
    for (let n = 0; n < B; n++) {
      expect(Array.from(y.subarray(n * T * H, n * T * H + H))).toEqual([7, 7, 7, 7]);
      expect(z[n * T * G]).toBe(0.5);
      // sigmoid(0.5) = 0.6225, tanh(0.5) = 0.4621: c = 0.6225·7 + 0.6225·0.4621 = 4.645, y = 0.6225·tanh(4.645)
      expect(c[n * T * H + H]).toBeCloseTo(0.62246 * 7 + 0.62246 * 0.46212, 4);
      expect(y[n * T * H + H]).toBeCloseTo(0.62246 * Math.tanh(0.62246 * 7 + 0.62246 * 0.46212), 4);
    }
  });
});
