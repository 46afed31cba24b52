// The wasm runtime singleton: feature detection, the shared arena, the compiled GEMM module and the main thread's instance.

import { ModuleBuilder, ValType, f32, f32x4, local, v128 } from './emitter.ts';
import { DEFAULT_TILING, emitGemmModule, gemmScratchBytes, type GemmTiling } from './gemm-module.ts';
import { WasmArena } from './memory.ts';

/** The exports of the GEMM module, typed (byte addresses and element counts; see gemm-module.ts). */
export interface GemmExports {
  gemm(transA: number, transB: number, M: number, N: number, K: number, alpha: number, A: number, lda: number,
    B: number, ldb: number, beta: number, C: number, ldc: number, scratch: number): void;
  biasAct(C: number, ldc: number, M: number, N: number, bias: number, act: number): void;
  lstmCell(z: number, ldz: number, cPrev: number, ldcPrev: number, c: number, tanhC: number, y: number, ldh: number, B: number, H: number): void;
  lstmCellBackward(gates: number, ldg: number, dz: number, ldz: number, cPrev: number, ldcPrev: number, tanhC: number, ldt: number,
    dy: number, ldy: number, dh: number, dc: number, B: number, H: number): void;
  addColumnSums(src: number, ld: number, rows: number, cols: number, dst: number): void;
  maxPool1d(x: number, y: number, argmax: number, B: number, L: number, C: number, outLength: number, poolSize: number, stride: number): void;
  maxPool1dBackward(dy: number, argmax: number, dx: number, B: number, outLength: number, C: number, inLength: number): void;
  dropoutScale(x: number, mask: number, y: number, n: number, scale: number): void;
  gemmK1(M: number, N: number, alpha: number, A: number, aStride: number, B: number, beta: number, C: number, ldc: number, bias: number): void;
  gemvM1(N: number, K: number, alpha: number, A: number, aStride: number, B: number, ldb: number, beta: number, C: number): void;
}

export interface WasmRuntime {
  readonly arena: WasmArena;
  readonly tiling: GemmTiling;
  /** Compiled once; worker threads instantiate the same Module over the same shared memory. */
  readonly module: WebAssembly.Module;
  readonly exports: GemmExports;
  /** The main thread's packing scratch (each worker owns its own). */
  readonly scratch: number;
}

let simulateNoSimd = false;
let simdSupported: boolean | undefined;
let runtime: WasmRuntime | undefined;

/**
 * Pretend this engine has no WebAssembly SIMD (tests of the fallback path): `wasmRuntime()` returns null
 * while it is set. An already-built runtime (its arena and worker threads) is kept for when it is unset.
 */
export function simulateNoWasmSimd(flag: boolean): void {
  simulateNoSimd = flag;
}

/** True when WebAssembly with the fixed-width SIMD proposal (v128 / f32x4) is available. */
export function wasmSimdSupported(): boolean {
  if (simulateNoSimd) return false;
  if (simdSupported === undefined) {
    // A one-function module using v128 ops: validate() is false on engines without SIMD.
    try {
      const probe = new ModuleBuilder({ module: 'env', name: 'memory', initialPages: 1, maximumPages: 1, shared: false });
      probe.func('probe', [ValType.i32], [], (_f, [p]) => v128.store(local.get(p), f32x4.add(v128.load(local.get(p)), f32x4.splat(f32.const(0)))));
      simdSupported = typeof WebAssembly === 'object' && WebAssembly.validate(probe.encode());
    } catch {
      simdSupported = false;
    }
  }
  return simdSupported;
}

/** The runtime, built on first use; null when SIMD is unavailable (callers fall back to TypeScript kernels). */
export function wasmRuntime(): WasmRuntime | null {
  if (!wasmSimdSupported()) return null;
  if (runtime !== undefined) return runtime;
  const arena = new WasmArena();
  const tiling = DEFAULT_TILING;
  const module = new WebAssembly.Module(emitGemmModule(tiling, arena.pageLimits));
  const instance = new WebAssembly.Instance(module, { env: { memory: arena.memory } });
  const exports = instance.exports as unknown as GemmExports;
  const scratch = arena.alloc(gemmScratchBytes(tiling));
  runtime = { arena, tiling, module, exports, scratch };
  warmUp(runtime);
  return runtime;
}

/**
 * A float32 block inside the wasm memory: wasm kernels read and write it in place, with no copy.
 * Where WebAssembly SIMD is unavailable this is an ordinary Float32Array.
 *
 * @example
 * const w = allocateInWasm(64 * 256);   // weights that every LSTM step multiplies by
 * w.set(initialWeights);
 * // ... wasmGemm(..., w, 0, 256, ...) passes w by pointer ...
 * freeInWasm(w);
 */
