// The optimiser base: parameter groups, in-place updates on the raw typed arrays, and state for checkpoints.

import type { NamedParameter } from '../layers/module.ts';
import type { FloatArray } from '../tensor/dtype.ts';

/** Optimiser state as plain arrays keyed by parameter name, so a checkpoint can save and restore it. */
export interface OptimizerState {
  kind: string;
  step: number;
  buffers: Record<string, Record<string, Float32Array | Float64Array>>;
}

/**
 * Updates parameters in place from their `.grad`. Updates run on the raw typed arrays, outside autograd:
 * no graph, no temporary tensors, one pass per parameter.
 */
export abstract class Optimizer {
  /** Learning rate; schedules overwrite it before each step. */
  lr: number;
  /** Number of `step()` calls so far. */
  stepCount = 0;
  /**
   * λ when this optimiser adds the L2 gradient (2λw) itself and keeps its state on a device (the gpu.js
   * DeviceAdam, DeviceAdamW, DeviceSgd): the trainer then leaves the gradients alone and reads metrics back
   * only now and then. null for the host optimisers.
   */
  readonly foldedL2: number | null = null;
  /**
   * The max global gradient norm a device optimiser clips to inside its step (0: no clipping), after the
   * folded L2 term, as the host path's clipGradNorm after applyL2Penalty. null for the host optimisers,
   * whose caller clips (clipGradNorm).
   */
  readonly foldedClipNorm: number | null = null;
  protected readonly buffers = new Map<string, Record<string, FloatArray>>();

  constructor(
    protected readonly params: NamedParameter[],
    lr: number,
  ) {
    if (!(lr > 0)) throw new Error(`optimizer: learning rate must be > 0, got ${lr}`);
    this.lr = lr;
  }

  step(): void {
    this.stepCount++;
    for (const p of this.params) {
      if (p.tensor.grad === null) continue;
      const w = p.tensor.values as FloatArray;
      const g = p.tensor.grad.contiguous().values as FloatArray;
      this.update(p, w, g);
    }
  }

  /** Update `w` in place from gradient `g`. */
  protected abstract update(p: NamedParameter, w: FloatArray, g: FloatArray): void;

  /**
   * A per-parameter state buffer (momentum, Adam moments), zero at first use. Sized from the parameter's
   * dtype and shape, never its values: reading those would download a device-resident weight.
   */
  protected buffer(p: NamedParameter, key: string): FloatArray {
    let state = this.buffers.get(p.name);
    if (!state) this.buffers.set(p.name, (state = {}));
    return (state[key] ??= p.tensor.dtype === 'float64' ? new Float64Array(p.tensor.size) : new Float32Array(p.tensor.size));
  }

  abstract get kind(): string;

  state(): OptimizerState {
    const buffers: OptimizerState['buffers'] = {};
    // Copies, so the snapshot does not change as training goes on (and two optimisers never share moments).
    for (const [name, state] of this.buffers) buffers[name] = Object.fromEntries(Object.entries(state).map(([k, b]) => [k, b.slice()]));
    return { kind: this.kind, step: this.stepCount, buffers };
  }

  /**
   * `state()`, for an optimiser whose state may live on a device that reads back only asynchronously (the
   * gpu.js device optimisers on webgpu, where `state()` throws): they override it to download with
   * `await`. A host optimiser's state is on the host already.
   *
   * @example
   * onEpochEnd: async () => { saved = await optimizer.stateAsync(); }   // a trainAsync hook
   */
  async stateAsync(): Promise<OptimizerState> {
    return this.state();
  }

  loadState(state: OptimizerState): void {
    if (state.kind !== this.kind) throw new Error(`optimizer: checkpoint holds ${state.kind} state, this run uses ${this.kind}`);
    this.stepCount = state.step;
    this.buffers.clear();
    for (const [name, buffers] of Object.entries(state.buffers)) {
      const p = this.params.find((q) => q.name === name);
      if (!p) throw new Error(`optimizer: checkpoint has state for unknown parameter '${name}'`);
      for (const [key, b] of Object.entries(buffers)) {
        if (b.length !== p.tensor.size) throw new Error(`optimizer: state '${key}' of '${name}' has ${b.length} values, parameter has ${p.tensor.size}`);
      }
      this.buffers.set(name, Object.fromEntries(Object.entries(buffers).map(([k, b]) => [k, b.slice()])));
    }
  }
}
