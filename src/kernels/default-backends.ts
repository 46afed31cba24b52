// The backends netmoe runs by default: WebAssembly SIMD kernels in front of the reference ones, where supported.

import { registeredBackends } from './backend.ts';
import { availableParallelism } from 'node:os';
import { enableWasmKernels } from './wasm/backend.ts';
import { startWasmThreads } from './wasm/gemm.ts';

let installed = false;

/**
 * Register the default fast backends once (the public entry point and the commands call this). The
 * reference kernels stay behind them for every op and dtype they decline (float64, tiny products), and
 * NETMOE_KERNELS=reference bypasses the fast paths entirely. Returns the backends in the order tried.
 */
export function useDefaultBackends(): readonly string[] {
  if (!installed) {
    installed = true;
    if (process.env.NETMOE_KERNELS !== 'reference') enableWasmKernels();
  }
  return registeredBackends();
}

/**
 * Worker threads for the wasm kernels (GEMMs and LSTM cells split across cores; results are identical to
 * one thread). `requested` defaults to NETMOE_THREADS, else min(2, cores): measured on 2 cores, a DCL-MoE
 * epoch takes ~0.8x PyTorch's time with 2 threads and ~1.0x with 1 (bench/dcl-moe-epoch.ts). Returns the
 * thread count in use.
 */
export async function useDefaultThreads(requested?: number): Promise<number> {
  const fromEnv = Number(process.env.NETMOE_THREADS);
  const threads = requested ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.min(2, availableParallelism()));
  if (threads <= 1 || process.env.NETMOE_KERNELS === 'reference') return 1;
  return startWasmThreads(threads);
}
