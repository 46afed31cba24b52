// The gpu.js backend: its kernel table and admission rules over one GpuContext, and `useBackend('cpu' | 'gpu' | 'auto')`.
//
// Ops without a GPU kernel fall back to the reference (CPU) backend through the ordinary dispatch order: the
// CPU kernel reads its inputs through `storage.data`, which downloads device-resident values on demand
// (src/tensor/storage.ts), and its outputs live on the host until a GPU kernel reads them (uploaded per call).
// So a missing kernel costs transfers, never correctness. `accepts` also sends float64 work (gradient checks)
// to the CPU: gpu.js computes in float32 only.
//
// A DCL-MoE training step runs entirely here (trainer + DeviceAdam, DeviceAdamW or DeviceSgd, gradient
// clipping included: 0 downloads per step). So does a top-k MoE block (router, dispatch, experts, combine,
// and backward) but for the routing choice, placed where it measured fastest (routing.ts): the plan's counts
// fix the experts' batch shapes, so the host reads the router logits (emulated modes) or the top-k indices
// (GL modes) once per step, and the plan runs on the CPU. Still on the CPU otherwise: the views permute /
// expand / slice (no data moves, so they need no kernel).

import type { OpAttrs, OpName } from '../../tensor/op-table.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { type Backend, type Kernel, type KernelTable, registerBackend, registeredBackends, unregisterBackend } from '../backend.ts';
import { type GpuContext, type GpuMode, HARDWARE_MODES, type ProbeAttempt, type ProbeResult, probeGpu, probeGpuAsync } from './context.ts';
import { binaryAccepts, elementwiseGpuKernels, whereAccepts } from './elementwise.ts';
import { MAX_CONCAT_INPUTS, reduceGpuKernels, sumToShapeAccepts } from './reduce.ts';
import { linalgGpuKernels } from './linalg.ts';
import { lossGpuKernels } from './loss.ts';
import { convGpuKernels } from './conv.ts';
import { recurrentGpuKernels } from './recurrent.ts';
import { movementGpuKernels, placementAccepts } from './movement.ts';
import { normalizationGpuKernels } from './normalization.ts';
import { ROUTING_INPUTS, type RoutingInputs, admitsRoutingOp, routingGpuKernels } from './routing.ts';
import { stageable } from './device.ts';
import { softwareRendererName } from './renderer.ts';
import { setDeviceOptimizers } from '../../optim/device-optimizer.ts';
import { DeviceAdam, DeviceAdamW } from './adam.ts';
import { DeviceSgd } from './sgd.ts';

export { GpuContext, createGpuContext, createGpuContextAsync, probeGpu, probeGpuAsync, type GpuMode } from './context.ts';
export { isSoftwareRenderer, softwareRendererName } from './renderer.ts';

/** Every GPU kernel over `context`. Partial by design: see the header for how the rest falls back. */
export function gpuKernels(context: GpuContext): Partial<KernelTable> {
  return {
    ...elementwiseGpuKernels(context),
    ...reduceGpuKernels(context),
    ...linalgGpuKernels(context),
    ...lossGpuKernels(context),
    ...convGpuKernels(context),
    ...recurrentGpuKernels(context),
    ...movementGpuKernels(context),
    ...normalizationGpuKernels(context),
    ...routingGpuKernels(context),
  };
}

type Accepts = { [K in OpName]?: (inputs: readonly Tensor[], attrs: OpAttrs[K]) => boolean };

/**
 * float32 inputs (int32 only where an op takes labels, argmax or top-k indices or a routing plan: the
 * position or positions `indexAt`), each readable by a kernel (contiguous, or few strided axes), none empty
 * before `blocksFrom` (the routing ops' per-expert blocks, from there on, are empty for an expert that got
 * no tokens). Anything else (float64 gradient checks, int32 arithmetic) runs on the CPU.
 */
function plainInputs(inputs: readonly Tensor[], indexAt: number | readonly number[] = -1, blocksFrom = inputs.length): boolean {
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i];
    const isIndex = typeof indexAt === 'number' ? i === indexAt : indexAt.includes(i);
    const dtypeOk = x.dtype === 'float32' || (x.dtype === 'int32' && isIndex);
    if (!dtypeOk) return false;
    if (x.size === 0) {
      if (i < blocksFrom) return false;
    } else if (!stageable(x)) return false;
  }
  return true;
}

/** Ops whose last input is int32 indices (labels, argmax). */
const INDEX_LAST: readonly OpName[] = ['crossEntropy', 'crossEntropyBackward', 'nllFromProbs', 'nllFromProbsBackward', 'maxBackward', 'maxPool1dBackward'];

