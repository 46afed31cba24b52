// Parity of the LSTM backward pieces in wasm (wasmLstmCellBackward, wasmAddColumnSums) with their TypeScript reference loops, in recurrent.ts's strided [B, T, ...] layout; both cells on two threads.

import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/tensor/random.ts';
import { addColumnSums, lstmCellBackward } from '../../../src/kernels/cpu/recurrent.ts';
import { wasmAddColumnSums } from '../../../src/kernels/wasm/column-sums.ts';
import { startWasmThreads, stopWasmThreads, wasmGemmThreads } from '../../../src/kernels/wasm/gemm.ts';
import { PARALLEL_MIN_CELL_UNITS, wasmLstmCell, wasmLstmCellBackward } from '../../../src/kernels/wasm/lstm-cell.ts';
import { allocateInWasm, freeInWasm, wasmSimdSupported } from '../../../src/kernels/wasm/runtime.ts';

type Where = 'copied' | 'in-wasm' | 'mixed';

/** A float32 copy of `values`, in the wasm memory or an ordinary array. */
function f32(values: Float64Array, inWasm: boolean): Float32Array {
  const a = inWasm ? allocateInWasm(values.length) : new Float32Array(values.length);
  a.set(values);
  return a;
}

/**
 * Step t = 1 of a T = 3 sequence (so cPrev is step 0 and the neighbouring steps must stay untouched), through
 * the float64 reference and the float32 kernel on the same (float32-rounded) inputs. The maths is plain
 * arithmetic, so they agree to float32 rounding: a few ulps of the largest term.
 */
function checkCell(rng: Rng, B: number, H: number, where: Where): void {
  const T = 3, t = 1, G = 4 * H;
  const round = (n: number, low: number, high: number): Float64Array => Float64Array.from(new Float32Array(Array.from({ length: n }, () => rng.uniform(low, high))));
  const gates = round(B * T * G, 0, 1), cs = round(B * T * H, -2, 2), tanhC = round(B * T * H, -1, 1), dy = round(B * T * H, -1, 1);
  const dh = round(B * H, -1, 1), dc = round(B * H, -1, 1);
  const dz64 = new Float64Array(B * T * G).fill(7);
  const dc64 = dc.slice();
  lstmCellBackward(B, H, gates, dz64, t * G, T * G, cs, (t - 1) * H, T * H, tanhC, dy, t * H, T * H, dh, dc64);

  const inWasm = (k: number): boolean => where === 'in-wasm' || (where === 'mixed' && k % 2 === 0);
  const [g32, cs32, tc32, dy32, dh32, dc32] = [gates, cs, tanhC, dy, dh, dc].map((a, k) => f32(a, inWasm(k)));
  const dz32 = f32(new Float64Array(B * T * G).fill(7), inWasm(6));
  wasmLstmCellBackward(B, H, g32, dz32, t * G, T * G, cs32, (t - 1) * H, T * H, tc32, dy32, t * H, T * H, dh32, dc32);

  for (const [name, got, want] of [['dz', dz32, dz64], ['dc', dc32, dc64]] as const) {
    for (let i = 0; i < want.length; i++) {
      if (!(Math.abs(got[i] - want[i]) <= 1e-6 * (1 + Math.abs(want[i])))) expect.fail(`B=${B} H=${H} ${where}: ${name}[${i}] = ${got[i]}, expected ${want[i]}`);
    }
  }
  expect(Array.from(dh32)).toEqual(Array.from(new Float32Array(dh))); // dh is read, never written
  for (const a of [g32, cs32, tc32, dy32, dh32, dc32, dz32]) freeInWasm(a);
}

describe('wasmLstmCellBackward', () => {
  it.skipIf(!wasmSimdSupported())('matches the reference BPTT cell (vector lanes, scalar tails, batch 1; copied, in-wasm and mixed operands)', () => {
    const rng = new Rng('lstm-cell-backward');
    for (const [B, H] of [[64, 64], [3, 5], [1, 1], [1, 8], [7, 13]]) {
      for (const where of ['copied', 'in-wasm', 'mixed'] as const) checkCell(rng, B, H, where);
    }
  });

  it('runs the reference loop on Float64Arrays (by hand: one unit, i = f = g = o = 0.5, tanhC = 0, dy = 1)', () => {
    const dz = new Float64Array(4), dc = new Float64Array([1]);
    wasmLstmCellBackward(1, 1, new Float64Array([0.5, 0.5, 0.5, 0.5]), dz, 0, 4, new Float64Array([2]), 0, 1,
      new Float64Array([0]), new Float64Array([1]), 0, 1, new Float64Array([0]), dc);
    // dht = 1, dct = 1 + 1·0.5·(1 - 0) = 1.5; dz = [1.5·0.5·0.25, 1.5·2·0.25, 1.5·0.5·0.75, 1·0·...] ; dc = 1.5·0.5
    expect(Array.from(dz)).toEqual([0.1875, 0.75, 0.5625, 0]);
    expect(dc[0]).toBe(0.75);
  });
});

