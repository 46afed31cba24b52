// The gpu.js context: one GPU instance, its kernel cache keyed by (op, shapes, mode), device arrays, the deferred queue of asynchronous modes and the start-up probe.
//
// Nothing here is a module-global singleton: `createGpuContext` builds a context on demand (the probe picks
// the mode), `dispose()` frees every kernel and the GPU instance. The backend (./index.ts) holds the one it
// uses; tests build their own per mode.
//
// Two ways to run a kernel, chosen per mode:
// - immediate (webgl2, webgl, headlessgl, webasm, cpu): `run` calls the kernel and its result, a texture or an
//   array, is there at once. Engine ops are synchronous, so this is the whole story there.
// - deferred (webgpu): gpu.js's WebGPUKernel returns a Promise from every call (its first call builds the
//   compute pipeline asynchronously; gpu.js v3 makes every backend's calls async). `run` cannot wait, so it
//   records the call and returns a GpuArray holding a `PendingResult`, which later `run`s take as an
//   argument like any device value. `await context.flush()` runs the recorded calls in order, awaiting each,
//   and fills the placeholders in. Ops, autograd and optimisers stay synchronous and unchanged: one step
//   records, one flush executes. Host reads are the only point that must wait: `await tensor.toHost()`.

import gpujs from 'gpu.js';
import type { GPU as GpuInstance, IKernelRunShortcut, Texture } from 'gpu.js';
import type { DType, TypedArray } from '../../tensor/dtype.ts';
import { acquireArray, type DeviceData } from '../../tensor/storage.ts';
import { adapterInfoName, glRendererName, type GlRendererSource } from './renderer.ts';

const { GPU } = gpujs;

/** gpu.js modes this backend can run on. `webgpu` runs deferred (see the header): probe it with `probeGpuAsync`. */
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

/**
 * gpu.js's handle of a result in an asynchronous mode (WebGPUBufferResult: a refcounted GPU buffer), or the
 * array a CPU-emulated kernel resolves to when it runs deferred (`{ deferred: true }`, for tests in Node).
 */
type AsyncResult = Float32Array | { toArray(): Promise<unknown>; delete(): void };

/**
 * The value of a recorded call in a deferred mode: a placeholder that later calls take as an argument;
 * `flush()` sets `result` (or `error`, when the call or one before it failed).
 */
export class PendingResult {
  result: AsyncResult | null = null;
  error: Error | null = null;
  /** Logical output shape, as gpu.js results carry it (texture keys read it). */
  readonly output: number[];

  constructor(
    /** The op whose call produces it (errors name it). */
    readonly op: string,
    readonly size: number,
  ) {
    this.output = [size];
  }

  /** The resolved value for a call of `reader`; throws when it never came. */
  resolved(reader: string): AsyncResult {
    if (this.result !== null) return this.result;
    if (this.error !== null) throw new Error(`gpu: '${reader}' reads the result of '${this.op}', which failed: ${this.error.message}`);
    throw new Error(`gpu: '${reader}' reads the result of '${this.op}' before it ran (recorded out of order?)`);
  }
}

/**
 * What a kernel reads: a host array (uploaded by gpu.js per call) or a device value (texture / array, or the
 * placeholder of a recorded call in a deferred mode).
 */
export type KernelArg = Float32Array | Texture | PendingResult;

/**
 * A kernel argument: values, or a number (a uniform, e.g. the LSTM's time step, so one compiled kernel
 * serves every step). NOTE: a number may index but never bound a loop: bounds are constants.
 */
export type RunArg = KernelArg | number;

/** A gpu.js kernel body: a named `function` in gpu.js's subset, reading `this.thread.x` and `this.constants`. */
export type KernelBody = (this: any, ...args: any[]) => number;

/**
 * Most array arguments (host arrays and device values) one kernel may take, in every mode: webgpu binds
 * each as a storage buffer, and a device gets 8 per shader by default (maxStorageBuffersPerShaderStage;
 * gpu.js does not ask for more), one of them the output. Checked when a kernel is compiled, in every mode,
 * so a kernel that would fail on webgpu already fails the Node parity run.
 */
export const MAX_KERNEL_ARRAYS = 7;

/** Kernel constants: every loop bound and size (gpu.js compiles them in; a bound read from an argument silently stops at 1000). */
export type Constants = Record<string, number>;

