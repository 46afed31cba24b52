// Dense (fully connected) layer: y = act(x·W + b) on the fused dense op.

import type { Tensor } from '../tensor/tensor.ts';
import { glorotUniform, zeros } from '../tensor/creation.ts';
import type { Rng } from '../tensor/random.ts';
import type { DType } from '../tensor/dtype.ts';
import { dense, type DenseActivation } from '../tensor/ops/linalg.ts';
import { softmax } from '../tensor/ops/loss.ts';
import { Module } from './module.ts';

export type Activation = DenseActivation | 'softmax';

export interface DenseOptions {
  activation?: Activation;
  useBias?: boolean;
  rng: Rng;
  /** Parameter dtype (float64 for gradient checks). */
  dtype?: DType;
}

/**
 * Keras' Dense: kernel [in, units] Glorot-uniform, bias zeros. relu / tanh / sigmoid run fused in the
 * GEMM epilogue; softmax (over the last axis) runs after it.
 *
 * @example
 * const layer = new Dense(40, 128, { activation: 'relu', rng });
 * const y = layer.call(x);          // x: [B, 40] -> y: [B, 128]
 */
export class Dense extends Module {
  readonly kernel: Tensor;
  readonly bias: Tensor | null;
  readonly activation: Activation;

  constructor(
    readonly inFeatures: number,
    readonly units: number,
    options: DenseOptions,
  ) {
    super();
    this.activation = options.activation ?? 'none';
    this.kernel = this.addParameter('kernel', glorotUniform([inFeatures, units], { rng: options.rng, dtype: options.dtype }));
    this.bias = options.useBias === false ? null : this.addParameter('bias', zeros([units], { dtype: options.dtype }), { decay: false });
  }

  forward(x: Tensor): Tensor {
    // x: [..., in] -> y: [..., units]
    if (this.activation === 'softmax') return softmax(dense(x, this.kernel, this.bias ?? undefined, 'none'), -1);
    return dense(x, this.kernel, this.bias ?? undefined, this.activation);
  }
}