export function allocateInWasm(size: number): Float32Array {
  const rt = wasmRuntime();
  if (rt === null) return new Float32Array(size);
  const address = rt.arena.alloc(4 * size);
  const view = new Float32Array(rt.arena.memory.buffer, address, size);
  view.fill(0); // a recycled block holds the previous owner's values
  blockViews.add(view);
  return view;
}

/** The views `allocateInWasm` handed out: only these may be freed (a subarray or a tensor's view may not). */
const blockViews = new WeakSet<Float32Array>();

/**
 * Frees arena blocks whose views the JavaScript heap has collected. Tensor storage allocated in the arena
 * (see `arenaFloat32Allocator`) is owned by ordinary JS objects; without this, a tensor that is never
 * disposed would leak its block, since the arena has no garbage collector of its own.
 */
const arenaFinalizer = new FinalizationRegistry<number>((address) => {
  try {
    runtime?.arena.free(address); // the built runtime even while simulateNoWasmSimd hides it
  } catch {
    // Never throw from a finaliser (it would surface as an uncaught error at some unrelated moment).
  }
});

/**
 * Below this many elements a float32 buffer stays on the JS heap: staging a tiny operand costs less than an
 * arena block (64-byte aligned) plus its finaliser.
 */
export const ARENA_MIN_ELEMENTS = 64;

/**
 * The allocator the engine uses for float32 tensors while the wasm backend is on (src/tensor/dtype.ts
 * `setFloat32Allocator`): blocks in the wasm memory, so kernels take operands by pointer, not by copy.
 * NOTE: a block is freed when its view is garbage-collected (or explicitly by `freeInWasm`); a subarray of
 * it must not outlive the view it came from (tensors keep their storage's view alive, so this holds inside
 * the engine).
 */
export function arenaFloat32Allocator(size: number): Float32Array {
  if (size < ARENA_MIN_ELEMENTS || wasmRuntime() === null) return new Float32Array(size);
  let view: Float32Array;
  try {
    view = allocateInWasm(size);
  } catch {
    return new Float32Array(size); // arena full: a JS array works too (kernels stage it), it is only slower
  }
  blockViews.delete(view); // owned by the engine: the finaliser frees it, never a caller's freeInWasm
  arenaFinalizer.register(view, view.byteOffset, view);
  return view;
}

/**
 * Return a block from `allocateInWasm`. Arrays outside the wasm memory are ignored; any other array inside
 * it (a subarray, a tensor's storage) is refused, since freeing it would hand a live block to someone else.
 */
export function freeInWasm(array: Float32Array): void {
  const rt = runtime;
  if (rt === undefined || !rt.arena.contains(array)) return;
  if (!blockViews.has(array)) {
    throw new Error('freeInWasm: this array was not returned by allocateInWasm (or was already freed); tensors free their own memory');
  }
  blockViews.delete(array);
  rt.arena.free(array.byteOffset);
}

/** True when `array` is a view over the wasm memory (wasm kernels take it without a copy). */
export function isInWasmMemory(array: ArrayBufferView): boolean {
  const rt = wasmRuntime();
  return rt !== null && rt.arena.contains(array);
}

/**
 * V8 first runs wasm on its baseline compiler (Liftoff, ~10 GFLOP/s here) and re-compiles hot functions with
 * TurboFan (~40) once they have used a tiering budget. One small GEMM spends that budget for every function
 * the GEMM path calls, so the first real call already runs optimised code.
 */
function warmUp(rt: WasmRuntime): void {
  const n = 96;
  const a = rt.arena.alloc(4 * n * n);
  const c = rt.arena.alloc(4 * n * n);
  rt.arena.f32.fill(0, a / 4, a / 4 + n * n);
  for (let rep = 0; rep < 4; rep++) {
    rt.exports.gemm(rep & 1, (rep >> 1) & 1, n, n, n, 1, a, n, a, n, 0, c, n, rt.scratch);
    rt.exports.biasAct(c, n, n, n, 0, rep);
    // One B = 24, H = 24 cell step: gate rows in c's block, cPrev / c / tanhC / y side by side in a's rows.
    const H = n / 4;
    rt.exports.lstmCell(c, 4 * n, a, 4 * n, a, a + 4 * H, a + 8 * H, 4 * n, H, H);
  }
  rt.arena.free(a);
  rt.arena.free(c);
}