/**
 * Values of one tensor storage on the device: a gpu.js pipeline texture (GL modes), a Float32Array (webasm
 * and cpu modes, where "device memory" is the host) or a PendingResult (deferred modes: a GPU buffer once
 * flushed). Counted by its context so tests can assert that nothing leaks.
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
    if (this.value instanceof PendingResult) {
      throw new Error(
        `gpu: the ${this.length} values of '${this.value.op}' are on the gpu.js ${this.context.mode} device, which reads back only ` +
          `asynchronously, so a synchronous host read (item(), toArray(), values, or a CPU kernel for an op the GPU backend ` +
          `does not run) cannot have them: \`await tensor.toHost()\` first (it flushes the queued kernels and waits for the values)`,
      );
    }
    return this.toHostArray(this.value instanceof Float32Array ? this.value : (this.value.toArray() as Float32Array));
  }

  /**
   * The values as a new host array in every mode: a deferred mode first runs what was recorded
   * (`context.flush()`), then waits for the device's readback.
   */
  async downloadAsync(): Promise<TypedArray> {
    if (!(this.value instanceof PendingResult)) return this.download();
    await this.context.flush();
    if (this.disposed) throw new Error(`gpu: download of a disposed device array ('${this.value.op}')`);
    const result = this.value.resolved('download');
    return this.toHostArray(result instanceof Float32Array ? result : ((await result.toArray()) as Float32Array));
  }

  private toHostArray(src: Float32Array): TypedArray {
    const out = acquireArray(this.dtype, this.length, false);
    if (this.dtype === 'int32') for (let i = 0; i < this.length; i++) out[i] = Math.round(src[i]);
    else out.set(src.length === this.length ? src : src.subarray(0, this.length));
    this.context.stats.downloads++;
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // NOTE: a recorded call may still read a pending value: the context frees it in queue order.
    if (this.value instanceof PendingResult) return this.context.releasePending(this.value);
    if (!(this.value instanceof Float32Array)) this.value.delete();
    this.context.stats.liveArrays--;
  }
}

export interface GpuStats {
  /** Device arrays alive now (textures in GL modes, buffers in webgpu): constant from step to step when nothing leaks. */
  liveArrays: number;
  compiles: number;
  calls: number;
  /** Device -> host transfers (a host access to device-resident values). */
  downloads: number;
  /** Host -> device transfers of tensor values (each host storage is uploaded once, then stays: see storageArg). */
  uploads: number;
  /** Deferred modes: `flush()` runs that executed at least one call. */
  flushes: number;
}

/** One entry of the deferred queue: a recorded kernel call, or the release of a device value in call order. */
type Recorded =
  | { kind: 'call'; op: string; kernel: IKernelRunShortcut; args: RunArg[]; pending: PendingResult }
  | { kind: 'free'; pending: PendingResult };

export interface GpuContextOptions {
  /**
   * Record calls and run them at `flush()` with gpu.js's asynchronous contract (its `asyncMode`), in a mode
   * that could run them at once. Always on for webgpu; elsewhere it exists so the deferred path is tested
   * in Node, where no WebGPU exists. Default false.
   */
  deferred?: boolean;
}

/**
 * One gpu.js instance in one mode, with its kernels. Kernels are cached per (op, body, output size,
 * constants, argument lengths and kinds): gpu.js fixes a kernel's output size and argument sizes at its
 * first call, so each shape gets its own compiled kernel rather than `dynamicArguments` (which computes
 * wrong values in cpu mode).
 */
export class GpuContext {
  readonly stats: GpuStats = { liveArrays: 0, compiles: 0, calls: 0, downloads: 0, uploads: 0, flushes: 0 };
  /** True when `run` records calls for `flush()` instead of running them (webgpu; see the header). */
  readonly deferred: boolean;
  /**
   * The device the kernels really run on (GL renderer or WebGPU adapter, see ./renderer.ts), read by the
   * start-up probe; null where it cannot be read, and in webasm / cpu (no device: the host).
   */
  renderer: string | null = null;
  private gpu: GpuInstance | null;
  private readonly kernels = new Map<string, IKernelRunShortcut>();
  /** Kernels whose first run was checked to have really run in `mode`. */
  private readonly verified = new WeakSet<IKernelRunShortcut>();
  /** Deferred modes: what `flush()` still has to run, in record order. */
  private readonly queue: Recorded[] = [];
  private draining: Promise<void> | null = null;

  constructor(
    readonly mode: GpuMode,
    options: GpuContextOptions = {},
  ) {
    this.deferred = mode === 'webgpu' || options.deferred === true;
    this.gpu = new GPU({ mode });
  }

  get disposed(): boolean {
    return this.gpu === null;
  }

