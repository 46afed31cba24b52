// The WebAssembly SIMD CPU fast path: public entry points, and the design notes that tie the files of src/kernels/wasm together.
//
// Files
//   emitter.ts      the WebAssembly binary emitter (LEB128, opcodes incl. the 0xFD SIMD prefix, module builder)
//   gemm-module.ts  generates the kernel module: GEMM (packing + 4x8 f32x4 micro-kernel + blocked driver),
//                   the bias+activation epilogue, the LSTM cell
//   memory.ts       the shared linear memory and its arena allocator
//   runtime.ts      feature detection, the compiled module and main-thread instance, allocateInWasm
//   staging.ts      operands outside the wasm memory: copy in (row-compacted) and out
//   threads.ts      worker threads on the same shared memory, Atomics mailboxes, job stealing
//   gemm.ts         wasmGemm (the plain gemm's signature), the thread split and its threshold
//   lstm-cell.ts    wasmLstmCell
//   backend.ts      the 'wasm-simd' backend for matmul / dense, enableWasmKernels()
//
// Memory model. A kernel only sees its linear memory. Arrays from `allocateInWasm` live there and pass by
// pointer; ordinary typed arrays are staged per call. The memory is a `shared` WebAssembly.Memory (a
// SharedArrayBuffer) that grows on demand: growing a shared memory never detaches existing views (see
// memory.ts), which is what makes handing out long-lived views safe. Without SharedArrayBuffer it is a
// fixed 256 MiB ordinary memory that never grows, and there are no threads.
//
// Wiring the engine's tensors onto the arena (follow-up, not done here: it touches the core). Today every
// float32 kernel call pays a copy in and out (~15-25% at the LSTM's 64x64x256 step). To remove it:
//   1. src/tensor/dtype.ts `allocateArray('float32', n)`: when the wasm backend is enabled, return
//      `allocateInWasm(n)` instead of `new Float32Array(n)` (fresh blocks are zeroed, like new arrays).
//   2. src/tensor/storage.ts keeps pooling those views by size exactly as now (the arena never sees a
//      release: pooled buffers stay allocated, as they do in the JS heap). Only `clearBufferPool` must
//      hand float32 wasm blocks back with `freeInWasm` instead of dropping them (dropping leaks arena space:
//      the arena has no GC).
//   3. Nothing else changes: `values` / `subarray` views of wasm-backed storage are still Float32Arrays over
//      the same (shared) buffer, so `isInWasmMemory` recognises them and every wasm kernel skips the copy.
//   Caveats: tensorFromData(userArray) still wraps a JS array (staged when used); the arena caps at 2 GiB.
//
// Switching it on by default: once the op-level parity tests pass on CI, dispatch.ts could call
// `enableWasmKernels()` next to `registerBackend(referenceBackend, { fallback: true })`; NETMOE_KERNELS=reference
// still forces the reference path, and engines without SIMD fall back automatically.

export { enableWasmKernels, disableWasmKernels, wasmKernelsEnabled, wasmBackend, WASM_MIN_MACS } from './backend.ts';
export { wasmGemm, startWasmThreads, stopWasmThreads, wasmGemmThreads, setWasmGemmThreadLimit, PARALLEL_MIN_MACS } from './gemm.ts';
export { wasmLstmCell } from './lstm-cell.ts';
export { allocateInWasm, freeInWasm, isInWasmMemory, wasmSimdSupported } from './runtime.ts';
