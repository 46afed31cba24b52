// The WebAssembly SIMD CPU fast path: public entry points, and the design notes that tie the files of src/kernels/wasm together.
//
// Files
//   emitter.ts      the WebAssembly binary emitter (LEB128, opcodes incl. the 0xFD SIMD prefix, module builder)
//   gemm-module.ts  generates the kernel module: GEMM (packing + 4x8 f32x4 micro-kernel + blocked driver),
//                   the bias+activation epilogue, the LSTM cell and its BPTT step, column sums, max pooling,
//                   the dropout scale
//   memory.ts       the shared linear memory and its arena allocator
//   runtime.ts      feature detection, the compiled module and main-thread instance, allocateInWasm
//   staging.ts      operands outside the wasm memory: copy in (row-compacted) and out
//   threads.ts      worker threads on the same shared memory, Atomics mailboxes, job stealing
//   gemm.ts         wasmGemm (the plain gemm's signature), the thread split and its threshold
//   lstm-cell.ts    wasmLstmCell, wasmLstmCellBackward (row shares on two threads when workers run)
//   column-sums.ts  wasmAddColumnSums (the LSTM's db = Σ_rows dz)
//   pooling.ts      maxPool1d and its backward kernel
//   dropout.ts      dropoutWithMask (forward and gradient)
//   backend.ts      the 'wasm-simd' backend (matmul, dense, conv1d, lstm, maxPool1d, dropoutWithMask), enableWasmKernels()
//
// Memory model. A kernel only sees its linear memory. Arrays from `allocateInWasm` live there and pass by
// pointer; ordinary typed arrays are staged per call. The memory is a `shared` WebAssembly.Memory (a
// SharedArrayBuffer) that grows on demand: growing a shared memory never detaches existing views (see
// memory.ts), which is what makes handing out long-lived views safe. Without SharedArrayBuffer it is a
// fixed 256 MiB ordinary memory that never grows, and there are no threads.
//
// Wiring the engine's tensors onto the arena (follow-up, not done here: it touches the core). Today every
// float32 kernel call on pooled tensors pays a copy in and out (~20% of a 64x64x256 GEMM). Measured with a
// scratch copy of the tree where float32 `allocateArray` returned `allocateInWasm(n)`: the fused LSTM at
// DCL-MoE's shape (B 64, T 40, H 64) went from 5.4 to 3.6 ms forward and 13.7 to 10.5 ms forward+backward.
//   1. src/tensor/dtype.ts `allocateArray('float32', n)`: when the wasm backend is enabled, return
//      `allocateInWasm(n)` instead of `new Float32Array(n)` (blocks come back zeroed, like new arrays).
//   2. src/tensor/storage.ts pools those views by size exactly as now. But the arena has no garbage
//      collector: wherever the pool drops a buffer (`releaseArray` past MAX_POOLED_BUFFERS_PER_SIZE,
//      `clearBufferPool`) a float32 wasm block must go back with `freeInWasm`, or arena space leaks. Tensors
//      that are never disposed (no tidy) leak the same way, where the JS heap would have collected them.
//   3. Nothing else changes: `values` / `subarray` views of wasm-backed storage are still Float32Arrays over
//      the same (shared) buffer, so `isInWasmMemory` recognises them and every wasm kernel skips the copy.
//   Caveats: tensorFromData(userArray) still wraps a JS array (staged when used); the arena caps at 2 GiB.
//
// Switching it on by default: the parity tests (test/kernels/wasm) pass; dispatch.ts could call
// `enableWasmKernels()` right after `registerBackend(referenceBackend, { fallback: true })`.
// NETMOE_KERNELS=reference still forces the reference path, engines without SIMD fall back by themselves,
// and float64 (gradient checks) never reaches these kernels. Threads stay opt-in (`startWasmThreads`):
// they pay off only when the second core is otherwise idle.

export { enableWasmKernels, disableWasmKernels, wasmKernelsEnabled, wasmBackend, WASM_MIN_MACS } from './backend.ts';
export { wasmGemm, startWasmThreads, stopWasmThreads, wasmGemmThreads, setWasmGemmThreadLimit, PARALLEL_MIN_MACS } from './gemm.ts';
export { wasmLstmCell, wasmLstmCellBackward, PARALLEL_MIN_CELL_UNITS } from './lstm-cell.ts';
export { allocateInWasm, freeInWasm, isInWasmMemory, wasmSimdSupported } from './runtime.ts';
