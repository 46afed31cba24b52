// Peer comparison: float32 GEMM GFLOP/s of wasmGemm (1 and 2 threads) next to PyTorch's matmul on the same shapes, when python3 can import torch.
//
// Run: npx tsx bench/matmul-peers.ts. PyTorch runs through `python3 -c` (nothing is installed); without
// torch its columns read "n/a". Timings are best-of-repeats, which is what a quiet machine would give.

import { execFileSync } from 'node:child_process';
import { setWasmGemmThreadLimit, startWasmThreads, wasmGemm } from '../src/kernels/wasm/gemm.ts';
import { allocateInWasm } from '../src/kernels/wasm/runtime.ts';

/** [M, K, N]: DCL-MoE's dense layer, the LSTM step, and two square sizes. */
const SHAPES: [number, number, number][] = [[64, 40, 128], [64, 64, 256], [256, 256, 256], [512, 512, 512]];

function bestSeconds(fn: () => void, flops: number): number {
  const reps = Math.max(3, Math.floor(5e7 / flops));
  for (let i = 0; i < reps; i++) fn();
  let best = Infinity;
  for (let r = 0; r < 20; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    best = Math.min(best, (performance.now() - t0) / 1000 / reps);
  }
  return best;
}

/** A python3 that can import torch (the system one may have it where the PATH one does not), or null. */
function torchPython(): string | null {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
      return python;
    } catch {
      // not this one
    }
  }
  return null;
}

function torchGflops(python: string | null, threads: number): (number | null)[] {
  if (python === null) return SHAPES.map(() => null);
  const script = `
import json, time, torch
torch.set_num_threads(${threads})
out = []
for m, k, n in ${JSON.stringify(SHAPES)}:
    a, b = torch.rand(m, k), torch.rand(k, n)
    reps = max(3, int(5e7 / (2 * m * n * k)))
    for _ in range(reps): torch.matmul(a, b)
    best = float('inf')
    for _ in range(20):
        t0 = time.perf_counter()
        for _ in range(reps): torch.matmul(a, b)
        best = min(best, (time.perf_counter() - t0) / reps)
    out.append(2 * m * n * k / best / 1e9)
print(json.dumps(out))`;
  try {
    // OpenBLAS single-threaded, torch's own threads set above (as bench/dcl-moe-epoch.ts runs PyTorch).
    const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: String(threads) };
    return JSON.parse(execFileSync(python, ['-c', script], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return SHAPES.map(() => null);
  }
}

const threads = await startWasmThreads(2);
const fmt = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(1)).padStart(10);
console.log(`GFLOP/s, float32, best of 20 (wasm threads available: ${threads})`);
console.log(`${'M x K x N'.padEnd(16)}${'wasm 1t'.padStart(10)}${'wasm 2t'.padStart(10)}${'torch 1t'.padStart(10)}${'torch 2t'.padStart(10)}`);
const python = torchPython();
const torch1 = torchGflops(python, 1);
const torch2 = torchGflops(python, 2);
SHAPES.forEach(([M, K, N], s) => {
  const A = allocateInWasm(M * K).map(() => Math.random());
  const B = allocateInWasm(K * N).map(() => Math.random());
  const C = allocateInWasm(M * N);
  const flops = 2 * M * N * K;
  const wasm = [1, 2].map((limit) => {
    if (limit > threads) return null;
    setWasmGemmThreadLimit(limit);
    return flops / bestSeconds(() => wasmGemm(false, false, M, N, K, 1, A, 0, K, B, 0, N, 0, C, 0, N), flops) / 1e9;
  });
  console.log(`${`${M}x${K}x${N}`.padEnd(16)}${fmt(wasm[0])}${fmt(wasm[1])}${fmt(torch1[s])}${fmt(torch2[s])}`);
});
