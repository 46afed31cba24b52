// Stochastic gradient descent with optional (Nesterov) momentum.

import type { NamedParameter } from '../layers/module.ts';
import type { FloatArray } from '../tensor/dtype.ts';
import { Optimizer } from './optimizer.ts';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  nesterov?: boolean;
}

/** v = momentum * v + g; w -= lr * v  (Nesterov: w -= lr * (g + momentum * v)). PyTorch's formulation. */
export class Sgd extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(params: NamedParameter[], options: SgdOptions) {
    super(params, options.lr);
    this.momentum = options.momentum ?? 0;
    this.nesterov = options.nesterov ?? false;
    if (this.momentum < 0 || this.momentum >= 1) throw new Error(`sgd: momentum must be in [0, 1), got ${this.momentum}`);
  }

  get kind(): string {
    return 'sgd';
  }

  protected update(p: NamedParameter, w: FloatArray, g: FloatArray): void {
    const lr = this.lr;
    if (this.momentum === 0) {
      for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
      return;
    }
    const v = this.buffer(p, 'velocity');
    const mu = this.momentum;
    for (let i = 0; i < w.length; i++) {
      v[i] = mu * v[i] + g[i];
      w[i] -= lr * (this.nesterov ? g[i] + mu * v[i] : v[i]);
    }
  }
}