describe('wasmAddColumnSums', () => {
  it.skipIf(!wasmSimdSupported())('is bit-identical to the float32 reference loop (32-column blocks, 4-column and scalar tails, strided rows)', () => {
    const rng = new Rng('column-sums');
    for (const [rows, cols, ld] of [[2560, 256, 256], [1, 1, 1], [5, 3, 7], [9, 37, 40], [33, 71, 71], [3, 36, 50]]) {
      for (const where of ['copied', 'in-wasm', 'mixed'] as const) {
        const srcOff = 3;
        const src = f32(Float64Array.from({ length: srcOff + rows * ld }, () => rng.uniform(-1, 1)), where !== 'copied');
        const start = Float64Array.from({ length: cols + 2 }, () => rng.uniform(-1, 1));
        const want = new Float32Array(start);
        const got = f32(start, where === 'in-wasm');
        addColumnSums(rows, cols, src, srcOff, ld, want, 1);
        wasmAddColumnSums(rows, cols, src, srcOff, ld, got, 1);
        expect(Array.from(got), `rows=${rows} cols=${cols} ld=${ld} ${where}`).toEqual(Array.from(want));
        freeInWasm(src);
        freeInWasm(got);
      }
    }
  });

  it('sums columns by hand (and runs the reference loop on Float64Arrays)', () => {
    // [[1, 2], [3, 4], [5, 6]] -> [9, 12], added to [10, 20]
    const dst = new Float64Array([10, 20]);
    wasmAddColumnSums(3, 2, new Float64Array([1, 2, 3, 4, 5, 6]), 0, 2, dst, 0);
    expect(Array.from(dst)).toEqual([19, 32]);
    const dst32 = allocateInWasm(2);
    wasmAddColumnSums(3, 2, new Float32Array([1, 2, 3, 4, 5, 6]), 0, 2, dst32, 0);
    expect(Array.from(dst32)).toEqual([9, 12]);
    freeInWasm(dst32);
  });
});

describe('the wasm LSTM cells on two threads (row shares)', () => {
  it.skipIf(!wasmSimdSupported())('give the one-thread results bit for bit (odd B, H with a scalar tail)', async () => {
    const B = 67, H = 37, T = 2, G = 4 * H;
    expect(B * H).toBeGreaterThanOrEqual(PARALLEL_MIN_CELL_UNITS);
    const rng = new Rng('cells-threads');
    const fill = (n: number, low: number, high: number): Float32Array => {
      const a = allocateInWasm(n);
      for (let i = 0; i < n; i++) a[i] = rng.uniform(low, high);
      return a;
    };
    const z = fill(B * T * G, -4, 4), cs = fill(B * T * H, -2, 2), dy = fill(B * T * H, -1, 1), dh = fill(B * H, -1, 1), dc = fill(B * H, -1, 1);
    // Step 1 forward (cPrev = step 0), then step 1 backward; `run` returns every output, copied.
    const run = (): Float32Array[] => {
      const [zz, c, tanhC, y, dz, dcc] = [z.slice(), cs.slice(), new Float32Array(cs.length), new Float32Array(cs.length), new Float32Array(z.length), dc.slice()];
      const inWasm = [zz, c, tanhC, y, dz, dcc].map((a) => { const w = allocateInWasm(a.length); w.set(a); return w; });
      const [zw, cw, tw, yw, dzw, dcw] = inWasm;
      for (let rep = 0; rep < 20; rep++) { // repeated: the worker takes some of the shares, the main thread others
        zw.set(z);
        wasmLstmCell(B, H, zw, G, T * G, cw, 0, T * H, cw, tw, yw, H, T * H);
        dcw.set(dc);
        wasmLstmCellBackward(B, H, zw, dzw, G, T * G, cw, 0, T * H, tw, dy, H, T * H, dh, dcw);
      }
      const out = inWasm.map((a) => a.slice());
      inWasm.forEach((a) => freeInWasm(a));
      return out;
    };
    const one = run();
    try {
      await startWasmThreads(2);
      if (wasmGemmThreads() < 2) return; // no SharedArrayBuffer here: nothing to compare
      const two = run();
      for (let k = 0; k < one.length; k++) expect(Array.from(two[k]), `output ${k}`).toEqual(Array.from(one[k]));
    } finally {
      await stopWasmThreads();
      [z, cs, dy, dh, dc].forEach((a) => freeInWasm(a));
    }
  });
});
