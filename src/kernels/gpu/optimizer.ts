// What every device optimiser shares: one step over the staged parameters, the gradient terms folded into it (L2, clipping), and state kept on the device.
//
// The host optimisers (src/optim) update `p.tensor.values` in place, which downloads every weight and
// gradient each step. A device optimiser extends its host class (the host class stays the spec: same
// hyperparameters, `kind`, checkpoint format) and runs the same arithmetic as gpu.js kernels; a
// `DeviceUpdate` does the parts they have in common:
//   - stage each parameter with a gradient (its weight and gradient as kernel arguments), check it can be
//     replaced in place, and hand the new weight back to the parameter's storage (in-place.ts);
//   - the L2 term 2λw and the clip scale that the host path applies to the gradients first
//     (applyL2Penalty, then clipGradNorm): the update kernels read them as `fold` constants and a device
//     array [norm, scale] (clip.ts), so the gradients are neither rewritten nor read back;
//   - the optimiser's state (moments, velocity) as device arrays per parameter, downloaded into the host
//     buffers only for a checkpoint (`state()`, or `stateAsync()` where the device reads back only
//     asynchronously) and uploaded from them after `loadState`.

import type { NamedParameter } from '../../layers/module.ts';
import type { FloatArray } from '../../tensor/dtype.ts';
import type { DeviceGradientOptions } from '../../optim/device-optimizer.ts';
import type { GpuArray, GpuContext, KernelArg } from './context.ts';
import { Staging } from './device.ts';
import { type GradientTerm, UNCLIPPED, globalNormClip } from './clip.ts';
import { assertOwnsStorage, replaceOnDevice } from './in-place.ts';

/** One parameter as an update kernel reads it: weight, gradient (with the L2 term in `fold`) and the clip scale. */
export interface StagedParameter extends GradientTerm {
  p: NamedParameter;
  /** [norm, scale]: every update kernel multiplies the (L2-folded) gradient by clip[1]. */
  clip: KernelArg;
}

/**
 * The device half of a device optimiser. The optimiser owns one, passes its host buffers in (for
 * checkpoints) and calls `step` with its per-parameter kernels.
 */
export class DeviceUpdate {
  /** λ of the folded L2 penalty (0: none). */
  readonly l2: number;
  /** Max global gradient norm (0: no clipping). */
  readonly clipNorm: number;
  /** Device state per parameter name and key ('m', 'v', 'velocity'): absent until the first step, or after `release`. */
  private readonly slots = new Map<string, Map<string, GpuArray>>();

  constructor(
    readonly context: GpuContext,
    /** The optimiser's name, for errors. */
    private readonly who: string,
    params: readonly NamedParameter[],
    options: DeviceGradientOptions,
    /** The optimiser's host state buffer (zeros at first use, or restored by loadState). */
    private readonly hostBuffer: (p: NamedParameter, key: string) => FloatArray,
  ) {
    this.l2 = options.l2 ?? 0;
    this.clipNorm = options.clipNorm ?? 0;
    if (!(this.l2 >= 0)) throw new Error(`${who}: l2 must be >= 0, got ${this.l2}`);
    if (!(this.clipNorm >= 0)) throw new Error(`${who}: clipNorm must be >= 0 (0: off), got ${this.clipNorm}`);
    for (const p of params) {
      if (p.tensor.dtype !== 'float32') throw new Error(`${who}: parameter '${p.name}' is ${p.tensor.dtype}; gpu.js computes in float32 only`);
    }
  }

  /**
   * One optimiser step: stage every parameter that has a gradient, compute the clip scale over all of them
   * (before any weight changes: the L2 term reads the weights), then `update` each and make its result the
   * parameter's values.
   */
  step(params: readonly NamedParameter[], update: (s: StagedParameter) => GpuArray): void {
    const withGrad = params.filter((p) => p.tensor.grad !== null);
    for (const p of withGrad) assertOwnsStorage(this.who, p.name, p.tensor);
    const staging = new Staging(this.context);
    let clip: GpuArray | null = null;
    try {
      const terms = withGrad.map((p) => {
        const [g, w] = staging.contiguous(p.tensor.grad!, p.tensor);
        const fold = { go: g.offset, wo: w.offset, l2x2: p.decay ? 2 * this.l2 : 0 };
        return { p, n: p.tensor.size, grad: g.arg, w: w.arg, fold };
      });
      clip = this.clipNorm > 0 ? globalNormClip(this.context, terms, this.clipNorm) : null;
      for (const term of terms) replaceOnDevice(term.p.tensor, update({ ...term, clip: clip?.value ?? UNCLIPPED }));
    } finally {
      // Also when an update throws (a kernel that fails to compile): the staging copies and the scale are freed.
      staging.release();
      clip?.dispose();
    }
  }

  /** State `key` of `p` as a kernel argument: its device array, or the host buffer (uploaded by the kernel). */
  slot(p: NamedParameter, key: string): KernelArg {
    const device = this.slots.get(p.name)?.get(key);
    if (device) return device.value;
    const host = this.hostBuffer(p, key);
    // A float64 checkpoint's buffers are narrowed here: gpu.js reads float32.
    return host instanceof Float32Array ? host : Float32Array.from(host);
  }

  /** Make `array` state `key` of `p` (freeing the previous device array). */
  setSlot(p: NamedParameter, key: string, array: GpuArray): void {
    let slots = this.slots.get(p.name);
    if (!slots) this.slots.set(p.name, (slots = new Map()));
    slots.get(key)?.dispose();
    slots.set(key, array);
  }

  /** Copy every device state array into its host buffer, for `state()` (one download each). */
  download(params: readonly NamedParameter[]): void {
    for (const p of params) {
      for (const [key, array] of this.slots.get(p.name) ?? []) this.hostBuffer(p, key).set(array.download() as FloatArray);
    }
  }

  /** `download`, awaiting each array (every mode; the only way on webgpu): for `stateAsync()`. */
  async downloadAsync(params: readonly NamedParameter[]): Promise<void> {
    const reads: Promise<void>[] = [];
    for (const p of params) {
      for (const [key, array] of this.slots.get(p.name) ?? []) reads.push(array.downloadAsync().then((values) => this.hostBuffer(p, key).set(values as FloatArray)));
    }
    await Promise.all(reads); // one flush, then the readbacks overlap
  }

  /** Free the device state; the host buffers are then the state again (after loadState). */
  release(): void {
    for (const slots of this.slots.values()) for (const array of slots.values()) array.dispose();
    this.slots.clear();
  }
}
