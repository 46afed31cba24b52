// wasmGemm parity: the float32 SIMD kernels against a float64 naive GEMM on seeded inputs (tails, transposes, alpha/beta, epilogues, 1 and 2 threads, fallback).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../src/tensor/random.ts';
import type { Activation } from '../../../src/kernels/cpu/gemm.ts';
import { emitGemmModule, gemmScratchBytes, TANH_MAX_ABS_ERROR, type GemmTiling } from '../../../src/kernels/wasm/gemm-module.ts';
import {
  setWasmGemmParallelThreshold, setWasmGemmThreadLimit, startWasmThreads, stopWasmThreads, wasmGemm, wasmGemmThreads, PARALLEL_MIN_MACS,
} from '../../../src/kernels/wasm/gemm.ts';
import {
  allocateInWasm, freeInWasm, isInWasmMemory, simulateNoWasmSimd, wasmRuntime, wasmSimdSupported,
} from '../../../src/kernels/wasm/runtime.ts';
import { WasmArena } from '../../../src/kernels/wasm/memory.ts';

interface Problem {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  /** Extra elements per row beyond the logical width (ld > width), and a leading offset. */
  pad?: number;
  offset?: number;
  activation?: Activation;
  bias?: boolean;
}

function fill(rng: Rng, n: number, into?: Float32Array): Float32Array {
  const out = into ?? new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(-1, 1);
  return out;
}

const act64: Record<Activation, (x: number) => number> = {
  none: (x) => x,
  relu: (x) => (x > 0 ? x : 0),
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
};

/**
 * Run one problem through wasmGemm and compare with a float64 triple loop. Tolerance per element:
 * float32 accumulation error is bounded by ~K·eps·Σ|terms|; 2e-6·Σ|terms| (about 16 eps) is far above
 * what the blocked sum reaches for K <= 600 and far below any indexing bug (which is O(|terms|)).
 */
function check(rng: Rng, p: Problem, inWasm: boolean): void {
  const { transA, transB, M, N, K, alpha, beta, pad = 0, offset = 0, activation = 'none' } = p;
  const aRows = transA ? K : M, aCols = transA ? M : K;
  const bRows = transB ? N : K, bCols = transB ? K : N;
  const lda = aCols + pad, ldb = bCols + pad, ldc = N + pad;
  const make = (n: number): Float32Array => (inWasm ? allocateInWasm(n) : new Float32Array(n));
  const A = fill(rng, offset + aRows * lda, make(offset + aRows * lda));
  const B = fill(rng, offset + bRows * ldb, make(offset + bRows * ldb));
  const C = fill(rng, offset + M * ldc, make(offset + M * ldc));
  const bias = p.bias ? fill(rng, offset + N, make(offset + N)) : null;
  if (beta === 0) for (let i = 0; i < M; i++) C.fill(Number.NaN, offset + i * ldc, offset + i * ldc + N); // must never be read
  const before = C.slice();

  wasmGemm(transA, transB, M, N, K, alpha, A, offset, lda, B, offset, ldb, beta, C, offset, ldc,
    p.bias || activation !== 'none' ? { bias, biasOff: offset, activation } : undefined);

  const smooth = activation === 'tanh' || activation === 'sigmoid';
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0, absSum = 0;
      for (let k = 0; k < K; k++) {
        const a = A[offset + (transA ? k * lda + i : i * lda + k)];
        const b = B[offset + (transB ? j * ldb + k : k * ldb + j)];
        sum += a * b;
        absSum += Math.abs(a * b);
      }
      const c0 = before[offset + i * ldc + j];
      let expected = alpha * sum + (beta === 0 ? 0 : beta * c0) + (bias ? bias[offset + j] : 0);
      const scale = Math.abs(alpha) * absSum + (beta === 0 ? 0 : Math.abs(beta * c0)) + (bias ? Math.abs(bias[offset + j]) : 0);
      expected = act64[activation](expected);
      const tol = 2e-6 * scale + 1e-6 + (smooth ? TANH_MAX_ABS_ERROR : 0);
      const got = C[offset + i * ldc + j];
      if (!(Math.abs(got - expected) <= tol)) {
        expect.fail(`${JSON.stringify(p)} inWasm=${inWasm}: C[${i}, ${j}] = ${got}, expected ${expected} (tol ${tol.toExponential(2)})`);
      }
    }
  }
  // Gaps between rows (ld > N) and the prefix before the offset are untouched.
  for (let i = 0; i < C.length; i++) {
    const row = Math.floor((i - offset) / ldc), col = (i - offset) % ldc;
    const inside = i >= offset && row < M && col < N;
    if (!inside && !Object.is(C[i], before[i])) expect.fail(`${JSON.stringify(p)}: element ${i} outside C changed`);
  }
  if (inWasm) for (const x of [A, B, C, bias]) if (x) freeInWasm(x);
}

