// The shared GEMM: C = alpha·op(A)·op(B) + beta·C on row-major typed arrays, cache- and register-blocked, BLAS-style.
//
// Why the blocking works (the GotoBLAS / BLIS recipe, in plain TypeScript)
// -----------------------------------------------------------------------
// A naive triple loop does 2 flops per element it loads: every multiply-add reads a[i,k] and b[k,j] from
// memory, and for large matrices b's column walk misses the cache on every step. It runs at ~1 GFLOP/s.
// Three levels of reuse fix that:
//
// 1. Registers. The micro-kernel keeps a 4x4 tile of C in 16 local variables. Per step of k it loads 4
//    values of A and 4 of B and does 16 multiply-adds: 8 loads for 32 flops instead of 2 loads per 2 flops.
//    V8 keeps the accumulators in (or close to) registers because they are plain `let` numbers, never array
//    slots. 4x4 measured as fast as 2x8, 8x4 and 4x8 (within ±5%) with the shortest kernel.
// 2. L1. The micro-kernel streams a packed 4 x KC sliver of A against a packed KC x 4 sliver of B. Packing
//    copies each block once into the exact order the micro-kernel reads it (unit stride, no index
//    arithmetic), so the inner loop is two sequential streams. The B sliver (KC·4·8 bytes = 8 KiB) stays in
//    L1 while the loop over ir sweeps every A sliver of the block past it.
// 3. L2. A block of A (MC x KC = 64 x 256 doubles, 128 KiB) is packed once and reused against all NC/4
//    slivers of the B block; the B block (KC x NC) is packed once and reused by every block of A. So each
//    element of A is read from memory N/NC times and each element of B once, instead of N and M times.
//
// Loop nest (outer to inner): jc (NC columns) -> pc (KC of the inner dimension; pack B) -> ic (MC rows;
// pack A) -> jr (4 columns) -> ir (4 rows) -> micro-kernel over kc. The micro-kernel is the i-k-j order in
// miniature: for each k, a rank-1 update of the 4x4 tile by 4 values of A's column and 4 of B's row.
//
// Design notes:
// - Packed panels are always Float64Array, for float32 and float64 inputs alike: packing converts once per
//   block, the micro-kernel is monomorphic (V8 optimises one type), and float32 GEMMs accumulate in double.
// - Transposes cost nothing: packing reads A and B through (row stride, column stride) pairs, so op(A) = Aᵀ
//   is only a swapped pair. The backward pass never materialises a transpose.
// - Tails: slivers are zero-padded to 4 rows / 4 columns, and an edge tile is written through a 4x4
//   scratch tile, so every size (1, odd, not a multiple of a block) runs the same micro-kernel.
// - NOTE: scratch buffers are module-level and grow on demand: no allocation per call after warm-up, and
//   gemm is not re-entrant (JavaScript is single-threaded and gemm calls nothing that could call it back).
// - Measured on the 2-core dev box, float32 (float64 is the same within noise), best of 9 timed rounds:
//   3.8 GFLOP/s at [64,40]·[40,128], 4.2 at 256^3, 4.3 at 512^3; the naive i-j-k loop does 0.8-1.1.
//   `npm run bench` (benchmark.js means, bench/suites/linalg-conv.ts) reports ~15% less: 3.2, 3.6, 3.6.
//   A WebAssembly SIMD backend can replace this behind the same signature (GemmFn).

import type { FloatArray } from '../../tensor/dtype.ts';

/** Activations the GEMM epilogue can apply (the dense op's fused activation). */
export type Activation = 'none' | 'relu' | 'tanh' | 'sigmoid';

/** Work done on each finished block of C while it is still in cache: C = act(C + bias[j]). */
export interface GemmEpilogue {
  /** Per-column bias (length >= N from biasOff), or null for none. */
  bias: FloatArray | null;
  biasOff: number;
  activation: Activation;
}

const MR = 4; // micro-tile rows (register block)
const NR = 4; // micro-tile columns
const MC = 64; // rows of A per packed block (L2)
const KC = 256; // depth per packed block (one B sliver = KC x NR doubles = 8 KiB, L1)
const NC = 512; // columns of B per packed block

/**
 * At or below this many multiply-adds packing costs more than it saves, and so it does for a single row or
 * column (matrix-vector): use the direct loop. Measured: the blocked path wins from 8x8x8 up (1.5 vs 0.8
 * GFLOP/s) and loses 2x at M = 1 or N = 1.
 */
const SMALL_GEMM = 256;

let packedA = new Float64Array(0);
let packedB = new Float64Array(0);
const edgeTile = new Float64Array(MR * NR);

/** The GEMM signature kernels are written against (a faster backend passes its own implementation). */
export type GemmFn = typeof gemm;

