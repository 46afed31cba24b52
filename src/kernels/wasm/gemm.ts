// wasmGemm: the float32 WebAssembly SIMD GEMM behind the plain GEMM's BLAS-style signature, with zero-copy operands, copy-in/out staging and the thread split.
//
// Drop-in for `gemm` from src/kernels/cpu/gemm.ts on Float32Arrays: same arguments, same epilogue, same
// beta = 0 contract. It falls back to that plain-TS gemm for Float64Arrays, when WebAssembly SIMD is
// missing, and for K = 0.
//
// Operands: an array that lives in the wasm memory (from `allocateInWasm`, runtime.ts) is passed as a
// pointer; any other array is copied into a pooled staging block for the call (C is copied back). Copies
// are O(MK + KN + MN) against the O(MNK) product, but at the LSTM step's 64 x 64 x 256 they are ~20% of
// the time (62 vs 50 µs): the engine's tensors should live in the arena (index.ts says how).

import type { FloatArray } from '../../tensor/dtype.ts';
import { gemm as plainGemm, type GemmEpilogue } from '../cpu/gemm.ts';
import { ACTIVATION_CODE } from './gemm-module.ts';
import { wasmRuntime, type WasmRuntime } from './runtime.ts';
import { copyOut, place } from './staging.ts';
import { WorkerPool, type GemmJob } from './threads.ts';

/**
 * Split a GEMM across threads from this many multiply-adds (M·N·K) up. Measured back to back (the worker
 * spinning, as between an LSTM's steps) with best-of timings on the 2-core dev machine, 1 vs 2 threads:
 * 32x64x64 (128 Ki MACs) 6.9 vs 6.7 µs (even), 64x40x128 (320 Ki) 15.8 vs 12.4 µs, 64x64x256 (1 Mi)
 * 49 vs 26 µs, 128^3 95 vs 49 µs. A worker asleep in the futex adds a ~20-50 µs wake-up to its first job.
 */
export const PARALLEL_MIN_MACS = 256 * 1024;

let parallelMinMacs = PARALLEL_MIN_MACS;
let pool: WorkerPool | null = null;
let poolStarting: Promise<WorkerPool | null> | null = null;
let threadLimit = Infinity;

/**
 * Start worker threads so large GEMMs use `threads` cores (the main thread counts as one). Resolves to the
 * number of threads GEMMs may now use: 1 where threads are unavailable (no SIMD, no SharedArrayBuffer).
 *
 * @example
 * await startWasmThreads(2);                 // once, at start-up
 * wasmGemm(false, false, 512, 512, 512, ...); // now split across 2 cores
 */
export async function startWasmThreads(threads = 2): Promise<number> {
  if (pool === null && poolStarting === null && threads > 1) {
    const rt = wasmRuntime();
    if (rt !== null && rt.arena.shared) {
      poolStarting = WorkerPool.start(rt, threads - 1).catch(() => null);
      pool = await poolStarting;
      poolStarting = null;
    }
  } else if (poolStarting !== null) {
    await poolStarting;
  }
  return wasmGemmThreads();
}

/** Terminate the worker threads (tests; the workers never keep the process alive anyway). */
export async function stopWasmThreads(): Promise<void> {
  const p = pool;
  pool = null;
  await p?.stop();
}

/** Threads a large GEMM uses now: 1 + running workers, capped by `setWasmGemmThreadLimit`. */
export function wasmGemmThreads(): number {
  return Math.min(1 + (pool?.size ?? 0), threadLimit);
}

/** The worker pool when kernels may use more than one thread now (started, not capped to 1), else null. */
export function activeWorkerPool(): WorkerPool | null {
  return wasmGemmThreads() > 1 ? pool : null;
}

/** Override PARALLEL_MIN_MACS (the crossover benchmark forces splits below it); no argument restores it. */
export function setWasmGemmParallelThreshold(macs = PARALLEL_MIN_MACS): void {
  parallelMinMacs = macs;
}

/** Cap the threads GEMMs use (benchmarks and tests compare 1 and 2 threads on the same pool). */
export function setWasmGemmThreadLimit(limit: number): void {
  threadLimit = Math.max(1, limit);
}

/**
 * C[cOff + i·ldc + j] = act(alpha · Σ_k op(A)[i, k] · op(B)[k, j] + beta · C[...] + bias[j]) for i < M, j < N,
 * in float32 with WebAssembly SIMD. Same arguments and conventions as `gemm` in src/kernels/cpu/gemm.ts
 * (row-major; transA means A is stored K x M; beta = 0 never reads C).
 * NOTE: accumulates in float32 (the plain gemm accumulates in float64): expect relative differences of
 * ~1e-6·sqrt(K) between the two. tanh and sigmoid epilogues use a rational approximation
 * (|error| <= TANH_MAX_ABS_ERROR, see gemm-module.ts).
 *
 * @example
 * // h[64, 256] += x[64, 64] · W[64, 256]   (one LSTM step's input projection, accumulated)
 * wasmGemm(false, false, 64, 256, 64, 1, x, 0, 64, W, 0, 256, 1, h, 0, 256);
 */
