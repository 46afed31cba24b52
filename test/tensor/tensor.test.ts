// Tensor views: shape / strides / offset over shared storage, contiguity, values, toArray, item, dispose.

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { tensorFromData, viewOf } from '../../src/tensor/tensor.ts';

describe('Tensor views', () => {
  it('a fresh tensor is row-major with offset 0', () => {
    const x = nm.zeros([2, 3, 4]);
    expect(x.strides).toEqual([12, 4, 1]);
    expect(x.offset).toBe(0);
    expect([x.rank, x.size, x.dtype]).toEqual([3, 24, 'float32']);
    expect(x.isContiguous).toBe(true);
  });

  it('reshape of a contiguous tensor shares storage (no copy)', () => {
    const x = nm.arange(6);
    const y = x.reshape([2, 3]);
    expect(y.storage).toBe(x.storage);
    expect(y.strides).toEqual([3, 1]);
    expect(y.toArray()).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(x.reshape([-1, 2]).shape).toEqual([3, 2]);
  });

  it('transpose swaps strides; the view is strided and values refuses it', () => {
    const x = nm.arange(6).reshape([2, 3]);
    const t = nm.transpose(x);
    expect(t.shape).toEqual([3, 2]);
    expect(t.strides).toEqual([1, 3]);
    expect(t.storage).toBe(x.storage);
    expect(t.isContiguous).toBe(false);
    expect(t.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(() => t.values).toThrow('values: tensor [3,2] is a strided view; call contiguous() first');
    const c = t.contiguous();
    expect(c.storage).not.toBe(x.storage);
    expect(Array.from(c.values)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(t.toFlatArray()).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('expand gives stride 0 on repeated axes', () => {
    const b = nm.tensor([[1], [2]]);
    const e = nm.expand(b, [3, 2, 4]);
    expect(e.strides).toEqual([0, 1, 0]);
    expect(e.toArray()).toEqual(Array(3).fill([[1, 1, 1, 1], [2, 2, 2, 2]]));
  });

  it('an offset view: values is a subarray of the same buffer, item reads at the offset', () => {
    const x = nm.arange(10);
    const v = viewOf(x, [2, 2], [2, 1], 5); // elements 5, 6 / 7, 8
    expect(v.isContiguous).toBe(true);
    expect(Array.from(v.values)).toEqual([5, 6, 7, 8]);
    expect(v.values.buffer).toBe(x.values.buffer);
    expect(viewOf(x, [], [], 7).item()).toBe(7);
    expect(() => v.item()).toThrow('item: tensor has 4 elements (shape [2,2]), expected 1');
  });

  it('size-1 axes do not break contiguity whatever their stride', () => {
    const x = nm.arange(3);
    expect(viewOf(x, [1, 3], [99, 1], 0).isContiguous).toBe(true);
  });

  it('tensorFromData wraps without copying and checks the length', () => {
    const data = new Float64Array([1, 2, 3, 4]);
    const x = tensorFromData(data, [2, 2], 'float64');
    expect(x.values).toBe(data);
    expect(() => tensorFromData(data, [3], 'float64')).toThrow('tensorFromData: 4 values do not fill shape [3]');
  });

  it('dispose frees storage once the last view goes; use after dispose is an error', () => {
    const x = nm.arange(4);
    const y = x.reshape([2, 2]);
    x.dispose();
    expect(x.disposed).toBe(true);
    expect(y.toArray()).toEqual([[0, 1], [2, 3]]); // the view still holds the storage
    expect(() => x.values).toThrow('tensor [4] was disposed');
    expect(() => nm.mul(x, 2)).toThrow('mul: input 0 was disposed');
    const released = nm.bufferPoolStats().released;
    y.dispose();
    expect(nm.bufferPoolStats().released).toBe(released + 1); // the last view returned the buffer to the pool
  });

  it('toString names dtype and shape; int32 tensors cannot require grad', () => {
    expect(String(nm.zeros([2, 3], { dtype: 'float64' }))).toBe('Tensor(float64, [2,3])');
    expect(() => nm.tensor([1], { dtype: 'int32' }).requireGrad()).toThrow('requireGrad: int32 tensors cannot have gradients');
  });
});
