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
// Tensors on the arena. While the backend is on, the engine allocates float32 tensors in the arena
// (src/tensor/dtype.ts `setFloat32Allocator` -> runtime.ts `arenaFloat32Allocator`), so kernels take them
// by pointer. The arena has no garbage collector: the engine's blocks are freed by a FinalizationRegistry
// when their view is collected (pooled buffers stay reachable, so the pool keeps reusing them); blocks come
// in size classes so nearby sizes share freed blocks; a full arena falls back to ordinary arrays.
// NETMOE_KERNELS=reference skips all of this, engines without SIMD fall back by themselves, and float64
// (gradient checks) never reaches these kernels. Threads: `startWasmThreads` (the commands start them
// unless --threads 1); they pay off when the second core is otherwise idle.

export { enableWasmKernels, disableWasmKernels, wasmKernelsEnabled, wasmBackend, WASM_MIN_MACS } from './backend.ts';
export { wasmGemm, startWasmThreads, stopWasmThreads, wasmGemmThreads, setWasmGemmThreadLimit, PARALLEL_MIN_MACS } from './gemm.ts';
export { wasmLstmCell, wasmLstmCellBackward, PARALLEL_MIN_CELL_UNITS } from './lstm-cell.ts';
export { allocateInWasm, freeInWasm, isInWasmMemory, wasmSimdSupported } from './runtime.ts';
