// The gpu.js context: one GPU instance, its kernel cache keyed by (op, shapes, mode), device arrays and the start-up probe.
//
// Nothing here is a module-global singleton: `createGpuContext` builds a context on demand (the probe picks
// the mode), `dispose()` frees every kernel and the GPU instance. The backend (./index.ts) holds the one it
// uses; tests build their own per mode.

import gpujs from 'gpu.js';
import type { GPU as GpuInstance, IKernelRunShortcut, Texture } from 'gpu.js';
import type { DType, TypedArray } from '../../tensor/dtype.ts';
import { acquireArray, type DeviceData } from '../../tensor/storage.ts';

const { GPU } = gpujs;

/** gpu.js modes this backend can run on. `webgpu` is listed but declined: its readback is asynchronous only. */
export type GpuMode = 'headlessgl' | 'webgl2' | 'webgl' | 'webgpu' | 'webasm' | 'cpu';

/** The gpu.js kernel class that runs each mode (named: WebGPUKernel is missing from gpu.js's typings). */
const KERNEL_CLASS: Record<GpuMode, string> = {
  headlessgl: 'HeadlessGLKernel',
  webgl2: 'WebGL2Kernel',
  webgl: 'WebGLKernel',
  webgpu: 'WebGPUKernel',
  webasm: 'WebAssemblyKernel',
  cpu: 'CPUKernel',
};

/** What a kernel reads: a host array (uploaded by gpu.js per call) or a device value (texture / array). */
export type KernelArg = Float32Array | Texture;

/**
 * A kernel argument: values, or a number (a uniform, e.g. the LSTM's time step, so one compiled kernel
 * serves every step). NOTE: a number may index but never bound a loop: bounds are constants.
 */
export type RunArg = KernelArg | number;

/** A gpu.js kernel body: a named `function` in gpu.js's subset, reading `this.thread.x` and `this.constants`. */
export type KernelBody = (this: any, ...args: any[]) => number;

/** Kernel constants: every loop bound and size (gpu.js compiles them in; a bound read from an argument silently stops at 1000). */
export type Constants = Record<string, number>;

/**
 * Values of one tensor storage on the device: a gpu.js pipeline texture (GL modes) or a Float32Array
 * (webasm and cpu modes, where "device memory" is the host). Counted by its context so tests can assert
 * that nothing leaks.
 */
export class GpuArray implements DeviceData {
  private disposed = false;

  constructor(
    readonly context: GpuContext,
    readonly value: KernelArg,
    /** Number of elements (a texture may hold padding beyond it). */
    readonly length: number,
    /** The dtype the values stand for: int32 indices travel as exact floats (< 2^24). */
    readonly dtype: DType,
  ) {
    context.stats.liveArrays++;
  }

  download(): TypedArray {
    if (this.disposed) throw new Error('gpu: download of a disposed device array');
    const src = (this.value instanceof Float32Array ? this.value : (this.value.toArray() as Float32Array));
    const out = acquireArray(this.dtype, this.length, false);
    if (this.dtype === 'int32') for (let i = 0; i < this.length; i++) out[i] = Math.round(src[i]);
    else out.set(src.length === this.length ? src : src.subarray(0, this.length));
    this.context.stats.downloads++;
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (!(this.value instanceof Float32Array)) this.value.delete();
    this.context.stats.liveArrays--;
  }
}

export interface GpuStats {
  /** Device arrays alive now (textures in GL modes): constant from step to step when nothing leaks. */
  liveArrays: number;
  compiles: number;
  calls: number;
  /** Device -> host transfers (a host access to device-resident values). */
  downloads: number;
  /** Host -> device transfers of tensor values (each host storage is uploaded once, then stays: see storageArg). */
  uploads: number;
}

/**
 * One gpu.js instance in one mode, with its kernels. Kernels are cached per (op, body, output size,
 * constants, argument lengths and kinds): gpu.js fixes a kernel's output size and argument sizes at its
 * first call, so each shape gets its own compiled kernel rather than `dynamicArguments` (which computes
 * wrong values in cpu mode).
 */
