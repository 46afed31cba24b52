// SGD with (Nesterov) momentum on the device: the velocity and weight updates as gpu.js kernels, so parameters and velocity stay device-resident.
//
// The host Sgd (src/optim/sgd.ts) is the spec, PyTorch's formulation. Each parameter's step is one kernel
// (no momentum) or two (velocity, then w), whose result replaces the parameter's device values
// (./optimizer.ts). The gradient they read is the host path's: g + 2λw with a folded L2 penalty, times
// the clip scale.

import type { NamedParameter } from '../../layers/module.ts';
import { Sgd } from '../../optim/sgd.ts';
import type { DeviceOptimizerOptions } from '../../optim/device-optimizer.ts';
import type { OptimizerState } from '../../optim/optimizer.ts';
import type { Constants, GpuArray, GpuContext } from './context.ts';
import { DeviceUpdate, type StagedParameter } from './optimizer.ts';

type This = { thread: { x: number }; constants: Constants };

// w - lr · g (no momentum), with g = (grad + 2λw) · scale: the L2 gradient folded in (l2x2 = 2λ on weights
// with decay, 0 on biases), then clipped (clip[1]); lr = h[0].
function plainBody(this: This, w: Float32Array, grad: Float32Array, clip: Float32Array, h: Float32Array): number {
  const i = this.thread.x;
  const wi = w[this.constants.wo + i];
  const gi = (grad[this.constants.go + i] + this.constants.l2x2 * wi) * clip[1];
  return wi - h[0] * gi;
}

// v = μ v + g, g as in plainBody.
function velocityBody(this: This, v: Float32Array, grad: Float32Array, w: Float32Array, clip: Float32Array): number {
  const i = this.thread.x;
  const gi = (grad[this.constants.go + i] + this.constants.l2x2 * w[this.constants.wo + i]) * clip[1];
  return this.constants.mu * v[i] + gi;
}

// w - lr · v, or with Nesterov w - lr · (g + μ v), v the updated velocity.
function momentumBody(this: This, w: Float32Array, v: Float32Array, grad: Float32Array, clip: Float32Array, h: Float32Array): number {
  const i = this.thread.x;
  const wi = w[this.constants.wo + i];
  if (this.constants.nesterov === 1) {
    const gi = (grad[this.constants.go + i] + this.constants.l2x2 * wi) * clip[1];
    return wi - h[0] * (gi + this.constants.mu * v[i]);
  }
  return wi - h[0] * v[i];
}

/**
 * Sgd whose step runs on the gpu.js device: float32 parameters, gradients and velocity never leave it.
 * Checkpoints still work: `state()` (`stateAsync()` on webgpu) downloads the velocity, `loadState()` uploads
 * it on the next step.
 * With `l2` (and `clipNorm`), the step is exactly host `applyL2Penalty` (then `clipGradNorm`) followed by
 * host Sgd.
 *
 * @example
 * const { context } = useBackend('gpu');
 * const opt = new DeviceSgd(model.namedParameters(), { lr: 0.01, momentum: 0.9, l2: 1e-4 }, context!);
 * loss.backward(); opt.step();                   // weights updated on the device
 */
export class DeviceSgd extends Sgd {
  override readonly foldedL2: number;
  override readonly foldedClipNorm: number;
  protected readonly device: DeviceUpdate;

  constructor(params: NamedParameter[], options: DeviceOptimizerOptions['sgd'], context: GpuContext) {
    super(params, options);
    this.device = new DeviceUpdate(context, `device ${this.kind}`, params, options, (p, key) => this.buffer(p, key));
    this.foldedL2 = this.device.l2;
    this.foldedClipNorm = this.device.clipNorm;
  }

  override step(): void {
    this.stepCount++;
    const h = Float32Array.of(this.lr);
    const { device } = this;
    const { context } = device;
    const { momentum: mu } = this;
    device.step(this.params, (s: StagedParameter): GpuArray => {
      if (mu === 0) return context.run('sgd', plainBody, s.n, s.fold, [s.w, s.grad, s.clip, h]);
      const v = context.run('sgd', velocityBody, s.n, { mu, ...s.fold }, [device.slot(s.p, 'velocity'), s.grad, s.w, s.clip]);
      const w = context.run('sgd', momentumBody, s.n, { mu, nesterov: this.nesterov ? 1 : 0, ...s.fold }, [s.w, v.value, s.grad, s.clip, h]);
      device.setSlot(s.p, 'velocity', v);
      return w;
    });
  }

  override state(): OptimizerState {
    this.device.download(this.params);
    return super.state();
  }

  /** `state()` on a device that reads back only asynchronously (webgpu): the velocity is awaited. */
  override async stateAsync(): Promise<OptimizerState> {
    await this.device.downloadAsync(this.params);
    return super.state(); // the host class's: it copies the buffers just filled
  }

  override loadState(state: OptimizerState): void {
    super.loadState(state);
    this.device.release();
  }

  /** Free the device velocity (the host buffers are then the only state). */
  releaseVelocity(): void {
    this.device.release();
  }
}
