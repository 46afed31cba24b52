// Value tests for layerNorm: a row by hand, and float32 / float64 kernels against a plain float64 reference.

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { expectAllClose } from '../helpers/allclose.ts';

/** layerNorm of one flat row-major [N, D] array, the obvious way, in float64. */
function referenceLayerNorm(x: number[], D: number, gamma: number[], beta: number[], eps: number): number[] {
  const y: number[] = [];
  for (let r = 0; r < x.length / D; r++) {
    const row = x.slice(r * D, (r + 1) * D);
    const mean = row.reduce((a, v) => a + v, 0) / D;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / D;
    row.forEach((v, k) => y.push(((v - mean) / Math.sqrt(variance + eps)) * gamma[k] + beta[k]));
  }
  return y;
}

describe('layerNorm', () => {
  it('normalises a row worked by hand', () => {
    // Row [1, 2, 3]: mean 2, variance (1 + 0 + 1) / 3 = 2/3, so xhat = [-1, 0, 1] / sqrt(2/3 + eps) ≈ ∓1.2247;
    // gamma [1, 2, 0.5], beta [0, 1, -1] -> y = [-1.2247, 1, -1 + 0.6124]. Row [5, 5, 5]: xhat = 0 -> y = beta.
    const x = nm.tensor([[1, 2, 3], [5, 5, 5]], { dtype: 'float64' });
    const y = nm.layerNorm(x, nm.tensor([1, 2, 0.5], { dtype: 'float64' }), nm.tensor([0, 1, -1], { dtype: 'float64' }), { eps: 1e-12 });
    const s = 1 / Math.sqrt(2 / 3 + 1e-12);
    expectAllClose(y, [[-s, 1, -1 + 0.5 * s], [0, 1, -1]], 1e-12, 1e-12);
  });

  for (const [N, D] of [[1, 1], [1, 7], [5, 3], [16, 64], [3, 129]]) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`matches the float64 reference: [${N}, ${D}], ${dtype}`, () => {
        const rng = new nm.Rng(N * 1000 + D);
        const draw = (n: number, mean: number, std: number): number[] => Array.from({ length: n }, () => mean + std * rng.normal());
        // An offset of 10 makes the float32 variance sensitive to how it is computed (two passes, never E[x²] - E[x]²).
        const x = draw(N * D, 10, 2);
        const gamma = draw(D, 1, 0.3);
        const beta = draw(D, 0, 0.3);
        const y = nm.layerNorm(nm.tensor(x, { shape: [N, D], dtype }), nm.tensor(gamma, { dtype }), nm.tensor(beta, { dtype }));
        const [rtol, atol] = dtype === 'float64' ? [1e-12, 1e-12] : [1e-5, 1e-5];
        expectAllClose(y, referenceLayerNorm(x, D, gamma, beta, 1e-5), rtol, atol);
      });
    }
  }

  it('float32 gradients match float64 ones', () => {
    const grads = (dtype: 'float32' | 'float64'): number[][] => {
      const rng = new nm.Rng(3);
      const x = nm.randn([4, 3, 9], { rng, dtype, requiresGrad: true });
      const gamma = nm.randn([9], { rng, dtype, requiresGrad: true });
      const beta = nm.randn([9], { rng, dtype, requiresGrad: true });
      x.layerNorm(gamma, beta).backward(nm.randn([4, 3, 9], { rng, dtype }));
      return [x, gamma, beta].map((t) => t.grad!.toFlatArray());
    };
    const g64 = grads('float64');
    grads('float32').forEach((g, i) => expectAllClose(g, g64[i], 1e-4, 1e-5));
  });

  it('rejects gamma / beta of the wrong width', () => {
    expect(() => nm.layerNorm(nm.zeros([2, 4]), nm.ones([3]), nm.zeros([4]))).toThrow('layerNorm: gamma and beta must be [D] = [4] (x=[2,4], gamma=[3], beta=[4])');
  });
});
