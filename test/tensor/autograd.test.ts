// Autograd behaviour: noGrad, detach, fan-out accumulation, repeated backward, and errors that name the op and shapes.

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { backward } from '../../src/autograd/backward.ts';
import { expectAllClose } from '../helpers/allclose.ts';

const param = (values: nm.NestedArray): nm.Tensor => nm.tensor(values, { dtype: 'float64', requiresGrad: true });

describe('graph recording', () => {
  it('records nodes only when an input requires grad', () => {
    const w = param([1, 2]);
    const y = nm.mul(w, 3);
    expect(y.requiresGrad).toBe(true);
    expect(y.node?.op).toBe('mul');
    const c = nm.mul(nm.tensor([1, 2]), 3);
    expect([c.requiresGrad, c.node]).toEqual([false, null]);
  });

  it('noGrad records nothing, restores the mode, even after a throw', () => {
    const w = param([1, 2]);
    const y = nm.noGrad(() => nm.mul(w, w));
    expect([y.requiresGrad, y.node]).toEqual([false, null]);
    expect(nm.isGradEnabled()).toBe(true);
    expect(() => nm.noGrad(() => { throw new Error('inside'); })).toThrow('inside');
    expect(nm.isGradEnabled()).toBe(true);
  });

  it('detach shares storage and stops the gradient', () => {
    const w = param([2, 3]);
    const d = nm.mul(w, 1).detach();
    expect(d.requiresGrad).toBe(false);
    // y = w * detach(w): dy/dw = detach(w) only (the detached factor is a constant)
    nm.sum(nm.mul(w, w.detach())).backward();
    expect(w.grad!.toArray()).toEqual([2, 3]);
  });

  it('integer outputs (indices) never require grad', () => {
    const { values, indices } = nm.topk(param([[3, 1, 2]]), 2);
    expect(values.requiresGrad).toBe(true);
    expect(indices.requiresGrad).toBe(false);
  });
});

describe('backward', () => {
  it('accumulates fan-out: y = x * x + 3x gives dy/dx = 2x + 3', () => {
    const x = param([1, -2, 0.5]);
    nm.sum(nm.add(nm.mul(x, x), nm.mul(x, 3))).backward();
    expectAllClose(x.grad!, [5, -1, 4], 0, 1e-15);
  });

  it('a leaf used in several branches of a deeper graph sums every path', () => {
    // L = sum(exp(x)) + sum(x)^2 -> dL/dx = exp(x) + 2 sum(x)
    const x = param([0, 1]);
    nm.add(nm.sum(nm.exp(x)), nm.square(nm.sum(x))).backward();
    expectAllClose(x.grad!, [1 + 2, Math.E + 2], 1e-15, 1e-15);
  });

  it('gradients accumulate across backward calls until cleared', () => {
    const x = param([1, 2]);
    nm.sum(nm.mul(x, 2)).backward();
    nm.sum(nm.mul(x, 3)).backward();
    expect(x.grad!.toArray()).toEqual([5, 5]);
  });

  it('running backward twice through one graph is a clear error; retainGraph allows it', () => {
    const x = param([1, 2]);
    const loss = nm.sum(nm.mul(x, x));
    loss.backward();
    expect(() => loss.backward()).toThrow(/was already freed by an earlier backward\(\); pass \{ retainGraph: true \} to run backward twice/);
    const y = param([1, 2]);
    const loss2 = nm.sum(nm.mul(y, y));
    backward(loss2, undefined, { retainGraph: true });
    backward(loss2);
    expect(y.grad!.toArray()).toEqual([4, 8]); // 2 * (2y)
  });

  it('a non-scalar output needs an explicit upstream gradient of its shape and dtype', () => {
    const x = param([1, 2]);
    const y = nm.mul(x, 2);
    expect(() => y.backward()).toThrow('backward: output has shape [2]; pass an upstream gradient for a non-scalar output');
    expect(() => y.backward(nm.ones([3], { dtype: 'float64' }))).toThrow('backward: upstream gradient float64[3] does not match output float64[2]');
    expect(() => y.backward(nm.ones([2]))).toThrow('backward: upstream gradient float32[2] does not match output float64[2]');
    expect(() => nm.ones([1]).backward()).toThrow('backward: tensor does not require grad');
  });

  it('gradients flow through views (transpose, slice, expand) back to the leaf shape', () => {
    const x = param([[1, 2, 3], [4, 5, 6]]);
    // sum of the transposed first two columns times a broadcast row [1, 10]
    nm.sum(nm.mul(nm.slice(nm.transpose(x), [0, 0], [2, 2]), nm.tensor([1, 10], { dtype: 'float64' }))).backward();
    expect(x.grad!.toArray()).toEqual([[1, 1, 0], [10, 10, 0]]);
  });

  // add's rule hands dy to both inputs; if the leaves kept it as is, in-place gradient updates (L2 penalty,
  // clipping) on one parameter would also change the other.
  it('two leaves never share a gradient buffer', () => {
    const a = param([1, 2]);
    const b = param([3, 4]);
    nm.sum(nm.add(a, b)).backward();
    expect(a.grad!.storage).not.toBe(b.grad!.storage);
  });
});

describe('errors name the op and the shapes', () => {
  it('broadcasting, reshape, permute, expand, dtypes', () => {
    expect(() => nm.add(nm.zeros([2, 3]), nm.zeros([4]))).toThrow('add: shapes do not broadcast (a=[2,3], b=[4])');
    expect(() => nm.mul(nm.zeros([2]), nm.zeros([2], { dtype: 'float64' }))).toThrow('mul: dtypes differ (a=float32[2], b=float64[2])');
    expect(() => nm.reshape(nm.zeros([2, 3]), [4, 2])).toThrow('reshape: cannot reshape [2,3] (6 elements) to [4,2]');
    expect(() => nm.reshape(nm.zeros([6]), [-1, -1])).toThrow('reshape: only one -1 allowed in [-1,-1]');
    expect(() => nm.permute(nm.zeros([2, 3]), [0, 0])).toThrow('permute: axes [0,0] are not a permutation of 2 axes (x=[2,3])');
    expect(() => nm.expand(nm.zeros([2, 3]), [3, 3])).toThrow('expand: cannot broadcast [2,3] to [3,3]');
    expect(() => nm.sum(nm.zeros([2, 3]), 2)).toThrow('sum: axis 2 out of range for rank 2');
    expect(() => nm.sum(nm.zeros([2, 3]), [1, -1])).toThrow('sum: repeated axis in [1,-1]');
    expect(() => nm.exp(nm.zeros([2], { dtype: 'int32' }))).toThrow('exp: expected a float tensor, got int32[2]');
  });
});