export function wasmGemm(
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
  const rt = wasmRuntime();
  const bias = epilogue?.bias ?? null;
  if (rt === null || K <= 0 || !(A instanceof Float32Array) || !(B instanceof Float32Array) || !(C instanceof Float32Array)
    || (bias !== null && !(bias instanceof Float32Array))) {
    plainGemm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc, epilogue);
    return;
  }
  const a = place(rt, 'wasmGemm: A', A, aOff, transA ? K : M, transA ? M : K, lda, true);
  const b = place(rt, 'wasmGemm: B', B, bOff, transB ? N : K, transB ? K : N, ldb, true);
  const c = place(rt, 'wasmGemm: C', C, cOff, M, N, ldc, beta !== 0); // beta = 0: C is write-only
  const bp = bias !== null ? place(rt, 'wasmGemm: bias', bias as Float32Array, epilogue?.biasOff ?? 0, 1, N, N, true) : { address: 0, ld: N, staged: 0 };
  try {
    const job: GemmJob = {
      transA: transA ? 1 : 0, transB: transB ? 1 : 0, M, N, K, alpha, A: a.address, lda: a.ld, B: b.address, ldb: b.ld, beta,
      C: c.address, ldc: c.ld, bias: bp.address, act: ACTIVATION_CODE[epilogue?.activation ?? 'none'],
    };
    const threads = wasmGemmThreads();
    if (!runDegenerate(rt, job)) {
      if (threads > 1 && pool !== null && M * N * K >= parallelMinMacs && pool.shouldSplit()) runParallel(rt, pool, job, threads);
      else runJob(rt, job);
    }
    if (c.staged !== 0) copyOut(rt, c, C, cOff, M, N, ldc);
  } finally {
    for (const p of [a, b, c, bp]) if (p.staged !== 0) rt.arena.free(p.staged);
  }
}

/**
 * K = 1 (an outer product) and M = 1 (a vector-matrix product) on their own kernels, when B is unit-stride
 * along N; true if it ran. Same results as the packed driver, bit for bit (gemm-module.ts). Why: at the
 * LSTM's input side with one feature (DCL-MoE), z = x·W_ih [2560 x 256 x 1] and dW_ih = xᵀ·dz [1 x 256 x
 * 2560] took 280 and 245 µs a batch through the packed driver (a tile store per multiply-add; M padded
 * to the 4-row tile and all of dz packed), 163 and 172-235 µs here.
 */
function runDegenerate(rt: WasmRuntime, j: GemmJob): boolean {
  if (j.K === 1 && (j.transB === 0 || j.ldb === 1)) {
    // The bias goes in with the product (no second pass over C); an activation still takes one.
    rt.exports.gemmK1(j.M, j.N, j.alpha, j.A, j.transA === 1 ? 4 : 4 * j.lda, j.B, j.beta, j.C, 4 * j.ldc, j.bias);
    if (j.act !== 0) rt.exports.biasAct(j.C, j.ldc, j.M, j.N, 0, j.act);
  } else if (j.M === 1 && j.transB === 0) {
    rt.exports.gemvM1(j.N, j.K, j.alpha, j.A, j.transA === 1 ? 4 * j.lda : 4, j.B, 4 * j.ldb, j.beta, j.C);
    if (j.bias !== 0 || j.act !== 0) rt.exports.biasAct(j.C, j.ldc, j.M, j.N, j.bias, j.act);
  } else {
    return false;
  }
  return true;
}

/** One share on the calling (main) thread. */
function runJob(rt: WasmRuntime, j: GemmJob): void {
  rt.exports.gemm(j.transA, j.transB, j.M, j.N, j.K, j.alpha, j.A, j.lda, j.B, j.ldb, j.beta, j.C, j.ldc, rt.scratch);
  if (j.bias !== 0 || j.act !== 0) rt.exports.biasAct(j.C, j.ldc, j.M, j.N, j.bias, j.act);
}

/**
 * Split C into `threads` strips along N (columns) or M (rows), whichever duplicates less packing: every
 * thread packs all of the operand it does not split, so split N when A (M x K) is the smaller one. Strip
 * widths are multiples of the register tile so only the last strip has a tail.
 */
function runParallel(rt: WasmRuntime, workers: WorkerPool, job: GemmJob, threads: number): void {
  const { MR, NR } = rt.tiling;
  const splitN = job.M <= job.N;
  const extent = splitN ? job.N : job.M;
  const unit = splitN ? NR : MR;
  const chunk = Math.ceil(Math.ceil(extent / threads) / unit) * unit;
  const shares: GemmJob[] = [];
  for (let start = 0; start < extent; start += chunk) {
    const len = Math.min(chunk, extent - start);
    shares.push(splitN
      ? { ...job, N: len, B: job.B + 4 * (job.transB ? start * job.ldb : start), C: job.C + 4 * start, bias: job.bias === 0 ? 0 : job.bias + 4 * start }
      : { ...job, M: len, A: job.A + 4 * (job.transA ? start : start * job.lda), C: job.C + 4 * start * job.ldc });
  }
  for (let i = 1; i < shares.length; i++) workers.post(i - 1, shares[i]);
  let failure: unknown = null;
  try {
    runJob(rt, shares[0]);
  } catch (e) {
    failure = e;
  }
  // Always, even after a failure: staging blocks must not be reused while a worker still reads them.
  for (let i = 1; i < shares.length; i++) {
    try {
      workers.finish(i - 1, shares[i], (share) => runJob(rt, share));
    } catch (e) {
      failure ??= e;
    }
  }
  if (failure !== null) throw failure;
}
