// MaxPool1D and Flatten layers (no parameters).

import type { Tensor } from '../tensor/tensor.ts';
import { maxPool1d } from '../tensor/ops/conv.ts';
import { reshape } from '../tensor/ops/movement.ts';
import { Module } from './module.ts';

/** Keras' MaxPooling1D with 'valid' padding: [B, L, C] -> [B, floor((L - pool) / stride) + 1, C]. */
export class MaxPool1D extends Module {
  constructor(
    readonly poolSize: number,
    readonly stride = poolSize,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return maxPool1d(x, { poolSize: this.poolSize, stride: this.stride });
  }
}

/** [B, ...] -> [B, product of the rest]. */
export class Flatten extends Module {
  forward(x: Tensor): Tensor {
    return reshape(x, [x.shape[0], -1]);
  }
}
