// netmoe's public surface: re-exports only.

export { Tensor, type NestedArray } from './tensor/tensor.ts';
export type { DType } from './tensor/dtype.ts';
export { Rng } from './tensor/random.ts';
export {
  tensor, zeros, ones, full, zerosLike, arange, randu, randn,
  glorotUniform, glorotNormal, heUniform, heNormal, orthogonal,
} from './tensor/creation.ts';
export * from './tensor/ops/index.ts';
export { noGrad, isGradEnabled } from './autograd/grad-mode.ts';
export { gradCheck, type GradCheckOptions, type GradCheckResult } from './autograd/grad-check.ts';
export { tidy, keep, bufferPoolStats } from './tensor/storage.ts';
export { assertFinite, assertShape } from './tensor/checks.ts';
export { fromNdarray, toNdarray } from './tensor/ndarray-interop.ts';
export { runOp } from './tensor/dispatch.ts';
export { registerBackend, unregisterBackend, registeredBackends, type Backend } from './kernels/backend.ts';
export { enableWasmKernels, disableWasmKernels, startWasmThreads, stopWasmThreads, allocateInWasm, freeInWasm, wasmGemm, wasmLstmCell } from './kernels/wasm/index.ts';
export type { OpName, OpAttrs } from './tensor/op-table.ts';

export { useDefaultBackends } from './kernels/default-backends.ts';
import { useDefaultBackends } from './kernels/default-backends.ts';

// Importing netmoe switches on the fast kernels (WebAssembly SIMD) where the engine supports them.
useDefaultBackends();
