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
    {
      name: `lstm unrolled (ops) forward+backward ${shape}`,
      flops: 3 * forwardFlops,
      fn: () =>
        nm.tidy(() => {
          unrolledLstm(x, wIh, wHh, b).backward(dy);
          clearGrads(params);
        }),
    },
  ];
}

/**
 * The same LSTM unrolled into primitive ops (matmul, slice, sigmoid, tanh, mul, add, concat): what the fused op
 * saves (~15 T graph nodes and their tensors per call). Also in test/kernels/recurrent.test.ts, as a spec.
 */
function unrolledLstm(x: Tensor, wIh: Tensor, wHh: Tensor, b: Tensor): Tensor {
  const [B, T] = x.shape;
  const H = wHh.shape[0];
  const xw = nm.add(nm.matmul(x, wIh), b);
  let h = nm.zeros([B, H]);
  let c = nm.zeros([B, H]);
  const hs: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const z = nm.add(nm.reshape(nm.slice(xw, [0, t, 0], [B, t + 1, 4 * H]), [B, 4 * H]), nm.matmul(h, wHh));
    const gate = (k: number): Tensor => nm.slice(z, [0, k * H], [B, (k + 1) * H]);
    c = nm.add(nm.mul(nm.sigmoid(gate(1)), c), nm.mul(nm.sigmoid(gate(0)), nm.tanh(gate(2))));
    h = nm.mul(nm.sigmoid(gate(3)), nm.tanh(c));
    hs.push(nm.reshape(h, [B, 1, H]));
  }
  return nm.concat(hs, 1);
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
