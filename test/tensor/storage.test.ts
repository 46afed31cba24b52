// Storage: tidy scopes dispose intermediates, keep and returned tensors survive, and disposed buffers are reused from the pool.

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { emptyTensor } from '../../src/tensor/tensor.ts';
import { acquireArray, releaseArray } from '../../src/tensor/storage.ts';

describe('tidy / keep', () => {
  it('disposes intermediates and keeps the returned tensor', () => {
    const x = nm.ones([3]);
    let inner: nm.Tensor | null = null;
    const y = nm.tidy(() => {
      inner = nm.mul(x, 2);
      return nm.add(inner, 1);
    });
    expect(inner!.disposed).toBe(true);
    expect(y.disposed).toBe(false);
    expect(y.toArray()).toEqual([3, 3, 3]);
    expect(x.disposed).toBe(false); // created outside the scope
  });

  it('keeps arrays / objects of results and tensors passed to keep', () => {
    let kept: nm.Tensor | null = null;
    let dropped: nm.Tensor | null = null;
    const out = nm.tidy(() => {
      kept = nm.ones([2]).keep();
      dropped = nm.zeros([2]);
      return { a: nm.ones([1]), b: [nm.zeros([1])] };
    });
    expect(kept!.disposed).toBe(false);
    expect(dropped!.disposed).toBe(true);
    expect(out.a.disposed).toBe(false);
    // NOTE: only one level deep: a tensor inside a nested array is not a survivor.
    expect(out.b[0].disposed).toBe(true);
  });

  it('nested scopes hand survivors to the enclosing scope', () => {
    let middle: nm.Tensor | null = null;
    const outer = nm.tidy(() => {
      middle = nm.tidy(() => nm.ones([2]));
      expect(middle.disposed).toBe(false);
      return nm.mul(middle, 3);
    });
    expect(middle!.disposed).toBe(true); // owned by the outer scope, which did not return it
    expect(outer.toArray()).toEqual([3, 3]);
  });

  it('pops its scope when fn throws, and the error propagates', () => {
    expect(() =>
      nm.tidy(() => {
        nm.ones([2]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    let inner: nm.Tensor | null = null;
    nm.tidy(() => {
      inner = nm.ones([2]);
    });
    expect(inner!.disposed).toBe(true); // later scopes still work normally
  });
});

describe('buffer pool', () => {
  it('a disposed buffer is handed out again for the same dtype and size', () => {
    const a = emptyTensor([7, 13], 'float32');
    const buffer = a.values;
    a.dispose();
    const before = nm.bufferPoolStats().hits;
    const b = emptyTensor([13, 7], 'float32');
    expect(b.values).toBe(buffer);
    expect(nm.bufferPoolStats().hits).toBe(before + 1);
    b.dispose();
    expect(emptyTensor([91], 'float64').values).not.toBe(buffer); // another dtype: another pool
  });

  it('recycled buffers keep stale values unless zero is asked for', () => {
    const a = emptyTensor([5, 11], 'float64');
    a.values.fill(3);
    a.dispose();
    expect(Array.from(emptyTensor([55], 'float64').values).every((v) => v === 3)).toBe(true);
    const z = nm.tensor(new Float64Array(55).fill(4));
    z.dispose();
    expect(Array.from(emptyTensor([55], 'float64', true).values).every((v) => v === 0)).toBe(true);
  });

  it('tidy returns op outputs to the pool across steps (steady state allocates nothing)', () => {
    const x = nm.randn([17, 19], { rng: new nm.Rng(1) });
    const step = (): void => nm.tidy(() => void nm.sum(nm.mul(nm.exp(x), x), 1));
    step();
    const { misses } = nm.bufferPoolStats();
    for (let i = 0; i < 5; i++) step();
    expect(nm.bufferPoolStats().misses).toBe(misses);
  });

  it('views share one storage: the buffer is released when the last view is disposed', () => {
    const buffer = acquireArray('int32', 29, true);
    releaseArray('int32', buffer);
    const x = emptyTensor([29], 'int32');
    expect(x.values).toBe(buffer);
    const v = x.reshape([29, 1]);
    x.dispose();
    expect(emptyTensor([29], 'int32').values).not.toBe(buffer); // still held by v
    v.dispose();
    expect(emptyTensor([29], 'int32').values).toBe(buffer);
  });
});

describe('ownership across scopes and callers', () => {
  it('a nested tidy never disposes a tensor created outside every scope that it merely returns', () => {
    const w = nm.ones([2, 3]);
    nm.tidy(() => {
      nm.tidy(() => w.reshape([2, 3])); // a no-op reshape returns w itself
      nm.tidy(() => w);
    });
    expect(w.disposed).toBe(false);
    expect(w.toFlatArray()).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('a tensor returned by an inner tidy is owned (and disposed) by the outer one', () => {
    let inner: nm.Tensor | null = null;
    nm.tidy(() => {
      inner = nm.tidy(() => nm.add(nm.ones([4]), 1));
      expect(inner.disposed).toBe(false);
    });
    expect(inner!.disposed).toBe(true);
  });

  it("fromNdarray's memory stays the caller's: disposing the tensor never puts it in the pool", async () => {
    const ndarray = (await import('ndarray')).default;
    const user = new Float32Array([1, 2, 3, 4, 5, 6]);
    nm.tidy(() => nm.mul(nm.fromNdarray(ndarray(user, [2, 3])), 2));
    // Unrelated ops of the same size must not be handed the caller's array.
    nm.tidy(() => nm.add(nm.ones([2, 3]), 10));
    nm.tidy(() => nm.add(nm.ones([2, 3]), 10));
    expect(Array.from(user)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('fromNdarray rejects a view that reaches outside its array', async () => {
    const ndarray = (await import('ndarray')).default;
    expect(() => nm.fromNdarray(ndarray(new Float32Array(4), [2, 3]))).toThrow(/reach elements 0..5 of an array of 4/);
  });
});
