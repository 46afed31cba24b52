// The 'wasm-simd' backend: float32 matmul, dense, the conv1d family and the fused LSTM on the WebAssembly SIMD kernels, registered in front of the reference kernels by enableWasmKernels().
//
// The kernels are the reference ones built over `wasmGemm` (linalgKernelsWith / convKernelsWith /
// recurrentKernelsWith in src/kernels/cpu): same operand handling, batch walk, im2col and BPTT; only the
// GEMM (and the LSTM's cells, wasmLstmCell / wasmLstmCellBackward, and its db sum, wasmAddColumnSums) differ. `accepts` keeps
// float64 and tiny products on the reference backend, which is also the spec these kernels are tested
// against. NETMOE_KERNELS=reference skips this backend entirely (src/kernels/backend.ts).

// NOTE: load the engine before the CPU kernel modules below. They sit on an import cycle (cpu/conv.ts ->
// tensor.ts -> dispatch.ts -> cpu/index.ts -> cpu/conv.ts); entered from cpu/conv.ts, cpu/index.ts would
// read `convKernels` before it is initialised. Entered from tensor.ts, the cycle resolves in order.
import '../../tensor/tensor.ts';
import { sizeOf } from '../../tensor/shape.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { registerBackend, registeredBackends, unregisterBackend, type Backend } from '../backend.ts';
import { convKernelsWith } from '../cpu/conv.ts';
import { linalgKernelsWith } from '../cpu/linalg.ts';
import { recurrentKernelsWith } from '../cpu/recurrent.ts';
import { wasmAddColumnSums } from './column-sums.ts';
import { wasmGemm } from './gemm.ts';
import { wasmLstmCell, wasmLstmCellBackward } from './lstm-cell.ts';
import { wasmDropoutWithMask } from './dropout.ts';
import { wasmMaxPool1d, wasmMaxPool1dBackward } from './pooling.ts';
import { arenaFloat32Allocator, wasmSimdSupported } from './runtime.ts';
import { setFloat32Allocator } from '../../tensor/dtype.ts';

/**
 * Smallest product (multiply-adds of the op's GEMM) sent to wasm. bench/suites/wasm.ts `crossover` cases
 * on the 2-core dev machine (plain-TS GEMM vs wasmGemm with copies, two runs): 4x4x4 0.2 vs 0.9-1.6 µs,
 * 8x8x8 (512) 1.1-2.0 vs 1.0-1.8 µs (even within noise), 16x16x16 6 vs 2 µs. Below ~1000 the fixed cost
 * of staging and of the JS -> wasm call wins.
 */
export const WASM_MIN_MACS = 1024;

const f32 = (inputs: readonly Tensor[]): boolean => inputs.every((t) => t.dtype === 'float32');

function matmulMacs([a, b]: readonly Tensor[], transA: boolean, transB: boolean): number {
  const r = a.rank;
  const M = transA ? a.shape[r - 1] : a.shape[r - 2];
  const K = transA ? a.shape[r - 2] : a.shape[r - 1];
  const N = transB ? b.shape[r - 2] : b.shape[r - 1];
  return sizeOf(a.shape.slice(0, r - 2)) * M * N * K;
}

const linalg = linalgKernelsWith(wasmGemm);
const conv = convKernelsWith(wasmGemm);
const recurrent = recurrentKernelsWith({ gemm: wasmGemm, cell: wasmLstmCell, cellBackward: wasmLstmCellBackward, columnSums: wasmAddColumnSums });

/** The backend: the reference linalg / conv / recurrent kernels over `wasmGemm`, admitted for float32 (GEMM ops from WASM_MIN_MACS up). */
export const wasmBackend: Backend = {
  name: 'wasm-simd',
  kernels: {
    matmul: linalg.matmul,
    dense: linalg.dense,
    conv1d: conv.conv1d,
    conv1dInputGrad: conv.conv1dInputGrad,
    conv1dWeightGrad: conv.conv1dWeightGrad,
    lstm: recurrent.lstm,
    lstmBackward: recurrent.lstmBackward,
    maxPool1d: wasmMaxPool1d,
    maxPool1dBackward: wasmMaxPool1dBackward,
    dropoutWithMask: wasmDropoutWithMask,
  },
  accepts: {
    matmul: (inputs, { transA, transB }) => f32(inputs) && matmulMacs(inputs, transA, transB) >= WASM_MIN_MACS,
    // x: [N, in], w: [in, out]
    dense: (inputs) => f32(inputs) && inputs[0].shape[0] * inputs[1].shape[0] * inputs[1].shape[1] >= WASM_MIN_MACS,
    // x: [B, L, C_in], w: [K, C_in, C_out]: GEMM of (B·L_out) x (K·C_in) x C_out
    conv1d: (inputs, { outLength }) => f32(inputs) && inputs[0].shape[0] * outLength * sizeOf(inputs[1].shape) >= WASM_MIN_MACS,
    // dy: [B, L_out, C_out], w: [K, C_in, C_out]
    conv1dInputGrad: (inputs) => f32(inputs) && inputs[0].shape[0] * inputs[0].shape[1] * sizeOf(inputs[1].shape) >= WASM_MIN_MACS,
    // x: [B, L, C_in], dy: [B, L_out, C_out], depth K·C_in
    conv1dWeightGrad: (inputs, { kernelSize }) =>
      f32(inputs) && sizeOf(inputs[1].shape) * kernelSize * inputs[0].shape[2] >= WASM_MIN_MACS,
    // The LSTM's GEMMs are B x 4H x H per step: worth it at any float32 size that trains.
    lstm: f32,
    lstmBackward: f32,
    // Bit-identical to the reference at any size; the fixed cost of the call and of staging argmax is ~1 µs.
    maxPool1d: f32,
    maxPool1dBackward: ([dy]) => dy.dtype === 'float32',
    dropoutWithMask: f32,
  },
};

/**
 * Route float32 matmul, dense, conv1d and lstm (forward and their gradient kernels) through WebAssembly SIMD from now on. Returns false (and changes nothing)
 * where WebAssembly SIMD is unavailable. For 2-core GEMM splitting also `await startWasmThreads(2)`.
 *
 * @example
 * import { enableWasmKernels, startWasmThreads } from 'netmoe';
 * enableWasmKernels();
 * await startWasmThreads(2); // optional: large GEMMs use both cores
 */
export function enableWasmKernels(): boolean {
  if (!wasmSimdSupported()) return false;
  registerBackend(wasmBackend);
  // New float32 tensors live in the wasm memory from now on: the kernels read and write them in place
  // (copying operands in and out was ~30% of a DCL-MoE training epoch).
  setFloat32Allocator(arenaFloat32Allocator);
  return true;
}

/** Back to the reference kernels for every op. */
export function disableWasmKernels(): void {
  unregisterBackend(wasmBackend.name);
  setFloat32Allocator(null);
}

/** True while the wasm backend is registered. */
export function wasmKernelsEnabled(): boolean {
  return registeredBackends().includes(wasmBackend.name);
}
