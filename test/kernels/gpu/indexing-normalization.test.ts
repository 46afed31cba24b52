// The GPU movement / index / layerNorm kernels in use: admission, and an embedding + attention + layerNorm step through autograd that never leaves the device.

import { afterEach, describe, expect, it } from 'vitest';
import * as nm from '../../../src/index.ts';
import type { Tensor } from '../../../src/tensor/tensor.ts';
import { Rng } from '../../../src/tensor/random.ts';
import { createGpuBackend, createGpuContext, useBackend } from '../../../src/kernels/gpu/index.ts';

describe('admission of pad, sliceBackward, gather, scatterAdd, layerNorm', () => {
  it('takes int32 indices at input 1 only; declines non-finite pad values, placements over 4 axes, float64', () => {
    const context = createGpuContext('cpu');
    const accepts = createGpuBackend(context).accepts!;
    const x = nm.randn([4, 3], { rng: new Rng(1) });
    const idx = nm.tensor([2, 0, 2], { dtype: 'int32' });
    const src = nm.randn([3, 3], { rng: new Rng(2) });
    expect(accepts.gather!([x, idx], { axis: 0 })).toBe(true);
    expect(accepts.gather!([nm.tensor([[1, 2]], { dtype: 'int32' }), nm.tensor([0], { dtype: 'int32' })], { axis: 0 })).toBe(false); // int32 data
    expect(accepts.scatterAdd!([x, idx, src], { axis: 0 })).toBe(true);
    expect(accepts.scatterAdd!([x, idx, nm.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]], { dtype: 'int32' })], { axis: 0 })).toBe(false);
    expect(accepts.scatterAdd!([nm.cast(x, 'float64'), idx, nm.cast(src, 'float64')], { axis: 0 })).toBe(false);
    expect(accepts.pad!([x], { padding: [[1, 0], [0, 2]], value: 0 })).toBe(true);
    expect(accepts.pad!([x], { padding: [[1, 0], [0, 2]], value: -Infinity })).toBe(false); // a kernel constant must be finite
    // Every axis of a rank-5 x padded: nothing merges, 5 axes > 4.
    const x5 = nm.zeros([2, 2, 2, 2, 2]);
    expect(accepts.pad!([x5], { padding: [[1, 0], [1, 0], [1, 0], [1, 0], [1, 0]], value: 0 })).toBe(false);
    expect(accepts.pad!([x5], { padding: [[1, 0], [0, 0], [0, 0], [0, 0], [0, 1]], value: 0 })).toBe(true); // axes 1..3 merge
    expect(accepts.sliceBackward!([nm.zeros([2, 3])], { shape: [4, 7], begin: [1, 0], step: [2, 3] })).toBe(true);
    expect(accepts.layerNorm!([x, nm.ones([3]), nm.zeros([3])], { eps: 1e-5 })).toBe(true);
    expect(accepts.layerNorm!([nm.cast(x, 'float64'), nm.ones([3], { dtype: 'float64' }), nm.zeros([3], { dtype: 'float64' })], { eps: 1e-5 })).toBe(false);
    context.dispose();
  });
});

const V = 13;
const D = 8;
const B = 3;
const T = 5;

interface Params {
  table: Tensor;
  gamma1: Tensor;
  beta1: Tensor;
  wq: Tensor;
  wk: Tensor;
  wv: Tensor;
  gamma2: Tensor;
  beta2: Tensor;
}

function makeParams(): Params {
  const rng = new Rng('gpu-indexing-step');
  const p = (shape: number[], std: number, mean = 0): Tensor => nm.randn(shape, { rng, std }).add(mean).keep().requireGrad();
  return { table: p([V, D], 1), gamma1: p([D], 0.2, 1), beta1: p([D], 0.2), wq: p([D, D], 0.4), wk: p([D, D], 0.4), wv: p([D, D], 0.4), gamma2: p([D], 0.2, 1), beta2: p([D], 0.2) };
}

/**
 * One forward + backward: tokens -> embedding (gather) -> a start slot padded in front and the last step
 * sliced off (pad, slice: sliceBackward) -> layerNorm -> self-attention -> residual + layerNorm -> a weighted
 * mean. The gather's gradient is a scatterAdd with repeated tokens. Inputs are fresh host tensors each step,
 * as a data batch is.
 */
function step(params: Params, seed: number): { loss: Tensor; tokens: Tensor; target: Tensor } {
  const rng = new Rng(seed);
  const tokens = nm.tensor(Array.from({ length: B * T }, () => rng.int(V)), { dtype: 'int32' }).reshape([B, T]);
  const target = nm.randn([B, T, D], { rng });
  const e = nm.embedding(tokens, params.table); // [B, T, D]
  const shifted = e.pad([[0, 0], [1, 0], [0, 0]]).slice([0, 0, 0], [B, T, D]); // [B, T + 1, D] -> [B, T, D]
  const n = shifted.layerNorm(params.gamma1, params.beta1);
  const a = nm.scaledDotProductAttention(n.matmul(params.wq), n.matmul(params.wk), n.matmul(params.wv));
  const y = a.add(n).layerNorm(params.gamma2, params.beta2);
  const loss = y.mul(target).mean();
  loss.backward();
  return { loss, tokens, target };
}

function gradsOf(params: Params): Record<string, number[]> {
  return Object.fromEntries(Object.entries(params).map(([name, t]) => [name, (t as Tensor).grad!.toFlatArray()]));
}

describe('an embedding + attention + layerNorm step on the gpu.js webasm backend', () => {
  afterEach(() => {
    useBackend('cpu');
  });

  it('runs forward and backward with zero downloads and matches the CPU', () => {
    const cpuParams = makeParams();
    const cpu = nm.tidy(() => {
      const { loss } = step(cpuParams, 7);
      return { loss: loss.item(), grads: gradsOf(cpuParams) };
    });

    const { context } = useBackend('gpu', { modes: ['webasm'] });
    const params = makeParams();
    nm.tidy(() => step(params, 3)); // warm-up: uploads the parameters, compiles the kernels
    for (const t of Object.values(params)) (t as Tensor).grad = null;
    const downloads = context!.stats.downloads;
    const calls = context!.stats.calls;
    const gpu = nm.tidy(() => {
      const { loss } = step(params, 7);
      // Inside the step nothing came back to the host: every op of the forward and backward ran on the device.
      expect(context!.stats.downloads - downloads).toBe(0);
      expect(context!.stats.calls - calls).toBeGreaterThan(40);
      return { loss: loss.item(), grads: gradsOf(params) };
    });

    // float32 on both sides, different summation orders: compared at the parity test's rtol, atol 1e-5·sqrt(B·T).
    const close = (g: number, c: number): boolean => Math.abs(g - c) <= 1e-5 * Math.sqrt(B * T) + 1e-4 * Math.abs(c);
    expect(close(gpu.loss, cpu.loss), `loss gpu ${gpu.loss}, cpu ${cpu.loss}`).toBe(true);
    for (const [name, c] of Object.entries(cpu.grads)) {
      const g = gpu.grads[name];
      c.forEach((v, i) => expect(close(g[i], v), `${name}[${i}]: gpu ${g[i]}, cpu ${v}`).toBe(true));
      expect(c.some((v) => v !== 0), `${name} has a gradient`).toBe(true);
    }
    for (const t of [...Object.values(params), ...Object.values(cpuParams)]) (t as Tensor).dispose();
  });
});
