// Conv1D layer over channels-last sequences [B, L, C_in] -> [B, L_out, filters], like Keras' Conv1D.

import type { Tensor } from '../tensor/tensor.ts';
import { glorotUniform, zeros } from '../tensor/creation.ts';
import type { Rng } from '../tensor/random.ts';
import type { DType } from '../tensor/dtype.ts';
import { conv1d } from '../tensor/ops/conv.ts';
import { Module } from './module.ts';

export interface Conv1DOptions {
  stride?: number;
  padding?: 'valid' | 'same';
  activation?: 'none' | 'relu';
  rng: Rng;
  dtype?: DType;
}

/**
 * kernel [K, C_in, filters] Glorot-uniform (fan-in K·C_in, fan-out K·filters, as Keras), bias zeros.
 *
 * @example
 * const conv = new Conv1D(1, 64, 3, { activation: 'relu', rng });
 * conv.call(x).shape;        // x: [B, 40, 1] -> [B, 38, 64]
 */
export class Conv1D extends Module {
  readonly kernel: Tensor;
  readonly bias: Tensor;

  constructor(
    readonly inChannels: number,
    readonly filters: number,
    readonly kernelSize: number,
    private readonly options: Conv1DOptions,
  ) {
    super();
    this.kernel = this.addParameter('kernel', glorotUniform([kernelSize, inChannels, filters], { rng: options.rng, dtype: options.dtype }));
    this.bias = this.addParameter('bias', zeros([filters], { dtype: options.dtype }), { decay: false });
  }

  forward(x: Tensor): Tensor {
    // x: [B, L, C_in] -> y: [B, L_out, filters]
    // relu runs fused in the convolution's GEMM epilogue (one pass over the output).
    return conv1d(x, this.kernel, this.bias, { stride: this.options.stride ?? 1, padding: this.options.padding ?? 'valid', activation: this.options.activation ?? 'none' });
  }
}