/**
 * C[cOff + i·ldc + j] = alpha · Σ_k op(A)[i, k] · op(B)[k, j] + beta · C[...], for i < M, j < N; then the
 * optional epilogue. Row-major: op(A)[i, k] is A[aOff + i·lda + k], or A[aOff + k·lda + i] when transA
 * (A stored K x M); likewise op(B)[k, j] is B[bOff + k·ldb + j], or B[bOff + j·ldb + k] when transB.
 * NOTE: as in BLAS, beta = 0 means C is never read (stale pooled values and NaN are ignored).
 *
 * @example
 * // y[64, 128] = x[64, 40] · w[40, 128]
 * gemm(false, false, 64, 128, 40, 1, x, 0, 40, w, 0, 128, 0, y, 0, 128);
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: FloatArray,
  aOff: number,
  lda: number,
  B: FloatArray,
  bOff: number,
  ldb: number,
  beta: number,
  C: FloatArray,
  cOff: number,
  ldc: number,
  epilogue?: GemmEpilogue,
): void {
  if (M <= 0 || N <= 0) return;
  // op(A)[i, k] = A[aOff + i·rsA + k·csA]; op(B)[k, j] = B[bOff + k·rsB + j·csB].
  const rsA = transA ? 1 : lda;
  const csA = transA ? lda : 1;
  const rsB = transB ? 1 : ldb;
  const csB = transB ? ldb : 1;
  if (K === 0 || M === 1 || N === 1 || M * N * K <= SMALL_GEMM) {
    gemmDirect(M, N, K, alpha, A, aOff, rsA, csA, B, bOff, rsB, csB, beta, C, cOff, ldc);
    if (epilogue) applyEpilogue(epilogue, C, cOff, ldc, 0, M, 0, N);
    return;
  }
  const aNeed = MC * Math.min(KC, K);
  const bNeed = Math.min(KC, K) * roundUp(Math.min(NC, N), NR);
  if (packedA.length < aNeed) packedA = new Float64Array(aNeed);
  if (packedB.length < bNeed) packedB = new Float64Array(bNeed);
  if (beta !== 0 && beta !== 1) scaleC(M, N, beta, C, cOff, ldc);

  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      // The first depth block overwrites C when beta = 0; every other block accumulates onto it.
      const accumulate = pc > 0 || beta !== 0;
      const lastBlock = pc + kc >= K;
      packB(B, bOff + pc * rsB + jc * csB, rsB, csB, kc, nc);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        packA(A, aOff + ic * rsA + pc * csA, rsA, csA, mc, kc, alpha);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = Math.min(MR, mc - ir);
            const c0 = cOff + (ic + ir) * ldc + jc + jr;
            if (rows === MR && cols === NR) {
              micro4x4(kc, packedA, ir * kc, packedB, jr * kc, C, c0, ldc, accumulate);
            } else {
              micro4x4(kc, packedA, ir * kc, packedB, jr * kc, edgeTile, 0, NR, false);
              storeEdge(rows, cols, C, c0, ldc, accumulate);
            }
          }
        }
        // The (ic, jc) block of C is final and still in cache: apply bias and activation now.
        if (lastBlock && epilogue) applyEpilogue(epilogue, C, cOff, ldc, ic, ic + mc, jc, jc + nc);
      }
    }
  }
}

function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

/**
 * Pack an mc x kc block of alpha·op(A) into slivers of MR rows:
 * packedA[(i/MR)·kc·MR + p·MR + r] = alpha·op(A)[i + r, p]. Rows past mc are zero, so the micro-kernel
 * never needs a row tail.
 */
function packA(A: FloatArray, base: number, rs: number, cs: number, mc: number, kc: number, alpha: number): void {
  const out = packedA;
  for (let i = 0; i < mc; i += MR) {
    const sliver = i * kc;
    for (let r = 0; r < MR; r++) {
      let q = sliver + r;
      if (i + r < mc) {
        for (let p = 0, a = base + (i + r) * rs; p < kc; p++, a += cs, q += MR) out[q] = alpha * A[a];
      } else {
        for (let p = 0; p < kc; p++, q += MR) out[q] = 0;
      }
    }
  }
}

/**
 * Pack a kc x nc block of op(B) into slivers of NR columns: packedB[(j/NR)·kc·NR + p·NR + c] = op(B)[p, j + c].
 * Columns past nc are zero.
 */
function packB(B: FloatArray, base: number, rs: number, cs: number, kc: number, nc: number): void {
  const out = packedB;
  for (let j = 0; j < nc; j += NR) {
    const sliver = j * kc;
    for (let c = 0; c < NR; c++) {
      let q = sliver + c;
      if (j + c < nc) {
        for (let p = 0, b = base + (j + c) * cs; p < kc; p++, b += rs, q += NR) out[q] = B[b];
      } else {
        for (let p = 0; p < kc; p++, q += NR) out[q] = 0;
      }
    }
  }
}

/**
 * The register-blocked core: a 4x4 tile of C from a 4 x kc sliver of A and a kc x 4 sliver of B, stored
 * into C[c0 + r·ldc + c] or added to it. Alpha and beta stay out of this hot function (alpha is folded
 * into packed A, beta pre-applied to C), so V8 keeps only the 16 accumulators and the loop pointers live.
 */
