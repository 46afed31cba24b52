// wasmGemm's K = 1 (outer product) and M = 1 (vector-matrix) kernels: bit-identical to the packed GEMM driver (tails, transposes, alpha / beta, K blocks, bias and activation epilogues, strided rows).

import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/tensor/random.ts';
import { ACTIVATION_CODE, DEFAULT_TILING } from '../../../src/kernels/wasm/gemm-module.ts';
import { wasmGemm } from '../../../src/kernels/wasm/gemm.ts';
import { allocateInWasm, freeInWasm, wasmRuntime, wasmSimdSupported } from '../../../src/kernels/wasm/runtime.ts';

type Act = keyof typeof ACTIVATION_CODE;

interface Case { transA: boolean; transB: boolean; M: number; N: number; K: number; alpha: number; beta: number; bias: boolean; act: Act; pad: number }

/** One problem through wasmGemm (which takes the degenerate kernels) and through the packed driver's exports directly. */
function check(rng: Rng, p: Case): void {
  const rt = wasmRuntime()!;
  const { transA, transB, M, N, K, alpha, beta, pad } = p;
  const [aRows, aCols] = transA ? [K, M] : [M, K];
  const [bRows, bCols] = transB ? [N, K] : [K, N];
  const lda = aCols + pad, ldb = bCols + (transB && K === 1 ? 0 : pad), ldc = N + pad; // K = 1 with transB: the kernel wants ldb = 1
  const rand = (n: number): Float32Array => { const a = allocateInWasm(n); for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1); return a; };
  const A = rand(aRows * lda), B = rand(bRows * ldb), bias = rand(N), C0 = rand(M * ldc);
  const got = allocateInWasm(C0.length), want = allocateInWasm(C0.length);
  got.set(C0);
  want.set(C0);
  wasmGemm(transA, transB, M, N, K, alpha, A, 0, lda, B, 0, ldb, beta, got, 0, ldc, { bias: p.bias ? bias : null, biasOff: 0, activation: p.act });
  rt.exports.gemm(+transA, +transB, M, N, K, alpha, A.byteOffset, lda, B.byteOffset, ldb, beta, want.byteOffset, ldc, rt.scratch);
  if (p.bias || p.act !== 'none') rt.exports.biasAct(want.byteOffset, ldc, M, N, p.bias ? bias.byteOffset : 0, ACTIVATION_CODE[p.act]);
  const bits = (a: Float32Array): number[] => Array.from(new Int32Array(a.slice().buffer));
  expect(bits(got), JSON.stringify(p)).toEqual(bits(want));
  for (const a of [A, B, bias, C0, got, want]) freeInWasm(a);
}

describe.skipIf(!wasmSimdSupported())('wasmGemm degenerate shapes', () => {
  it('K = 1: the outer-product kernel equals the packed driver bit for bit', () => {
    const rng = new Rng('gemm-k1');
    for (const [M, N] of [[1, 1], [7, 3], [2560, 256], [5, 37], [33, 8]]) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const [alpha, beta, bias, act, pad] of [[1, 0, true, 'none', 0], [-0.7, 1, false, 'none', 2], [1, 0.5, true, 'relu', 1], [2, 0, true, 'sigmoid', 0]] as const) {
            check(rng, { transA, transB, M, N, K: 1, alpha, beta, bias, act, pad });
          }
        }
      }
    }
  });

  it('M = 1: the vector-matrix kernel equals the packed driver bit for bit (K across several KC blocks)', () => {
    const rng = new Rng('gemm-m1');
    const KC = DEFAULT_TILING.KC;
    for (const [N, K] of [[1, 2], [3, 5], [256, 2560], [37, KC + 3], [40, 2 * KC], [9, 1]]) {
      for (const transA of [false, true]) {
        for (const [alpha, beta, bias, act, pad] of [[1, 0, false, 'none', 0], [-0.7, 1, true, 'none', 3], [1, 0.5, true, 'relu', 1], [1.5, 0, true, 'tanh', 0]] as const) {
          check(rng, { transA, transB: false, M: 1, N, K, alpha, beta, bias, act, pad });
        }
      }
    }
  });
});
