// LSTM layer on the fused whole-sequence op, initialised like Keras (Glorot kernel, orthogonal recurrent kernel, forget bias 1).

import type { Tensor } from '../tensor/tensor.ts';
import { glorotUniform, orthogonal, zeros } from '../tensor/creation.ts';
import type { Rng } from '../tensor/random.ts';
import type { DType } from '../tensor/dtype.ts';
import { lstm } from '../tensor/ops/recurrent.ts';
import { Module } from './module.ts';

export interface LstmLayerOptions {
  /** Return all hidden states [B, T, H] instead of the last one [B, H] (Keras' return_sequences). */
  returnSequences?: boolean;
  rng: Rng;
  dtype?: DType;
}

/**
 * Keras' LSTM(units): gate order (i, f, c, o) along the 4H axis; bias [H:2H] (the forget gate) starts at 1
 * (unit_forget_bias), so early in training the cell remembers by default.
 *
 * @example
 * const layer = new Lstm(1, 64, { rng });
 * layer.call(x).shape;       // x: [B, 40, 1] -> [B, 64]
 */
export class Lstm extends Module {
  readonly kernel: Tensor;
  readonly recurrentKernel: Tensor;
  readonly bias: Tensor;

  constructor(
    readonly inputSize: number,
    readonly units: number,
    private readonly options: LstmLayerOptions,
  ) {
    super();
    const H = units;
    this.kernel = this.addParameter('kernel', glorotUniform([inputSize, 4 * H], { rng: options.rng, dtype: options.dtype }));
    this.recurrentKernel = this.addParameter('recurrent_kernel', orthogonal([H, 4 * H], { rng: options.rng, dtype: options.dtype }));
    const bias = zeros([4 * H], { dtype: options.dtype });
    bias.values.fill(1, H, 2 * H);
    this.bias = this.addParameter('bias', bias, { decay: false });
  }

  forward(x: Tensor): Tensor {
    // x: [B, T, F] -> [B, T, H] (returnSequences) or [B, H]
    const { y, hT } = lstm(x, this.kernel, this.recurrentKernel, this.bias);
    return this.options.returnSequences ? y : hT;
  }
}