function admissionRules(kernels: Partial<KernelTable>, mode: GpuMode): Accepts {
  const rules: Accepts = {};
  for (const op of Object.keys(kernels) as OpName[]) {
    const indexLast = INDEX_LAST.includes(op);
    (rules as Record<string, unknown>)[op] = (inputs: readonly Tensor[]) => plainInputs(inputs, indexLast ? inputs.length - 1 : -1);
  }
  const binary = (inputs: readonly Tensor[]): boolean => plainInputs(inputs) && binaryAccepts(inputs[0], inputs[1]);
  Object.assign(rules, {
    add: binary,
    sub: binary,
    mul: binary,
    div: binary,
    maximum: binary,
    equal: binary,
    greater: binary,
    greaterEqual: binary,
    less: binary,
    lessEqual: binary,
    where: (inputs: readonly Tensor[]) => plainInputs(inputs) && whereAccepts(inputs[0], inputs[1], inputs[2]),
    // int32 -> float32 (labels for on-device metrics); float -> int32 truncation stays on the CPU.
    cast: (inputs: readonly Tensor[], { dtype }: OpAttrs['cast']) => dtype === 'float32' && plainInputs(inputs, inputs[0].dtype === 'int32' ? 0 : -1),
    sumToShape: (inputs: readonly Tensor[], { shape }: OpAttrs['sumToShape']) => plainInputs(inputs) && sumToShapeAccepts(inputs[0], shape),
    concat: (inputs: readonly Tensor[]) => inputs.length <= MAX_CONCAT_INPUTS && plainInputs(inputs),
    // int32 indices in the middle: gather [x, indices], scatterAdd [base, indices, src].
    gather: (inputs: readonly Tensor[]) => plainInputs(inputs, 1),
    scatterAdd: (inputs: readonly Tensor[]) => plainInputs(inputs, 1),
    pad: ([x]: readonly Tensor[], { padding, value }: OpAttrs['pad']) =>
      plainInputs([x]) && placementAccepts(x, x.shape.map((d, a) => padding[a][0] + d + padding[a][1]), padding.map((p) => p[0]), padding.map(() => 1), value),
    sliceBackward: ([dy]: readonly Tensor[], { shape, begin, step }: OpAttrs['sliceBackward']) => plainInputs([dy]) && placementAccepts(dy, shape, begin, step),
  });
  // Routing: int32 top-k indices and plan maps at fixed positions, then per-expert blocks; the routing
  // choice itself runs where it measured fastest for this mode (see routing.ts).
  for (const [op, { index, blocksFrom }] of Object.entries(ROUTING_INPUTS) as [OpName, RoutingInputs][]) {
    const here = admitsRoutingOp(op, mode);
    if (op in rules) (rules as Record<string, unknown>)[op] = (inputs: readonly Tensor[]) => here && plainInputs(inputs, index, blocksFrom);
  }
  return rules;
}

/** The backend object for `registerBackend`: name 'gpu', kernels over `context`. */
export function createGpuBackend(context: GpuContext): Backend & { context: GpuContext } {
  const kernels = gpuKernels(context);
  return { name: 'gpu', kernels, accepts: admissionRules(kernels, context.mode), context };
}

// ---- choosing the backend ----------------------------------------------------------------------------

export type BackendChoice = 'cpu' | 'gpu' | 'auto';

export interface BackendSelection {
  /** What runs: 'cpu' (reference kernels) or the gpu.js mode that passed the probe. */
  backend: 'cpu' | GpuMode;
  /** The context of the GPU backend (null on the CPU); dispose it through `useBackend('cpu')`. */
  context: GpuContext | null;
  /** One line for the user: what was chosen and why. */
  message: string;
  attempts: ProbeAttempt[];
}

let installed: (Backend & { context: GpuContext }) | null = null;

/** Where the measurement behind "a software renderer is slower than the CPU kernels" lies (README, GPU performance). */
const SOFTWARE_EVIDENCE = 'measured slower than the CPU kernels: bench/results/gpu-ops.json';

/** What the device behind a working `mode` is, for the user: emulated, unknown, a software renderer, or its name. */
function deviceNote(mode: GpuMode, renderer: string | null): string {
  if (!HARDWARE_MODES.includes(mode)) return ', which emulates the GPU on the CPU';
  if (renderer === null) return ', renderer unknown';
  const software = softwareRendererName(renderer);
  return software === null ? ` on ${renderer}` : ` on ${software} ("${renderer}"), a software renderer ${SOFTWARE_EVIDENCE}`;
}

/**
 * The decision behind `useBackend` once the probe found a working `mode` on `renderer` (null: unknown):
 * 'gpu' always uses it (the user asked for it), and the message names the device; 'auto' uses it only when
 * it is a hardware mode not known to run on a software renderer (./renderer.ts): SwiftShader, llvmpipe and
 * the like are 6-390x slower than the CPU kernels here, so 'auto' stays on the CPU and says why. A renderer
 * that cannot be read counts as hardware (the probe's check passed) and the message says "renderer unknown".
 * Pure, so tests can give it any renderer name.
 *
 * @example
 * chooseBackend('auto', 'webgl2', 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)');
 * // { useGpu: false, message: "backend: cpu (auto: gpu.js 'webgl2' runs on SwiftShader (...), a software renderer, measured slower ...)" }
 */
