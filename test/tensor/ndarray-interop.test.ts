// ndarray interop: fromNdarray / toNdarray share memory (no copy) and carry strides and offsets.

import { describe, expect, it } from 'vitest';
import ndarray from 'ndarray';
import * as nm from '../../src/index.ts';

describe('ndarray interop', () => {
  it('fromNdarray views the same memory', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const a = ndarray(data, [2, 3]);
    const x = nm.fromNdarray(a);
    expect([x.shape, x.strides, x.dtype]).toEqual([[2, 3], [3, 1], 'float32']);
    expect(x.values).toBe(data);
    a.set(1, 2, 60);
    expect(x.toArray()).toEqual([[1, 2, 3], [4, 5, 60]]);
  });

  it('carries ndarray strides and offsets (transposed and sliced views)', () => {
    const a = ndarray(new Float64Array([0, 1, 2, 3, 4, 5]), [2, 3]);
    const t = nm.fromNdarray(a.transpose(1, 0));
    expect(t.dtype).toBe('float64');
    expect(t.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    const s = nm.fromNdarray(a.lo(1, 1)); // rows 1.., cols 1..: [[4, 5]], offset 4
    expect([s.shape, s.offset]).toEqual([[1, 2], 4]);
    expect(s.toArray()).toEqual([[4, 5]]);
    expect(nm.fromNdarray(ndarray(new Int32Array([7]), [1])).dtype).toBe('int32');
  });

  it('toNdarray views the tensor memory, views included', () => {
    const x = nm.arange(6, undefined, 1, { dtype: 'float64' }).reshape([2, 3]);
    const a = nm.toNdarray(x);
    expect(a.data).toBe(x.storage.data);
    a.set(0, 0, -1);
    expect(x.toArray()).toEqual([[-1, 1, 2], [3, 4, 5]]);
    const at = nm.toNdarray(nm.transpose(x));
    expect([at.shape, at.stride, at.get(2, 1)]).toEqual([[3, 2], [1, 3], 5]);
  });

  it('rejects plain-array ndarrays', () => {
    expect(() => nm.fromNdarray(ndarray([1, 2, 3], [3]))).toThrow('fromNdarray: data must be a Float32Array, Float64Array or Int32Array (got [object Array])');
  });
});