export class GpuContext {
  readonly stats: GpuStats = { liveArrays: 0, compiles: 0, calls: 0, downloads: 0, uploads: 0 };
  private gpu: GpuInstance | null;
  private readonly kernels = new Map<string, IKernelRunShortcut>();
  /** Kernels whose first run was checked to have really run in `mode`. */
  private readonly verified = new WeakSet<IKernelRunShortcut>();

  constructor(readonly mode: GpuMode) {
    this.gpu = new GPU({ mode });
  }

  get disposed(): boolean {
    return this.gpu === null;
  }

  /**
   * Run `body` over a 1-d output of `size` cells and return the result as a device array.
   *
   * @example
   * const y = ctx.run('relu', reluBody, x.size, {}, [ctx.arg(x)]);   // y.value: texture or Float32Array
   */
  run(op: string, body: KernelBody, size: number, constants: Constants, args: readonly RunArg[], dtype: DType = 'float32'): GpuArray {
    const kernel = this.kernel(op, body, size, constants, args);
    const result = kernel(...args) as unknown as KernelArg;
    this.stats.calls++;
    if (!this.verified.has(kernel)) {
      this.assertRanOnMode(op, kernel);
      this.verified.add(kernel);
    }
    return new GpuArray(this, result, size, dtype);
  }

  /** Number of compiled kernels in the cache. */
  get cachedKernels(): number {
    return this.kernels.size;
  }

  /** Free every kernel and the GPU instance. Device arrays still alive stay valid until disposed. */
  dispose(): void {
    for (const k of this.kernels.values()) k.destroy();
    this.kernels.clear();
    void this.gpu?.destroy();
    this.gpu = null;
  }

  private kernel(op: string, body: KernelBody, size: number, constants: Constants, args: readonly RunArg[]): IKernelRunShortcut {
    if (this.gpu === null) throw new Error(`gpu: ${op} on a disposed context`);
    // A texture is keyed by its logical output and its texture size: gpu.js compiles GL kernels for both.
    const texKey = (t: Texture): string => {
      const { output, size } = t as unknown as { output?: number[]; size?: number[] };
      return `t${output?.join('x')}/${size?.join('x')}`;
    };
    const argKey = args.map((a) => (typeof a === 'number' ? 'n' : a instanceof Float32Array ? `a${a.length}` : texKey(a))).join(',');
    const key = `${this.mode}|${op}|${body.name}|${size}|${JSON.stringify(constants)}|${argKey}`;
    let kernel = this.kernels.get(key);
    if (kernel === undefined) {
      kernel = this.gpu.createKernel(body, {
        output: [size],
        constants,
        pipeline: true,
        // NOTE: without `immutable` a pipeline kernel hands back the same texture on every call, overwriting
        // results that tensors still hold; with it each call gets its own texture, freed by GpuArray.dispose.
        immutable: true,
        tactic: 'precision',
      }) as IKernelRunShortcut;
      this.kernels.set(key, kernel);
      this.stats.compiles++;
    }
    return kernel;
  }

  /**
   * gpu.js falls back to its CPU kernel with only a console warning when it cannot compile something:
   * a GPU backend that silently runs transpiled JavaScript is a bug here, so it is an error.
   */
  private assertRanOnMode(op: string, kernel: IKernelRunShortcut): void {
    // NOTE: every GL kernel class (webgl, webgl2, headlessgl) reports the static `mode` 'gpu', so the class
    // itself, not its `mode`, says what ran.
    const ran = kernel.kernel.constructor;
    if (ran !== (gpujs as unknown as Record<string, unknown>)[KERNEL_CLASS[this.mode]]) {
      throw new Error(`gpu: kernel '${op}' ran on gpu.js ${ran.name}, not ${KERNEL_CLASS[this.mode]} ('${this.mode}')${kernel.kernel.fallbackReason ? ` (${kernel.kernel.fallbackReason})` : ''}`);
    }
  }
}

// ---- the start-up probe ------------------------------------------------------------------------------

export interface ProbeAttempt {
  mode: GpuMode;
  /** Why this mode was not used (null for the mode that was). */
  error: string | null;
}

export interface ProbeResult {
  /** The context of the first mode that ran the probe kernel correctly, or null when none did. */
  context: GpuContext | null;
  attempts: ProbeAttempt[];
}

