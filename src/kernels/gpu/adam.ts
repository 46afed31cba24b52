// Adam and AdamW on the device: the moment and weight updates as gpu.js kernels, so parameters and moments stay device-resident.
//
// The host Adam and AdamW (src/optim/adam.ts) are the spec. Each parameter's step is three elementwise
// kernels (m, v, then w), whose result replaces the parameter's device values (./optimizer.ts). The
// gradient they read is the host path's: g + 2λw with a folded L2 penalty, times the clip scale.

import type { NamedParameter } from '../../layers/module.ts';
import { Adam, DEFAULT_WEIGHT_DECAY } from '../../optim/adam.ts';
import type { DeviceOptimizerOptions } from '../../optim/device-optimizer.ts';
import type { OptimizerState } from '../../optim/optimizer.ts';
import type { Constants, GpuArray, GpuContext } from './context.ts';
import { DeviceUpdate, type StagedParameter } from './optimizer.ts';

type This = { thread: { x: number }; constants: Constants };

// m = b1 m + (1 - b1) g  (square = 0);  v = b2 v + (1 - b2) g^2  (square = 1), with g = (grad + 2λw) · scale:
// the L2 penalty's gradient folded in (l2x2 = 2λ on weights with decay, 0 on biases), then clipped (clip[1]).
function momentBody(this: This, moment: Float32Array, grad: Float32Array, w: Float32Array, clip: Float32Array): number {
  const i = this.thread.x;
  const gi = (grad[this.constants.go + i] + this.constants.l2x2 * w[this.constants.wo + i]) * clip[1];
  const u = this.constants.square === 1 ? gi * gi : gi;
  return this.constants.beta * moment[i] + (1 - this.constants.beta) * u;
}

// w = w (1 - decay · h[2]) - h[0] · m / (sqrt(v) + h[1]): AdamW's decoupled decay first (h[2] = lr · weightDecay;
// decay = 0 on biases, and h[2] = 0 for Adam), then Adam's step, both bias corrections folded into
// stepSize h[0] and epsHat h[1].
function weightBody(this: This, w: Float32Array, m: Float32Array, v: Float32Array, h: Float32Array): number {
  const i = this.thread.x;
  const shrunk = w[this.constants.wo + i] * (1 - this.constants.decay * h[2]);
  return shrunk - (h[0] * m[i]) / (Math.sqrt(v[i]) + h[1]);
}

/**
 * Adam whose step runs on the gpu.js device: float32 parameters, gradients and moments never leave it.
 * Checkpoints still work: `state()` (`stateAsync()` on webgpu) downloads the moments, `loadState()` uploads
 * them on the next step.
 * With `l2` (and `clipNorm`), the step is exactly host `applyL2Penalty` (then `clipGradNorm`) followed by
 * host Adam.
 *
 * @example
 * const { context } = useBackend('gpu');
 * const opt = new DeviceAdam(model.namedParameters(), { lr: 1e-3, l2: 1e-4 }, context!);
 * loss.backward(); opt.step();                   // weights updated on the device
 */
export class DeviceAdam extends Adam {
  override readonly foldedL2: number;
  override readonly foldedClipNorm: number;
  protected readonly device: DeviceUpdate;

  constructor(params: NamedParameter[], options: DeviceOptimizerOptions['adam'], context: GpuContext) {
    super(params, options);
    this.device = new DeviceUpdate(context, `device ${this.kind}`, params, options, (p, key) => this.buffer(p, key));
    this.foldedL2 = this.device.l2;
    this.foldedClipNorm = this.device.clipNorm;
  }

  /** AdamW's weight decay (0 for Adam). */
  protected get decoupledDecay(): number {
    return 0;
  }

  override step(): void {
    this.stepCount++;
    const t = this.stepCount;
    const { beta1: b1, beta2: b2, eps, lr } = this;
    const decay = this.decoupledDecay;
    // As the host Adam.update: both bias corrections in one step size (Algorithm 1's footnote).
    const h = new Float32Array([(lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t), eps * Math.sqrt(1 - b2 ** t), lr * decay]);
    const { device } = this;
    const { context } = device;
    device.step(this.params, (s: StagedParameter): GpuArray => {
      const args = [s.grad, s.w, s.clip];
      const m = context.run('adam', momentBody, s.n, { beta: b1, square: 0, ...s.fold }, [device.slot(s.p, 'm'), ...args]);
      const v = context.run('adam', momentBody, s.n, { beta: b2, square: 1, ...s.fold }, [device.slot(s.p, 'v'), ...args]);
      const w = context.run('adam', weightBody, s.n, { wo: s.fold.wo, decay: s.p.decay && decay > 0 ? 1 : 0 }, [s.w, m.value, v.value, h]);
      device.setSlot(s.p, 'm', m);
      device.setSlot(s.p, 'v', v);
      return w;
    });
  }

  override state(): OptimizerState {
    this.device.download(this.params);
    return super.state();
  }

  /** `state()` on a device that reads back only asynchronously (webgpu): the moments are awaited. */
  override async stateAsync(): Promise<OptimizerState> {
    await this.device.downloadAsync(this.params);
    return super.state(); // the host class's: it copies the buffers just filled
  }

  override loadState(state: OptimizerState): void {
    super.loadState(state);
    this.device.release();
  }

  /** Free the device moments (the host buffers are then the only state). */
  releaseMoments(): void {
    this.device.release();
  }
}

/**
 * AdamW (decoupled weight decay, src/optim/adam.ts) whose step runs on the gpu.js device, as DeviceAdam:
 * the decay is one more factor in the weight kernel. The trainer folds no L2 term into it (the decay
 * replaces it), but `l2` and `clipNorm` work as for DeviceAdam. Its `kind` and checkpoints are AdamW's.
 *
 * @example
 * const opt = new DeviceAdamW(model.namedParameters(), { lr: 1e-3, weightDecay: 1e-2 }, context!);
 */
export class DeviceAdamW extends DeviceAdam {
  readonly weightDecay: number;

  constructor(params: NamedParameter[], options: DeviceOptimizerOptions['adamw'], context: GpuContext) {
    super(params, options, context);
    this.weightDecay = options.weightDecay ?? DEFAULT_WEIGHT_DECAY;
  }

  override get kind(): string {
    return 'adamw';
  }

  protected override get decoupledDecay(): number {
    return this.weightDecay;
  }
}
