// Timing one op case on the CPU kernels or on a gpu.js context, with the device's work finished, and the crossover sweep; shared by the Node run and the page.
//
// What a GPU time includes: the kernel calls of one op (each call's output allocation and the staging
// copies its kernels make) on device-resident inputs, the release of its outputs, and, once per timed round
// of many calls, waiting for the device to finish them (`settle`). Excluded: uploading the inputs and any
// readback of results. Waiting matters: a GL draw or a WebGPU submit returns before the device ran it,
// so timing the calls alone would time the queueing.

import gpujs from 'gpu.js';
import { cpuKernels } from '../src/kernels/cpu/index.ts';
import type { Kernel, KernelTable } from '../src/kernels/backend.ts';
import type { OpName } from '../src/tensor/op-table.ts';
import type { Tensor } from '../src/tensor/tensor.ts';
import { GpuArray, type GpuContext } from '../src/kernels/gpu/context.ts';
import { deviceTensor, storageArg, stridedCopy } from '../src/kernels/gpu/device.ts';
import { globalNormClip } from '../src/kernels/gpu/clip.ts';
import { dclMoeGradients, type OpCase } from './gpu-ops-cases.ts';

/** One measurement: median ms per call, and the time of one settled call (the sweep's budget uses it); or why it failed. */
export type Measured = { ms: number; callMs: number } | { error: string };

/** A timed round lasts at least this long (many calls of a fast op, one call of a slow one). */
const ROUND_MS = 20;

/**
 * Median ms per call over timed rounds. `call` runs the op once and returns what it produced; `settle`
 * waits until the device finished everything run so far (given the last call's products) and then frees
 * them. The first call compiles (and uploads) and is not timed; a settled second call sizes the rounds.
 */
export async function timeCalls(call: () => Tensor[], settle: (last: Tensor[]) => Promise<void>): Promise<{ ms: number; callMs: number }> {
  const finish = async (ys: Tensor[]): Promise<void> => {
    await settle(ys);
    ys.forEach((t) => t.dispose());
  };
  await finish(call());
  let t = performance.now();
  await finish(call());
  const callMs = performance.now() - t;
  const reps = Math.max(1, Math.min(4096, Math.ceil(ROUND_MS / Math.max(callMs, 1e-3))));
  // Slow calls (seconds, on the CPU-emulated modes at large batches): 3 rounds instead of 5.
  const rounds = callMs > 200 ? 3 : 5;
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    t = performance.now();
    for (let i = 1; i < reps; i++) call().forEach((y) => y.dispose());
    await finish(call());
    samples.push((performance.now() - t) / reps);
  }
  return { ms: samples.sort((a, b) => a - b)[Math.floor(rounds / 2)], callMs };
}

const products = ({ outputs, saved = [] }: { outputs: Tensor[]; saved?: Tensor[] }): Tensor[] => [...outputs, ...saved];
const nothingToWait = async (): Promise<void> => {};

/** A CPU kernel (the reference table, or another backend's kernel such as wasm-simd's) on host inputs. */
export function timeCpu(kernel: Kernel<OpName>, c: OpCase, inputs: readonly Tensor[]): Promise<{ ms: number; callMs: number }> {
  return timeCalls(() => products(kernel(inputs, c.attrs)), nothingToWait);
}

export const referenceKernel = (c: OpCase): Kernel<OpName> => cpuKernels[c.op] as Kernel<OpName>;

// ---- waiting for the device ---------------------------------------------------------------------------

/** The parts of a gpu.js GL texture (GLTexture) read here. */
interface GlTexture {
  context: WebGlLike;
  texture: unknown;
  framebuffer(): unknown;
}
interface WebGlLike {
  FRAMEBUFFER: number;
  COLOR_ATTACHMENT0: number;
  TEXTURE_2D: number;
  RGBA: number;
  FLOAT: number;
  bindFramebuffer(target: number, framebuffer: unknown): void;
  framebufferTexture2D(target: number, attachment: number, textarget: number, texture: unknown, level: number): void;
  readPixels(x: number, y: number, w: number, h: number, format: number, type: number, out: Float32Array): void;
}

const isGlTexture = (v: unknown): v is GlTexture => typeof v === 'object' && v !== null && 'framebuffer' in v && 'context' in v && 'texture' in v;

const pixel = new Float32Array(4);

/**
 * Wait until `context`'s device has run every call so far.
 * - GL modes (webgl2, webgl, headlessgl): read back one pixel of each of the last call's products, as
 *   gpu.js reads a whole texture (bind its framebuffer, readPixels RGBA/FLOAT). readPixels returns only
 *   once the draws before it ran, in order, so the round's earlier calls are done too. NOTE: not
 *   `gl.finish()`: Chromium implements WebGL's finish() as a flush, which does not wait.
 * - webgpu: run the deferred queue (`flush()`: gpu.js resolves each pipeline call at submit, not when it
 *   ran), then `queue.onSubmittedWorkDone()` on gpu.js's device.
 * - webasm, cpu: the calls ran when they returned; nothing to wait for.
 */