/** Modes that use real graphics hardware (where one exists); webasm and cpu emulate the device on the CPU. */
export const HARDWARE_MODES: readonly GpuMode[] = ['headlessgl', 'webgl2', 'webgl', 'webgpu'];

/** The order the probe tries: browser webgpu then webgl2; Node headless-gl, else WebAssembly. */
export function defaultModeOrder(): GpuMode[] {
  const scope = globalThis as { window?: unknown; document?: unknown };
  const inBrowser = scope.window !== undefined && scope.document !== undefined;
  return inBrowser ? ['webgpu', 'webgl2', 'webgl', 'webasm'] : ['headlessgl', 'webasm'];
}

function supported(mode: GpuMode): string | null {
  switch (mode) {
    case 'headlessgl':
      return GPU.isHeadlessGLSupported ? null : "headless-gl is not available (the optional native 'gl' package is missing or has no display)";
    case 'webgl2':
      return GPU.isWebGL2Supported ? null : 'WebGL2 is not supported here';
    case 'webgl':
      return GPU.isWebGLSupported ? null : 'WebGL is not supported here';
    case 'webgpu':
      // NOTE: gpu.js reads WebGPU results back only asynchronously; the engine's ops are synchronous.
      return 'WebGPU readback is asynchronous only; the synchronous engine cannot use it yet';
    case 'webasm':
      return GPU.isWebAssemblySupported ? null : 'WebAssembly is not supported here';
    case 'cpu':
      return null;
    default:
      return mode satisfies never;
  }
}

/** The probe kernel: y[i] = Σ_k a[i·K + k] · b[k] + 0.5, with its loop bound in the constants. */
function probeBody(this: { thread: { x: number }; constants: Constants }, a: Float32Array, b: Float32Array): number {
  let s = 0.5;
  for (let k = 0; k < this.constants.K; k++) s += a[this.thread.x * this.constants.K + k] * b[k];
  return s;
}

/** Compile and run the probe kernel on `context`; throws when it falls back or disagrees with the CPU. */
function probeContext(context: GpuContext): void {
  const N = 7;
  const K = 5;
  const a = Float32Array.from({ length: N * K }, (_, i) => ((i * 7) % 11) / 11 - 0.5);
  const b = Float32Array.from({ length: K }, (_, i) => i / 3 - 0.4);
  const y = context.run('probe', probeBody, N, { K }, [a, b]);
  const got = y.download();
  y.dispose();
  for (let i = 0; i < N; i++) {
    let expected = 0.5;
    for (let k = 0; k < K; k++) expected += a[i * K + k] * b[k];
    if (!(Math.abs(got[i] - expected) <= 1e-5)) throw new Error(`probe kernel gave ${got[i]} at ${i}, the CPU ${expected}`);
  }
}

/**
 * Try gpu.js modes in order; the first that compiles a tiny kernel, really runs it in that mode (asserted
 * on the kernel class) and matches the CPU result wins.
 *
 * @example
 * const { context, attempts } = probeGpu();
 * if (!context) throw new Error(attempts.map((a) => `${a.mode}: ${a.error}`).join('; '));
 * console.log(`gpu.js mode: ${context.mode}`);
 */
export function probeGpu(modes: readonly GpuMode[] = defaultModeOrder()): ProbeResult {
  const attempts: ProbeAttempt[] = [];
  for (const mode of modes) {
    const reason = supported(mode);
    if (reason !== null) {
      attempts.push({ mode, error: reason });
      continue;
    }
    let context: GpuContext | null = null;
    try {
      context = new GpuContext(mode);
      probeContext(context);
      attempts.push({ mode, error: null });
      return { context, attempts };
    } catch (error) {
      context?.dispose();
      attempts.push({ mode, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { context: null, attempts };
}

/** A context in exactly `mode` (tests, benchmarks); throws with the probe's reason when it does not work. */
export function createGpuContext(mode: GpuMode): GpuContext {
  const { context, attempts } = probeGpu([mode]);
  if (context === null) throw new Error(`gpu: mode '${mode}' does not work here: ${attempts[0].error}`);
  return context;
}
