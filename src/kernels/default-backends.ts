// The backends netmoe runs by default: WebAssembly SIMD kernels in front of the reference ones, where supported.

import { registeredBackends } from './backend.ts';
import { enableWasmKernels } from './wasm/backend.ts';

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