  /**
   * Run `body` over a 1-d output of `size` cells and return the result as a device array (in a deferred
   * mode: record the call, see the header).
   *
   * @example
   * const y = ctx.run('relu', reluBody, x.size, {}, [storageArg(ctx, x)]);   // y.value: texture, Float32Array or PendingResult
   */
  run(op: string, body: KernelBody, size: number, constants: Constants, args: readonly RunArg[], dtype: DType = 'float32'): GpuArray {
    const kernel = this.kernel(op, body, size, constants, args);
    if (this.deferred) return this.record(op, kernel, size, args, dtype);
    const result = kernel(...args) as unknown as KernelArg;
    this.stats.calls++;
    if (!this.verified.has(kernel)) {
      this.assertRanOnMode(op, kernel);
      this.verified.add(kernel);
    }
    return new GpuArray(this, result, size, dtype);
  }

  /**
   * Read the device behind this context into `renderer`: gpu.js's GL context (there once a kernel ran) or
   * its shared WebGPU adapter. The probe calls it after its kernel ran.
   */
  async readRenderer(): Promise<string | null> {
    if (this.mode === 'webgpu') this.renderer = adapterInfoName((await webgpuDevice()).adapter.info);
    else this.readGlRenderer();
    return this.renderer;
  }

  /** `readRenderer` for the synchronous modes: GL modes read gpu.js's GL context; webasm and cpu have no device (null). */
  readGlRenderer(): string | null {
    const gl = (this.gpu as unknown as { context?: GlRendererSource | null } | null)?.context;
    const isGl = this.mode === 'headlessgl' || this.mode === 'webgl2' || this.mode === 'webgl';
    this.renderer = isGl && typeof gl?.getParameter === 'function' ? glRendererName(gl) : null;
    return this.renderer;
  }

  /** Number of compiled kernels in the cache. */
  get cachedKernels(): number {
    return this.kernels.size;
  }

  /** Recorded calls not yet run (deferred modes; always 0 elsewhere). */
  get queuedCalls(): number {
    return this.queue.reduce((n, e) => n + (e.kind === 'call' ? 1 : 0), 0);
  }

  /**
   * Run every recorded call, in order, and free what was disposed meanwhile (deferred modes; resolves at
   * once elsewhere). Calls recorded while a flush runs are run by it too: when this resolves, the queue is
   * empty. Rejects with the first failure, naming its op; the calls after it fail with the same error.
   *
   * @example
   * const loss = tidy(() => { const l = nllFromProbs(model.predict(x).probs, y); l.backward(); opt.step(); return l; });
   * await context.flush();                 // the step runs on the device (compiles happen on first use)
   * console.log((await loss.toHost()).item());
   */
  async flush(): Promise<void> {
    while (this.draining !== null || this.queue.length > 0) {
      this.draining ??= this.drain().finally(() => {
        this.draining = null;
      });
      await this.draining;
    }
  }

  /** Free every kernel and the GPU instance. Device arrays still alive stay valid until disposed. */
  dispose(): void {
    const dropped = new Error('the context was disposed before flush() ran it');
    for (const entry of this.queue) if (entry.kind === 'call') entry.pending.error ??= dropped;
    this.queue.length = 0;
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
    const argKey = args
      .map((a) => (typeof a === 'number' ? 'n' : a instanceof Float32Array ? `a${a.length}` : a instanceof PendingResult ? `p${a.size}` : texKey(a)))
      .join(',');
    const key = `${this.mode}|${op}|${body.name}|${size}|${JSON.stringify(constants)}|${argKey}`;
    let kernel = this.kernels.get(key);
    if (kernel === undefined) {
      const arrays = args.filter((a) => typeof a !== 'number').length;
      if (arrays > MAX_KERNEL_ARRAYS) throw new Error(`gpu: kernel '${op}' (${body.name}) takes ${arrays} array arguments; at most ${MAX_KERNEL_ARRAYS} run everywhere (webgpu: 8 storage buffers per shader, one the output)`);
      kernel = this.gpu.createKernel(body, {
        output: [size],
        constants,
        pipeline: true,
        // NOTE: without `immutable` a pipeline kernel hands back the same texture on every call, overwriting
        // results that tensors still hold; with it each call gets its own texture, freed by GpuArray.dispose.
        immutable: true,
        tactic: 'precision',
        // A deferred context awaits every call (WebGPUKernel is asynchronous whatever this says).
        ...(this.deferred ? { asyncMode: true } : {}),
      }) as IKernelRunShortcut;
      this.kernels.set(key, kernel);
      this.stats.compiles++;
    }
    return kernel;
  }