function micro4x4(kc: number, a: Float64Array, pa: number, b: Float64Array, pb: number, C: FloatArray, c0: number, ldc: number, accumulate: boolean): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++, pa += 4, pb += 4) {
    const a0 = a[pa], a1 = a[pa + 1], a2 = a[pa + 2], a3 = a[pa + 3];
    const b0 = b[pb], b1 = b[pb + 1], b2 = b[pb + 2], b3 = b[pb + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  const r0 = c0, r1 = c0 + ldc, r2 = c0 + 2 * ldc, r3 = c0 + 3 * ldc;
  if (accumulate) {
    C[r0] += c00; C[r0 + 1] += c01; C[r0 + 2] += c02; C[r0 + 3] += c03;
    C[r1] += c10; C[r1 + 1] += c11; C[r1 + 2] += c12; C[r1 + 3] += c13;
    C[r2] += c20; C[r2 + 1] += c21; C[r2 + 2] += c22; C[r2 + 3] += c23;
    C[r3] += c30; C[r3 + 1] += c31; C[r3 + 2] += c32; C[r3 + 3] += c33;
  } else {
    C[r0] = c00; C[r0 + 1] = c01; C[r0 + 2] = c02; C[r0 + 3] = c03;
    C[r1] = c10; C[r1 + 1] = c11; C[r1 + 2] = c12; C[r1 + 3] = c13;
    C[r2] = c20; C[r2 + 1] = c21; C[r2 + 2] = c22; C[r2 + 3] = c23;
    C[r3] = c30; C[r3 + 1] = c31; C[r3 + 2] = c32; C[r3 + 3] = c33;
  }
}

/** Store (or add) the valid rows x cols of the edge tile into C. */
function storeEdge(rows: number, cols: number, C: FloatArray, c0: number, ldc: number, accumulate: boolean): void {
  for (let r = 0; r < rows; r++) {
    const row = c0 + r * ldc;
    for (let c = 0; c < cols; c++) C[row + c] = accumulate ? C[row + c] + edgeTile[r * NR + c] : edgeTile[r * NR + c];
  }
}

/** C = beta·C over an M x N block (for beta other than 0 and 1, before the first depth block accumulates). */
function scaleC(M: number, N: number, beta: number, C: FloatArray, cOff: number, ldc: number): void {
  for (let i = 0; i < M; i++) for (let j = cOff + i * ldc, end = j + N; j < end; j++) C[j] *= beta;
}

/**
 * Tiny problems and matrix-vector products (dense layers at batch 1): a dot product per output with any
 * strides, no packing.
 */
function gemmDirect(
  M: number, N: number, K: number, alpha: number,
  A: FloatArray, aOff: number, rsA: number, csA: number,
  B: FloatArray, bOff: number, rsB: number, csB: number,
  beta: number, C: FloatArray, cOff: number, ldc: number,
): void {
  for (let i = 0; i < M; i++) {
    const aRow = aOff + i * rsA;
    const cRow = cOff + i * ldc;
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0, pa = aRow, pb = bOff + j * csB; k < K; k++, pa += csA, pb += rsB) acc += A[pa] * B[pb];
      C[cRow + j] = beta === 0 ? alpha * acc : alpha * acc + beta * C[cRow + j];
    }
  }
}

/**
 * C[i, j] = act(C[i, j] + bias[j]) over rows [i0, i1) and columns [j0, j1). One loop per activation (a
 * switch inside the loop would cost a branch per element).
 */
function applyEpilogue(e: GemmEpilogue, C: FloatArray, cOff: number, ldc: number, i0: number, i1: number, j0: number, j1: number): void {
  const { bias, biasOff, activation } = e;
  if (bias === null && activation === 'none') return;
  for (let i = i0; i < i1; i++) {
    const row = cOff + i * ldc;
    if (bias !== null) for (let j = j0; j < j1; j++) C[row + j] += bias[biasOff + j];
    switch (activation) {
      case 'none':
        break;
      case 'relu':
        // NOTE: branch-free: `v > 0 ? v : 0` mispredicts on random signs (a relu loop measured 4-5x slower
        // with it). v·1 + 0 = v and v·0 + 0 = +0 exactly (the + 0 turns -0 into +0). NaN and -Infinity give
        // NaN: a non-finite pre-activation means the run diverged, and NaN lets the finiteness check see it.
        for (let j = row + j0; j < row + j1; j++) C[j] = C[j] * +(C[j] > 0) + 0;
        break;
      case 'tanh':
        for (let j = row + j0; j < row + j1; j++) C[j] = Math.tanh(C[j]);
        break;
      case 'sigmoid':
        // Two branches so exp never overflows (as the sigmoid kernel).
        for (let j = row + j0; j < row + j1; j++) {
          const v = C[j];
          if (v >= 0) C[j] = 1 / (1 + Math.exp(-v));
          else {
            const ex = Math.exp(v);
            C[j] = ex / (1 + ex);
          }
        }
        break;
      default:
        activation satisfies never;
    }
  }
}
