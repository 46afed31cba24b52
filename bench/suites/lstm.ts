// Benchmarks of the fused LSTM at DCL-MoE's training shape (B=64, T=40, F=1, H=64), and of layerNorm.

import type { BenchCase } from '../harness.ts';
import * as nm from '../../src/index.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';

/** Leaf gradients are kept out of tidy scopes: hand them back to the pool after each timed call. */
function clearGrads(ts: Tensor[]): void {
  for (const t of ts) {
    t.grad?.dispose();
    t.grad = null;
  }
}

/** LSTM forward and forward+backward at one shape; tensors are built once, each call runs inside tidy. */
function lstmCases(B: number, T: number, F: number, H: number): BenchCase[] {
  const rng = new nm.Rng(1);
  const x = nm.randn([B, T, F], { rng }).keep();
  const wIh = nm.glorotUniform([F, 4 * H], { rng, requiresGrad: true }).keep();
  const wHh = nm.orthogonal([H, 4 * H], { rng, requiresGrad: true }).keep();
  const b = nm.zeros([4 * H], { requiresGrad: true }).keep();
  const dy = nm.randn([B, T, H], { rng }).keep();
  const params = [wIh, wHh, b];
  // forward ≈ 2·B·T·(F+H)·4H (the two GEMMs); backward about twice that (dz·W_hhᵀ, h_{t-1}ᵀ·dz, and the input side).
  const forwardFlops = 2 * B * T * (F + H) * 4 * H;
  const shape = `B=${B} T=${T} F=${F} H=${H}`;
  return [
    { name: `lstm forward ${shape}`, flops: forwardFlops, fn: () => nm.tidy(() => void nm.noGrad(() => nm.lstm(x, wIh, wHh, b))) },
    {
      name: `lstm forward+backward ${shape}`,
      flops: 3 * forwardFlops,
      fn: () =>
        nm.tidy(() => {
          nm.lstm(x, wIh, wHh, b).y.backward(dy);
          clearGrads(params);
        }),
    },
  ];
}

function layerNormCases(rows: number, D: number): BenchCase[] {
  const rng = new nm.Rng(2);
  const x = nm.randn([rows, D], { rng, requiresGrad: true }).keep();
  const gamma = nm.ones([D], { requiresGrad: true }).keep();
  const beta = nm.zeros([D], { requiresGrad: true }).keep();
  const dy = nm.randn([rows, D], { rng }).keep();
  const shape = `[${rows}, ${D}]`;
  return [
    { name: `layerNorm forward ${shape}`, fn: () => nm.tidy(() => void nm.noGrad(() => nm.layerNorm(x, gamma, beta))) },
    {
      name: `layerNorm forward+backward ${shape}`,
      fn: () =>
        nm.tidy(() => {
          nm.layerNorm(x, gamma, beta).backward(dy);
          clearGrads([x, gamma, beta]);
        }),
    },
  ];
}

export const suite = {
  title: 'lstm and layerNorm',
  cases: (): BenchCase[] => [...lstmCases(64, 40, 1, 64), ...lstmCases(64, 40, 16, 128), ...layerNormCases(64 * 40, 64)],
};