export function chooseBackend(choice: 'gpu' | 'auto', mode: GpuMode, renderer: string | null, deferred = mode === 'webgpu'): { useGpu: boolean; message: string } {
  const software = renderer === null ? null : softwareRendererName(renderer);
  if (choice === 'auto' && !HARDWARE_MODES.includes(mode)) {
    return { useGpu: false, message: `backend: cpu (auto: only gpu.js '${mode}' works, which emulates the GPU on the CPU)` };
  }
  if (choice === 'auto' && software !== null) {
    return { useGpu: false, message: `backend: cpu (auto: gpu.js '${mode}' runs on ${software} ("${renderer}"), a software renderer, ${SOFTWARE_EVIDENCE})` };
  }
  const queued = deferred ? '; kernels queue until `await context.flush()` or `await tensor.toHost()`' : '';
  return { useGpu: true, message: `backend: gpu (gpu.js '${mode}'${deviceNote(mode, renderer)}; checked against the CPU at start-up${queued})` };
}

/**
 * Select the kernels every later op runs on. 'gpu' probes gpu.js (headless-gl, else WebAssembly in Node;
 * WebGL2 in a browser: webgpu runs asynchronously and needs `useBackendAsync`) and throws a clear error
 * when no mode works; 'auto' uses a hardware GPU mode when one works on a device that is not a software
 * renderer, and otherwise stays on the CPU and says so (see `chooseBackend`: gpu.js's WebAssembly and cpu
 * modes, SwiftShader and llvmpipe emulate the device on the CPU and measure slower than the CPU kernels:
 * bench/results/gpu-ops.json).
 *
 * @example
 * const { message } = useBackend('auto');
 * console.log(message);   // in Node without headless-gl: "backend: cpu (auto: only gpu.js 'webasm' works, which emulates the GPU on the CPU)"
 */
export function useBackend(choice: BackendChoice, options: { modes?: GpuMode[]; /** A finished probe (useBackendAsync's). */ probed?: ProbeResult } = {}): BackendSelection {
  if (installed) {
    unregisterBackend('gpu');
    setDeviceOptimizers(null);
    installed.context.dispose();
    installed = null;
  }
  if (choice === 'cpu') return { backend: 'cpu', context: null, message: `backend: cpu (kernels tried in order: ${[...registeredBackends().filter((b) => b !== 'reference'), 'reference'].join(', ')})`, attempts: [] };
  const { context, attempts } = options.probed ?? probeGpu(options.modes);
  const tried = attempts.map((a) => `${a.mode}: ${a.error ?? 'ok'}`).join('; ');
  if (context === null) {
    if (choice === 'gpu') throw new Error(`--backend gpu: no gpu.js mode works here (${tried})`);
    return { backend: 'cpu', context: null, message: `backend: cpu (auto: no gpu.js mode works: ${tried})`, attempts };
  }
  const { useGpu, message } = chooseBackend(choice, context.mode, context.renderer, context.deferred);
  if (!useGpu) {
    context.dispose();
    return { backend: 'cpu', context: null, message, attempts };
  }
  installed = createGpuBackend(context);
  registerBackend(installed);
  // The trainer asks src/optim for device optimisers; this backend supplies them (no import from train to here).
  setDeviceOptimizers({
    adam: (params, options) => new DeviceAdam(params, options, context),
    adamw: (params, options) => new DeviceAdamW(params, options, context),
    sgd: (params, options) => new DeviceSgd(params, options, context),
  });
  return { backend: context.mode, context, message, attempts };
}

/**
 * `useBackend` with the asynchronous probe, so webgpu (a browser's first choice) can be picked: in a page
 * the order is webgpu, webgl2, webgl, webasm. On webgpu, ops only record their kernels; run them with
 * `await context.flush()` and read values with `await tensor.toHost()` (a synchronous read throws there).
 * NOTE: WebGPU needs a secure context: a page from https:// or http://localhost, not file:// or about:blank.
 *
 * @example
 * const { context, message } = await useBackendAsync('gpu');  // "backend: gpu (gpu.js 'webgpu', ...)"
 * const loss = tidy(() => { const l = nllFromProbs(model.predict(x).probs, y); l.backward(); opt.step(); return l; });
 * console.log((await loss.toHost()).item());                    // flushes the step, then reads the loss
 */
export async function useBackendAsync(choice: BackendChoice, options: { modes?: GpuMode[] } = {}): Promise<BackendSelection> {
  if (choice === 'cpu') return useBackend('cpu');
  return useBackend(choice, { probed: await probeGpuAsync(options.modes) });
}

/** The registered GPU backend's context, or null when ops run on the CPU. */
export function activeGpuContext(): GpuContext | null {
  return installed && registeredBackends().includes('gpu') ? installed.context : null;
}

export type { Kernel };
