// Adam on the device: the moment and weight updates as gpu.js kernels, so parameters and moments stay device-resident.
//
// The host Adam (src/optim/adam.ts) updates `p.tensor.values` in place, which downloads every weight and
// gradient each step. DeviceAdam runs the same arithmetic as three elementwise kernels per parameter and
// writes the results back with `Storage.setDevice`: the parameter tensors keep their identity (layers hold
// them), only their storage now points at new device arrays.

import type { NamedParameter } from '../../layers/module.ts';
import type { FloatArray } from '../../tensor/dtype.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { allocateArray } from '../../tensor/dtype.ts';
import { Adam, type AdamOptions } from '../../optim/adam.ts';
import type { OptimizerState } from '../../optim/optimizer.ts';
import type { Constants, GpuArray, GpuContext, KernelArg } from './context.ts';
import { Staging } from './device.ts';

type This = { thread: { x: number }; constants: Constants };

// m = b1 m + (1 - b1) g  (square = 0);  v = b2 v + (1 - b2) g^2  (square = 1), with g = grad + 2λw: the L2
// penalty's gradient folded in (l2x2 = 2λ on weights with decay, 0 on biases).
function momentBody(this: This, moment: Float32Array, grad: Float32Array, w: Float32Array): number {
  const i = this.thread.x;
  const gi = grad[this.constants.go + i] + this.constants.l2x2 * w[this.constants.wo + i];
  const u = this.constants.square === 1 ? gi * gi : gi;
  return this.constants.beta * moment[i] + (1 - this.constants.beta) * u;
}

// w -= stepSize · m / (sqrt(v) + epsHat), both bias corrections folded into stepSize and epsHat (h = [stepSize, epsHat]).
function weightBody(this: This, w: Float32Array, m: Float32Array, v: Float32Array, h: Float32Array): number {
  const i = this.thread.x;
  return w[this.constants.wo + i] - (h[0] * m[i]) / (Math.sqrt(v[i]) + h[1]);
}

export interface DeviceAdamOptions extends AdamOptions {
  /**
   * λ of an L2 penalty λ Σ ||w||² over the parameters with `decay`, folded into the update (g += 2λw) so the
   * gradients never go to the host for `applyL2Penalty`. Default 0. The penalty's value, for the reported
   * loss, is `l2PenaltyTensor` (src/optim/regularisation.ts), a device reduction.
   */
  l2?: number;
}

/**
 * Adam whose step runs on the gpu.js device: float32 parameters, gradients and moments never leave it.
 * Checkpoints still work: `state()` downloads the moments, `loadState()` uploads them on the next step.
 * With `l2`, the step is exactly host `applyL2Penalty` followed by host Adam.
 *
 * @example
 * const { context } = useBackend('gpu');
 * const opt = new DeviceAdam(model.namedParameters(), { lr: 1e-3 }, context!);
 * loss.backward(); opt.step();                   // weights updated on the device
 */
export class DeviceAdam extends Adam {
  /** The moments as device arrays per parameter name (null until the first step, or after loadState). */
  private readonly moments = new Map<string, { m: GpuArray; v: GpuArray }>();
  /** λ of the folded L2 penalty (0: none). */
  readonly l2: number;
  override readonly foldedL2: number;

  constructor(
    params: NamedParameter[],
    options: DeviceAdamOptions,
    private readonly context: GpuContext,
  ) {
    super(params, options);
    this.l2 = options.l2 ?? 0;
    this.foldedL2 = this.l2;
    for (const p of params) {
      if (p.tensor.dtype !== 'float32') throw new Error(`DeviceAdam: parameter '${p.name}' is ${p.tensor.dtype}; gpu.js computes in float32 only`);
    }
  }

  override step(): void {
    this.stepCount++;
    const t = this.stepCount;
    const { beta1: b1, beta2: b2, eps } = this;
    const h = new Float32Array([(this.lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t), eps * Math.sqrt(1 - b2 ** t)]);
    for (const p of this.params) {
      if (p.tensor.grad === null) continue;
      this.updateOnDevice(p, p.tensor, p.tensor.grad, h);
    }
  }

  private updateOnDevice(p: NamedParameter, w: Tensor, grad: Tensor, h: Float32Array): void {
    if (!w.isContiguous || w.offset !== 0 || (w.storage.device === null && w.size !== w.storage.data.length)) {
      throw new Error(`DeviceAdam: parameter '${p.name}' must own its whole storage (shape [${w.shape}])`);
    }
    const n = w.size;
    const staging = new Staging(this.context);
    const [g, ws] = staging.contiguous(grad, w);
    const previous = this.moments.get(p.name);
    const [m0, v0]: KernelArg[] = previous ? [previous.m.value, previous.v.value] : this.hostMoments(p);
    const fold = { go: g.offset, wo: ws.offset, l2x2: p.decay ? 2 * this.l2 : 0 };
    const m = this.context.run('adam', momentBody, n, { beta: this.beta1, square: 0, ...fold }, [m0, g.arg, ws.arg]);
    const v = this.context.run('adam', momentBody, n, { beta: this.beta2, square: 1, ...fold }, [v0, g.arg, ws.arg]);
    const wNew = this.context.run('adam', weightBody, n, { wo: ws.offset }, [ws.arg, m.value, v.value, h]);
    staging.release();
    previous?.m.dispose();
    previous?.v.dispose();
    this.moments.set(p.name, { m, v });
    w.storage.setDevice(wNew, allocateArray('float32', 0));
  }

  /** A host moment buffer, zeros at first use. Unlike the base class it never reads the weight's values (a download). */
  protected override buffer(p: NamedParameter, key: string): FloatArray {
    let state = this.buffers.get(p.name);
    if (!state) this.buffers.set(p.name, (state = {}));
    return (state[key] ??= new Float32Array(p.tensor.size));
  }

  /** The host moments (zeros at the first step, or restored by loadState), uploaded by the first kernel. */
  private hostMoments(p: NamedParameter): [Float32Array, Float32Array] {
    return [this.buffer(p, 'm') as Float32Array, this.buffer(p, 'v') as Float32Array];
  }

  override state(): OptimizerState {
    for (const p of this.params) {
      const moments = this.moments.get(p.name);
      if (!moments) continue;
      const m = moments.m.download() as FloatArray;
      const v = moments.v.download() as FloatArray;
      this.buffer(p, 'm').set(m);
      this.buffer(p, 'v').set(v);
    }
    return super.state();
  }

  override loadState(state: OptimizerState): void {
    super.loadState(state);
    this.releaseMoments();
  }

  /** Free the device moments (the host buffers are then the only state). */
  releaseMoments(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
  }
}