export async function settleDevice(context: GpuContext, last: readonly Tensor[]): Promise<void> {
  if (context.deferred) {
    await context.flush();
    if (context.mode === 'webgpu') await webgpuQueueDone();
    return;
  }
  for (const t of last) {
    const device = t.storage.device;
    const value = device instanceof GpuArray ? device.value : null;
    if (!isGlTexture(value)) continue;
    const gl = value.context;
    gl.bindFramebuffer(gl.FRAMEBUFFER, value.framebuffer());
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, value.texture, 0);
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.FLOAT, pixel);
  }
}

/** gpu.js's WebGPU device (the one every webgpu kernel of the page shares) has finished what was submitted. */
async function webgpuQueueDone(): Promise<void> {
  const { WebGPUContext } = gpujs as unknown as { WebGPUContext: { acquire(): Promise<{ device: { queue: { onSubmittedWorkDone(): Promise<void> } } }> } };
  const { device } = await WebGPUContext.acquire();
  await device.queue.onSubmittedWorkDone();
}

// ---- GPU timings --------------------------------------------------------------------------------------

/** Float inputs on the device first, as in training (activations and weights stay there); int32 labels come from the host, as each step. */
function toDevice(context: GpuContext, inputs: readonly Tensor[]): Tensor[] {
  return inputs.map((x) => (x.dtype === 'float32' && x.isContiguous ? deviceTensor(stridedCopy(context, x)!, x.shape).keep() : x));
}

/** Case `c` on `context` at batch B (fresh inputs, freed afterwards). */
export async function timeGpu(context: GpuContext, kernels: Partial<KernelTable>, c: OpCase, B: number): Promise<Measured> {
  const kernel = kernels[c.op] as Kernel<OpName> | undefined;
  if (kernel === undefined) return { error: `${c.op} has no gpu kernel` };
  const inputs = c.inputs(B);
  const onDevice = toDevice(context, inputs);
  try {
    return await timeCalls(() => products(kernel(onDevice, c.attrs)), (last) => settleDevice(context, last));
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  } finally {
    onDevice.forEach((t) => t.dispose());
    inputs.forEach((t) => t.dispose());
    await context.flush(); // deferred: the frees queued behind the last calls
  }
}

/** globalNormClip over device-resident gradients of the DCL-MoE shapes (the squared norm of 118k values, then the scale). */
export async function timeClip(context: GpuContext): Promise<Measured> {
  const host = dclMoeGradients();
  const grads = toDevice(context, host);
  try {
    const terms = grads.map((g) => ({ n: g.size, grad: storageArg(context, g), w: storageArg(context, g), fold: { go: 0, wo: 0, l2x2: 0 } }));
    return await timeCalls(() => [deviceTensor(globalNormClip(context, terms, 1), [2])], (last) => settleDevice(context, last));
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  } finally {
    grads.forEach((g) => g.dispose());
    host.forEach((g) => g.dispose());
    await context.flush();
  }
}

// ---- the crossover sweep ------------------------------------------------------------------------------

/** A mode's sweep over the batches of one case: its times, the crossover and, where it ended early, why. */
export interface ModeSweep {
  /** ms per call by batch (only the batches measured). */
  ms: Record<number, number>;
  /**
   * The smallest batch from which the mode beat the CPU at every batch measured (one win at a small batch
   * followed by losses is noise, not a crossover), or null when it does not beat it at the largest measured.
   */
  crossover: number | null;
  /** The largest batch measured. */
  upTo: number;
  /** Why the sweep stopped before the last batch, or which batch failed. */
  stopped: string | null;
}

/**
 * Above the main table's batches, the sweep measures no larger batch once one call takes this long (each
 * doubling doubles it, and a measurement makes ~5 calls): the crossover then reads "> batch" there.
 */
export const SWEEP_CALL_BUDGET_MS = 1500;

/**
 * Sweep one case on one mode over `batches` (ascending): each batch until the batches run out, one fails,
 * or, above `tableMax`, a call exceeds the budget. `cpuMs(B)` is the CPU's time there (the kernel the CPU
 * backend runs: wasm-simd where it takes the op, else the reference).
 */
export async function sweepMode(
  batches: readonly number[],
  tableMax: number,
  cpuMs: (B: number) => Promise<number>,
  measure: (B: number) => Promise<Measured>,
): Promise<ModeSweep> {
  const sweep: ModeSweep = { ms: {}, crossover: null, upTo: 0, stopped: null };
  for (const B of batches) {
    const m = await measure(B);
    if ('error' in m) {
      sweep.stopped = `batch ${B}: ${m.error}`;
      break;
    }
    sweep.ms[B] = m.ms;
    sweep.upTo = B;
    sweep.crossover = m.ms < (await cpuMs(B)) ? (sweep.crossover ?? B) : null;
    if (B >= tableMax && m.callMs > SWEEP_CALL_BUDGET_MS && B !== batches.at(-1)) {
      sweep.stopped = `one call took ${(m.callMs / 1000).toFixed(1)} s at batch ${B}`;
      break;
    }
  }
  return sweep;
}