/** Shapes that hit every tail: batch 1, sizes below / at / above the 4 x 8 tile, K and M and N past KC / MC / NC. */
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 13, 7], [5, 1, 3], [3, 5, 2], [4, 8, 4], [5, 9, 17], [17, 31, 33], [64, 40, 128], [33, 20, 300], [130, 12, 9], [6, 520, 5],
];

describe.skipIf(!wasmSimdSupported())('wasmGemm (float32 SIMD) against a float64 reference', () => {
  beforeAll(async () => {
    await startWasmThreads(2);
  });
  afterAll(async () => {
    setWasmGemmThreadLimit(Infinity);
    await stopWasmThreads();
  });

  it('starts a second thread', () => {
    expect(wasmGemmThreads()).toBe(2);
  });

  it('matches on every shape and transpose, alpha/beta, copied and in-wasm operands', () => {
    const rng = new Rng('wasm-gemm');
    setWasmGemmThreadLimit(1);
    for (const [M, N, K] of SHAPES) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          check(rng, { transA, transB, M, N, K, alpha: 1, beta: 0 }, false);
          check(rng, { transA, transB, M, N, K, alpha: 1, beta: 0, pad: 4 }, false); // strided, staged row by row
          check(rng, { transA, transB, M, N, K, alpha: -0.75, beta: 1, pad: 3, offset: 5 }, true);
        }
      }
      check(rng, { transA: false, transB: false, M, N, K, alpha: 2, beta: 0.5, pad: 2, offset: 1 }, false);
    }
  });

  it('fuses bias and every activation (vectorised lanes and scalar tails)', () => {
    const rng = new Rng('wasm-epilogue');
    setWasmGemmThreadLimit(1);
    for (const activation of ['none', 'relu', 'tanh', 'sigmoid'] as const) {
      for (const [M, N, K] of [[1, 3, 4], [7, 13, 9], [16, 64, 40]] as const) {
        check(rng, { transA: false, transB: false, M, N, K, alpha: 3, beta: 0, bias: true, activation }, false);
        check(rng, { transA: false, transB: true, M, N, K, alpha: 1, beta: 1, bias: activation !== 'relu', activation, pad: 2, offset: 1 }, true);
      }
    }
  });

  it('splits across two threads with the same results (N split and M split, with epilogue)', () => {
    const rng = new Rng('wasm-threads');
    setWasmGemmThreadLimit(2);
    // Large enough to pass PARALLEL_MIN_MACS; M <= N splits columns, M > N splits rows.
    for (const [M, N, K] of [[64, 256, 64], [300, 90, 77], [97, 101, 103]]) {
      expect(M * N * K).toBeGreaterThanOrEqual(PARALLEL_MIN_MACS);
      for (const transA of [false, true]) {
        for (const transB of [false, true]) check(rng, { transA, transB, M, N, K, alpha: 0.5, beta: 0.25, pad: 1, offset: 2 }, transA);
      }
      check(rng, { transA: false, transB: false, M, N, K, alpha: 1, beta: 0, bias: true, activation: 'tanh' }, true);
    }
  });

  it('survives thousands of back-to-back split GEMMs (mailbox, claim and stealing races)', () => {
    const rng = new Rng('wasm-race');
    setWasmGemmThreadLimit(2);
    setWasmGemmParallelThreshold(0); // split even tiny products: the most hand-offs per second
    try {
      const A = fill(rng, 64 * 64), B = fill(rng, 64 * 64), C = new Float32Array(64 * 64);
      for (let rep = 0; rep < 3000; rep++) {
        const n = 8 + (rep % 5) * 8; // n x n x n, n = 8..40
        wasmGemm(false, false, n, n, n, 1, A, 0, n, B, 0, n, 0, C, 0, n);
        if (rep % 500 === 0) {
          let s = 0;
          for (let k = 0; k < n; k++) s += A[(n - 1) * n + k] * B[k * n + n - 1];
          expect(C[n * n - 1]).toBeCloseTo(s, 4);
        }
      }
    } finally {
      setWasmGemmParallelThreshold();
    }
  });

  it('takes arrays that live in wasm memory by pointer, even after the memory grew', () => {
    const x = allocateInWasm(1000);
    expect(isInWasmMemory(x)).toBe(true);
    expect(isInWasmMemory(new Float32Array(4))).toBe(false);
    const big = allocateInWasm(8 * 1024 * 1024); // 32 MiB: more than the initial 16 MiB, so the memory grows
    expect(isInWasmMemory(x)).toBe(true); // the old view still works and is still recognised
    x.fill(2);
    const y = allocateInWasm(4);
    wasmGemm(false, false, 1, 1, 1000, 1, x, 0, 1000, x, 0, 1, 0, y, 0, 1); // y = x·x = 4000
    expect(y[0]).toBe(4000);
    for (const v of [x, big, y]) freeInWasm(v);
  });
});

