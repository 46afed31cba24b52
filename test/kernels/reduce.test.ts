// Value tests for the reductions: sum, mean, max (argmax ties), logsumexp over any axes, keepDims, views.

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { expectAllClose } from '../helpers/allclose.ts';

/** x[a][b][c] = 12a + 4b + c for shape [2, 3, 4]: every sum below is arithmetic on that formula. */
const cube = (): nm.Tensor => nm.arange(24, undefined, 1, { dtype: 'float64' }).reshape([2, 3, 4]);

describe('sum / mean', () => {
  it('over all axes, one axis, and keepDims', () => {
    expect(nm.sum(cube()).item()).toBe(276); // 0 + ... + 23
    expect(nm.sum(nm.tensor([[1, 2], [3, 4]]), 0).toArray()).toEqual([4, 6]);
    expect(nm.sum(nm.tensor([[1, 2], [3, 4]]), 1, true).toArray()).toEqual([[3], [7]]);
    expect(nm.tensor([[1, 2], [3, 4]]).mean(-1).toArray()).toEqual([1.5, 3.5]);
    expect(nm.mean(cube()).item()).toBe(11.5);
  });

  it('over non-adjacent axes (permute then reduce)', () => {
    // per b: sum over a in {0, 1}, c in {0..3} of 12a + 4b + c = 4 * 12 + 8 * 4b + 2 * 6 = 60 + 32b
    expect(nm.sum(cube(), [0, 2]).toArray()).toEqual([60, 92, 124]);
    expect(nm.sum(cube(), [0, 2], true).shape).toEqual([1, 3, 1]);
  });

  it('over a middle axis and over strided views', () => {
    // sum over b of 12a + 4b + c = 36a + 12 + 3c
    expect(nm.sum(cube(), 1).toArray()).toEqual([[12, 15, 18, 21], [48, 51, 54, 57]]);
    const t = nm.transpose(nm.tensor([[1, 2, 3], [4, 5, 6]])); // [[1, 4], [2, 5], [3, 6]]
    expect(nm.sum(t, 0).toArray()).toEqual([6, 15]);
    // slice a = 1, b in {1, 2}, c in {1, 2, 3} (an offset view): rows [17, 18, 19] and [21, 22, 23]
    expect(nm.sum(nm.slice(cube(), [1, 1, 1]), -1).toArray()).toEqual([[54, 66]]);
  });

  it('empty axes and no axes', () => {
    expect(nm.sum(nm.zeros([0, 3]), 0).toArray()).toEqual([0, 0, 0]);
    const x = nm.tensor([1, 2]);
    expect(nm.sum(x, [])).toBe(x);
  });
});

describe('max', () => {
  it('picks the max along an axis, the gradient goes to the first maximum on ties', () => {
    expect(nm.max(nm.tensor([[1, 5, 2], [7, 0, 7]]), 1).toArray()).toEqual([5, 7]);
    expect(nm.max(cube(), [1, 2]).toArray()).toEqual([11, 23]);
    const x = nm.tensor([[3, 1, 3]], { dtype: 'float64', requiresGrad: true });
    nm.max(x, 1).backward(nm.tensor([2], { dtype: 'float64' }));
    expect(x.grad!.toArray()).toEqual([[2, 0, 0]]); // NOTE: the tie at index 2 gets nothing
  });

  it('handles negative values and -Infinity, and rejects an empty axis', () => {
    expect(nm.max(nm.tensor([-3, -1, -Infinity])).item()).toBe(-1);
    expect(() => nm.max(nm.zeros([0, 2]), 0)).toThrow('max: cannot reduce over an empty axis');
  });
});

describe('logsumexp', () => {
  it('equals log(sum(exp(x))) and is stable for large values', () => {
    expectAllClose(nm.logsumexp(nm.tensor([0, Math.log(3)], { dtype: 'float64' })), Math.log(4), 1e-15, 0);
    // 1000 + log(2): exp(1000) alone would overflow
    expectAllClose(nm.logsumexp(nm.tensor([1000, 1000], { dtype: 'float64' })), 1000 + Math.log(2), 1e-15, 0);
    expect(nm.logsumexp(nm.tensor([-Infinity, -Infinity])).item()).toBe(-Infinity);
    expectAllClose(nm.logsumexp(nm.tensor([[0, 0], [Math.log(3), 0]], { dtype: 'float64' }), 0, true), [[Math.log(4), Math.log(2)]], 1e-15, 0);
  });
});

describe('float32 sum against a float64 reference (odd sizes, batch 1)', () => {
  for (const shape of [[1, 1], [1, 1023], [17, 33], [5, 7, 9]]) {
    it(`sum over each axis of [${shape}]`, () => {
      const x = nm.randn(shape, { rng: new nm.Rng(shape.length * 100 + shape[1]), dtype: 'float64' });
      const x32 = nm.cast(x, 'float32');
      for (let a = 0; a < shape.length; a++) expectAllClose(nm.sum(x32, a), nm.sum(x, a), 1e-5, 1e-5);
    });
  }
});
