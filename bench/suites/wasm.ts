// Bench: the WebAssembly SIMD GEMM against the plain-TS GEMM at DCL-MoE's shapes and at 256^3 / 512^3, on 1 and 2 threads, plus the crossovers that set its thresholds.
//
// Case names: `wasm gemm <M>x<K>x<N> <variant>`, where the product is [M x K]·[K x N] and the variant is
//   plain-ts     src/kernels/cpu/gemm.ts on Float32Arrays
//   1t copy      wasmGemm on ordinary Float32Arrays (copied into wasm memory and C copied back every call)
//   1t / 2t      wasmGemm on arrays from allocateInWasm (no copies), 1 or 2 threads (2t: split only from
//                PARALLEL_MIN_MACS up; `2t split`: always split, to find that crossover)
// The `crossover` cases justify PARALLEL_MIN_MACS (src/kernels/wasm/gemm.ts) and WASM_MIN_MACS
// (src/kernels/wasm/backend.ts).

import type { BenchCase } from '../harness.ts';
import { gemm } from '../../src/kernels/cpu/gemm.ts';
import { setWasmGemmParallelThreshold, setWasmGemmThreadLimit, startWasmThreads, wasmGemm } from '../../src/kernels/wasm/gemm.ts';
import { allocateInWasm } from '../../src/kernels/wasm/runtime.ts';
import { wasmLstmCell } from '../../src/kernels/wasm/lstm-cell.ts';
import { lstmCell } from '../../src/kernels/cpu/lstm-cell.ts';
import { Rng } from '../../src/tensor/random.ts';

const threads = await startWasmThreads(2);

function randomArray(rng: Rng, n: number, into: Float32Array = new Float32Array(n)): Float32Array {
  for (let i = 0; i < n; i++) into[i] = rng.uniform(-1, 1);
  return into;
}

interface Shape {
  M: number;
  K: number;
  N: number;
  transA?: boolean;
  transB?: boolean;
  label?: string;
}

function gemmCases(rng: Rng, s: Shape, variants: readonly string[], tag = ''): BenchCase[] {
  const { M, K, N, transA = false, transB = false } = s;
  const lda = transA ? M : K, ldb = transB ? K : N;
  const flops = 2 * M * N * K;
  const name = (v: string): string => `wasm gemm ${tag}${M}x${K}x${N}${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}${s.label ? ` (${s.label})` : ''} ${v}`;
  const plain = { A: randomArray(rng, M * K), B: randomArray(rng, K * N), C: new Float32Array(M * N) };
  const inWasm = { A: randomArray(rng, M * K, allocateInWasm(M * K)), B: randomArray(rng, K * N, allocateInWasm(K * N)), C: allocateInWasm(M * N) };
  const cases: BenchCase[] = [];
  for (const v of variants) {
    if (v === 'plain-ts') {
      cases.push({ name: name(v), flops, fn: () => gemm(transA, transB, M, N, K, 1, plain.A, 0, lda, plain.B, 0, ldb, 0, plain.C, 0, N) });
    } else if (v === '1t copy') {
      cases.push({ name: name(v), flops, fn: () => { setWasmGemmThreadLimit(1); wasmGemm(transA, transB, M, N, K, 1, plain.A, 0, lda, plain.B, 0, ldb, 0, plain.C, 0, N); } });
    } else {
      const limit = v === '1t' ? 1 : 2;
      if (limit > threads) continue;
      // '2t split' forces the split below PARALLEL_MIN_MACS (crossover cases); '2t' applies the threshold.
      const threshold = v === '2t split' ? 0 : undefined;
      cases.push({ name: name(v), flops, fn: () => { setWasmGemmThreadLimit(limit); setWasmGemmParallelThreshold(threshold); wasmGemm(transA, transB, M, N, K, 1, inWasm.A, 0, lda, inWasm.B, 0, ldb, 0, inWasm.C, 0, N); } });
    }
  }
  return cases;
}

/** One LSTM step's cell at step t = 1 of a [B, T, 4H] gate buffer (the layout of recurrent.ts). */
function lstmCellCases(rng: Rng, B: number, T: number, H: number): BenchCase[] {
  const G = 4 * H;
  const make = (wasm: boolean) => {
    const alloc = (n: number): Float32Array => (wasm ? allocateInWasm(n) : new Float32Array(n));
    return { z: randomArray(rng, B * T * G, alloc(B * T * G)), c: randomArray(rng, B * T * H, alloc(B * T * H)), tanhC: alloc(B * T * H), y: alloc(B * T * H) };
  };
  const plain = make(false), inWasm = make(true);
  // Each call re-activates already-activated gates: values stay in (0, 1), so timing is representative.
  const step = (f: typeof wasmLstmCell, o: ReturnType<typeof make>) => () => f(B, H, o.z, G, T * G, o.c, 0, T * H, o.c, o.tanhC, o.y, H, T * H);
  const name = (v: string): string => `wasm lstm cell B=${B} H=${H} ${v}`;
  return [
    { name: name('plain-ts'), fn: step(lstmCell, plain) },
    { name: name('1t copy'), fn: step(wasmLstmCell, plain) },
    { name: name('1t'), fn: step(wasmLstmCell, inWasm) },
  ];
}

export const suite = {
  title: `WebAssembly SIMD GEMM (float32; ${threads} thread${threads > 1 ? 's' : ''} available)`,
  cases: (): BenchCase[] => {
    const rng = new Rng('bench-wasm');
    const all = ['plain-ts', '1t copy', '1t', '2t'] as const;
    return [
      ...gemmCases(rng, { M: 64, K: 40, N: 128, label: 'DCL-MoE dense' }, all),
      ...gemmCases(rng, { M: 64, K: 64, N: 256, label: 'LSTM step' }, all),
      // The LSTM step's backward products: dx = dy·Wᵀ and dW = xᵀ·dy.
      ...gemmCases(rng, { M: 64, K: 256, N: 64, transB: true, label: 'LSTM dx' }, all),
      ...gemmCases(rng, { M: 64, K: 64, N: 256, transA: true, label: 'LSTM dW' }, all),
      ...gemmCases(rng, { M: 256, K: 256, N: 256 }, all),
      ...gemmCases(rng, { M: 512, K: 512, N: 512 }, all),
      ...lstmCellCases(rng, 64, 40, 64),
      // Thread crossover (PARALLEL_MIN_MACS): the same product on 1 and 2 threads.
      ...[[16, 32, 32], [32, 64, 64], [32, 128, 64], [64, 40, 128], [64, 64, 128], [128, 128, 128]].flatMap(([M, K, N]) =>
        gemmCases(rng, { M, K, N }, ['1t', '2t split'], 'crossover ')),
      // wasm vs plain-TS crossover at tiny sizes (WASM_MIN_MACS): the copy variant is what ops pay today.
      ...[[2, 2, 2], [4, 4, 4], [8, 8, 8], [16, 16, 16]].flatMap(([M, K, N]) =>
        gemmCases(rng, { M, K, N }, ['plain-ts', '1t copy'], 'crossover ')),
    ];
  },
};