describe.skipIf(!wasmSimdSupported())('generated kernels with a non-default tiling', () => {
  // Small blocks (MC 10, KC 8, NC 24) so modest shapes cross every block boundary; MR 5 x NR 12 and KU 2
  // exercise the generator's other register tiles and the K padding.
  const tiling: GemmTiling = { MR: 5, NR: 12, KU: 2, MC: 10, KC: 8, NC: 24 };

  it('matches the float64 reference', () => {
    const memory = new WebAssembly.Memory({ initial: 4, maximum: 4 });
    const module = new WebAssembly.Module(emitGemmModule(tiling, { initialPages: 4, maximumPages: 4, shared: false }));
    const { gemm } = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as { gemm: (...args: number[]) => void };
    const heap = new Float32Array(memory.buffer);
    const rng = new Rng('tiling');
    const [aAt, bAt, cAt, scratch] = [0, 16384, 32768, 49152]; // byte addresses
    expect(scratch + gemmScratchBytes(tiling)).toBeLessThan(memory.buffer.byteLength);
    for (const [M, N, K] of [[1, 1, 1], [11, 25, 17], [23, 49, 9], [5, 12, 16]]) {
      for (const transA of [0, 1]) {
        for (const transB of [0, 1]) {
          fill(rng, M * K).forEach((v, i) => (heap[aAt / 4 + i] = v));
          fill(rng, K * N).forEach((v, i) => (heap[bAt / 4 + i] = v));
          const c0 = fill(rng, M * N);
          heap.set(c0, cAt / 4);
          const lda = transA ? M : K, ldb = transB ? K : N;
          gemm(transA, transB, M, N, K, 1.5, aAt, lda, bAt, ldb, -1, cAt, N, scratch);
          for (let i = 0; i < M; i++) {
            for (let j = 0; j < N; j++) {
              let s = 0;
              for (let k = 0; k < K; k++) s += heap[aAt / 4 + (transA ? k * lda + i : i * lda + k)] * heap[bAt / 4 + (transB ? j * ldb + k : k * ldb + j)];
              expect(Math.abs(heap[cAt / 4 + i * N + j] - (1.5 * s - c0[i * N + j]))).toBeLessThan(1e-5);
            }
          }
        }
      }
    }
  });
});

describe.skipIf(!wasmSimdSupported())('tanh approximation', () => {
  it(`stays within TANH_MAX_ABS_ERROR (${TANH_MAX_ABS_ERROR}) of Math.tanh on [-12, 12]`, () => {
    const n = 48001;
    const C = new Float32Array(n);
    for (let i = 0; i < n; i++) C[i] = -12 + (24 * i) / (n - 1);
    const x = C.slice();
    const one = new Float32Array([1]);
    // C[0, j] = tanh(1 · x[j]) through the epilogue (K = 1 GEMM: A = [1], B = x).
    wasmGemm(false, false, 1, n, 1, 1, one, 0, 1, x, 0, n, 0, C, 0, n, { bias: null, biasOff: 0, activation: 'tanh' });
    let maxError = 0;
    for (let i = 0; i < n; i++) maxError = Math.max(maxError, Math.abs(C[i] - Math.tanh(x[i])));
    expect(maxError).toBeLessThanOrEqual(TANH_MAX_ABS_ERROR);
  });
});

describe('fallback without WebAssembly SIMD', () => {
  it('runs the plain TypeScript GEMM and hands out ordinary arrays', () => {
    simulateNoWasmSimd(true);
    try {
      expect(wasmSimdSupported()).toBe(false);
      expect(wasmRuntime()).toBeNull();
      const x = allocateInWasm(6);
      expect(isInWasmMemory(x)).toBe(false);
      check(new Rng('fallback'), { transA: true, transB: false, M: 5, N: 7, K: 3, alpha: 1, beta: 0.5, bias: true, activation: 'sigmoid' }, false);
      freeInWasm(x); // a no-op, not an error
    } finally {
      simulateNoWasmSimd(false);
    }
    expect(wasmSimdSupported()).toBe(true);
  });
});

describe.skipIf(!wasmSimdSupported())('WasmArena', () => {
  it('reuses freed blocks of the same size and rejects double frees', () => {
    const arena = new WasmArena({ shared: false });
    const a = arena.alloc(100);
    const b = arena.alloc(100);
    expect(a).not.toBe(0);
    expect(a % 64).toBe(0);
    expect(b).toBeGreaterThanOrEqual(a + 128);
    arena.free(a);
    expect(arena.alloc(90)).toBe(a); // 90 and 100 round to the same 128-byte class
    expect(() => arena.free(12345)).toThrow(/not a live block/);
    arena.free(b);
    expect(() => arena.free(b)).toThrow(/not a live block/);
  });

  it('a non-shared arena has a fixed size and refuses to grow (growth would detach views)', () => {
    const arena = new WasmArena({ shared: false });
    expect(() => arena.alloc(arena.memory.buffer.byteLength)).toThrow(/arena full/);
  });
});