  /**
   * Deferred modes: queue the call and hand back its placeholder. Host arrays are copied now: the caller
   * may reuse them (a pooled buffer, the next step's hyper-parameters) before the flush runs the call.
   */
  private record(op: string, kernel: IKernelRunShortcut, size: number, args: readonly RunArg[], dtype: DType): GpuArray {
    const pending = new PendingResult(op, size);
    const copied = args.map((a) => (a instanceof Float32Array ? a.slice() : a));
    this.queue.push({ kind: 'call', op, kernel, args: copied, pending });
    this.stats.calls++;
    return new GpuArray(this, pending, size, dtype);
  }

  /**
   * A disposed pending value: freed at once when nothing recorded can still read it, else queued behind
   * the calls recorded before the dispose (the last ones that may read it; a later reader would be a
   * use-after-free in every mode).
   */
  releasePending(pending: PendingResult): void {
    if (this.queue.length > 0 || this.draining !== null) this.queue.push({ kind: 'free', pending });
    else this.freePending(pending);
  }

  private freePending(pending: PendingResult): void {
    const result = pending.result;
    pending.result = null;
    pending.error ??= new Error('its device array was disposed');
    if (result !== null && !(result instanceof Float32Array)) result.delete();
    this.stats.liveArrays--;
  }

  /** Run the queue to its end (entries appended meanwhile included). One drain at a time: see flush(). */
  private async drain(): Promise<void> {
    // NOTE: WebGPU reports validation and out-of-memory errors asynchronously (an invalid dispatch is
    // dropped and its buffer reads as zeros), so one pair of error scopes spans the whole drain. Scopes are
    // per device, and gpu.js shares one device: two webgpu contexts flushing at once would mix theirs.
    const device = this.mode === 'webgpu' ? (await webgpuDevice()).device : null;
    device?.pushErrorScope('out-of-memory');
    device?.pushErrorScope('validation');
    const ops = new Set<string>();
    let failure: Error | null = null;
    let i = 0;
    for (; i < this.queue.length; i++) {
      const entry = this.queue[i];
      if (entry.kind === 'free') {
        this.freePending(entry.pending);
        continue;
      }
      ops.add(entry.op);
      try {
        const args = entry.args.map((a) => (a instanceof PendingResult ? a.resolved(entry.op) : a));
        entry.pending.result = (await entry.kernel(...args)) as unknown as AsyncResult;
        if (!this.verified.has(entry.kernel)) {
          this.assertRanOnMode(entry.op, entry.kernel);
          this.verified.add(entry.kernel);
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failure = new Error(message.startsWith('gpu: ') ? message : `gpu: '${entry.op}' failed on gpu.js ${this.mode}: ${message}`);
        break;
      }
    }
    if (failure !== null) {
      // What follows the failed call cannot run (it may read its result): fail it, free what was freed.
      for (; i < this.queue.length; i++) {
        const entry = this.queue[i];
        if (entry.kind === 'call') entry.pending.error = failure;
        else this.freePending(entry.pending);
      }
    }
    const ran = this.queue.length;
    this.queue.length = 0; // synchronously after the loop: an entry appended from here on waits for the next drain
    if (ran > 0) this.stats.flushes++;
    const validation = await device?.popErrorScope();
    const outOfMemory = await device?.popErrorScope();
    if (failure !== null) throw failure;
    const reported = validation ?? outOfMemory;
    if (reported) throw new Error(`gpu: webgpu reported an error while running ${[...ops].join(', ')}: ${reported.message}`);
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
  /** The mode that was used: the device it runs on (GpuContext.renderer); null otherwise or where unknown. */
  renderer: string | null;
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
      // NOTE: its kernels return Promises, so the context runs deferred and only an async probe can check it.
      return 'webgpu runs kernels asynchronously: probe it with probeGpuAsync (useBackendAsync)';
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

const PROBE_N = 7;
const PROBE_K = 5;
const probeA = Float32Array.from({ length: PROBE_N * PROBE_K }, (_, i) => ((i * 7) % 11) / 11 - 0.5);
const probeB = Float32Array.from({ length: PROBE_K }, (_, i) => i / 3 - 0.4);

/** Throws when the probe kernel's values disagree with the CPU. */
function checkProbe(got: ArrayLike<number>): void {
  for (let i = 0; i < PROBE_N; i++) {
    let expected = 0.5;
    for (let k = 0; k < PROBE_K; k++) expected += probeA[i * PROBE_K + k] * probeB[k];
    if (!(Math.abs(got[i] - expected) <= 1e-5)) throw new Error(`probe kernel gave ${got[i]} at ${i}, the CPU ${expected}`);
  }
}

/** Compile and run the probe kernel on `context`; throws when it falls back or disagrees with the CPU. */
function probeContext(context: GpuContext): void {
  const y = context.run('probe', probeBody, PROBE_N, { K: PROBE_K }, [probeA, probeB]);
  const got = y.download();
  y.dispose();
  checkProbe(got);
  context.readGlRenderer();
}

/** The same, in any mode: a deferred context records the call, flushes (where the class is asserted) and reads back. */
async function probeContextAsync(context: GpuContext): Promise<void> {
  const y = context.run('probe', probeBody, PROBE_N, { K: PROBE_K }, [probeA, probeB]);
  try {
    checkProbe(await y.downloadAsync());
  } finally {
    y.dispose();
  }
  await context.readRenderer();
}

/**
 * Try gpu.js modes in order; the first that compiles a tiny kernel, really runs it in that mode (asserted
 * on the kernel class) and matches the CPU result wins. Synchronous modes only: webgpu is declined with a
 * pointer to `probeGpuAsync`.
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
      attempts.push({ mode, error: reason, renderer: null });
      continue;
    }
    let context: GpuContext | null = null;
    try {
      context = new GpuContext(mode);
      probeContext(context);
      attempts.push({ mode, error: null, renderer: context.renderer });
      return { context, attempts };
    } catch (error) {
      context?.dispose();
      attempts.push({ mode, error: error instanceof Error ? error.message : String(error), renderer: null });
    }
  }
  return { context: null, attempts };
}

/**
 * `probeGpu` for every mode, webgpu included (a browser's first choice): a deferred context runs the probe
 * kernel through `flush()` and reads it back asynchronously. `options.deferred` runs any mode deferred.
 *
 * @example
 * const { context } = await probeGpuAsync();        // in a page from https:// or http://localhost
 * console.log(context?.mode);                       // 'webgpu' where the browser has an adapter
 */
export async function probeGpuAsync(modes: readonly GpuMode[] = defaultModeOrder(), options: GpuContextOptions = {}): Promise<ProbeResult> {
  const attempts: ProbeAttempt[] = [];
  for (const mode of modes) {
    let context: GpuContext | null = null;
    try {
      const reason = mode === 'webgpu' ? await webgpuUnavailable() : supported(mode);
      if (reason !== null) {
        attempts.push({ mode, error: reason, renderer: null });
        continue;
      }
      context = new GpuContext(mode, options);
      await probeContextAsync(context);
      attempts.push({ mode, error: null, renderer: context.renderer });
      return { context, attempts };
    } catch (error) {
      context?.dispose();
      attempts.push({ mode, error: error instanceof Error ? error.message : String(error), renderer: null });
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

/** `createGpuContext` for every mode, webgpu included (see probeGpuAsync). */
export async function createGpuContextAsync(mode: GpuMode, options: GpuContextOptions = {}): Promise<GpuContext> {
  const { context, attempts } = await probeGpuAsync([mode], options);
  if (context === null) throw new Error(`gpu: mode '${mode}' does not work here: ${attempts[0].error}`);
  return context;
}

// ---- WebGPU --------------------------------------------------------------------------------------------

/** The parts of the WebGPU API used here (the DOM typings of this project do not include WebGPU). */
interface WebGpuDevice {
  pushErrorScope(filter: 'validation' | 'out-of-memory'): void;
  popErrorScope(): Promise<{ message: string } | null>;
}
interface WebGpuAdapter {
  info?: { vendor: string; architecture: string; device: string; description: string };
}

/** gpu.js's WebGPU device, shared by every webgpu kernel of the page (acquired once; rejects with gpu.js's reason when there is none). */
function webgpuDevice(): Promise<{ adapter: WebGpuAdapter; device: WebGpuDevice }> {
  const { WebGPUContext } = gpujs as unknown as { WebGPUContext: { acquire(): Promise<{ adapter: WebGpuAdapter; device: WebGpuDevice }> } };
  return WebGPUContext.acquire();
}

/** Why webgpu cannot run here, or null once gpu.js holds a device. */
async function webgpuUnavailable(): Promise<string | null> {
  if (!(GPU as unknown as { isWebGPUSupported: boolean }).isWebGPUSupported) {
    return 'WebGPU is not available here (no navigator.gpu: it needs a browser with WebGPU and a secure context, https:// or http://localhost)';
  }
  try {
    await webgpuDevice();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * The adapter gpu.js's webgpu kernels run on, as "vendor architecture description" (e.g. "google
 * swiftshader"), for logs and for tests that must know SwiftShader ran.
 */
export async function webgpuAdapterName(): Promise<string> {
  const { adapter } = await webgpuDevice();
  return adapterInfoName(adapter.info) ?? 'unknown (no or empty GPUAdapter.info in this browser)';
}
