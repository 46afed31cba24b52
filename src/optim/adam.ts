// Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019: weight decay decoupled from the gradient).

import type { NamedParameter } from '../layers/module.ts';
import type { FloatArray } from '../tensor/dtype.ts';
import { Optimizer } from './optimizer.ts';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** AdamW only: w -= lr * weightDecay * w on parameters with decay (not biases). */
  weightDecay?: number;
}

/**
 * m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  w -= lr * m_hat / (sqrt(v_hat) + eps),
 * with bias corrections m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t). Defaults are Keras' and PyTorch's.
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  constructor(params: NamedParameter[], options: AdamOptions) {
    super(params, options.lr);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-7; // Keras' default (PyTorch uses 1e-8)
  }

  get kind(): string {
    return 'adam';
  }

  protected update(p: NamedParameter, w: FloatArray, g: FloatArray): void {
    const m = this.buffer(p, 'm');
    const v = this.buffer(p, 'v');
    const { beta1: b1, beta2: b2, eps } = this;
    const t = this.stepCount;
    // Fold both bias corrections into one step size (as in the paper's Algorithm 1 footnote).
    const stepSize = (this.lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    const epsHat = eps * Math.sqrt(1 - b2 ** t);
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      w[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) + epsHat);
    }
  }
}

/** AdamW's weight decay when the options give none (PyTorch's default). */
export const DEFAULT_WEIGHT_DECAY = 0.01;

/** Adam with decoupled weight decay. */
export class AdamW extends Adam {
  readonly weightDecay: number;

  constructor(params: NamedParameter[], options: AdamOptions) {
    super(params, options);
    this.weightDecay = options.weightDecay ?? DEFAULT_WEIGHT_DECAY;
  }

  override get kind(): string {
    return 'adamw';
  }

  protected override update(p: NamedParameter, w: FloatArray, g: FloatArray): void {
    if (p.decay && this.weightDecay > 0) {
      const shrink = 1 - this.lr * this.weightDecay;
      for (let i = 0; i < w.length; i++) w[i] *= shrink;
    }
    super.update(p, w, g);
  }
}
