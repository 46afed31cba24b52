// Value tests for the indexing ops: slice views, concat, pad, gather, scatterAdd, embedding, and their errors.

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { expectAllClose } from '../helpers/allclose.ts';

const int32 = (values: number[], shape?: number[]): nm.Tensor => nm.tensor(values, { dtype: 'int32', shape });

/** x = arange(12) as [3, 4]: x[r][c] = 4r + c, so every expected value below can be read off by hand. */
const grid = (): nm.Tensor => nm.arange(12).reshape([3, 4]);

describe('slice', () => {
  it('is a view: same storage, offset and strides, no copy', () => {
    const x = grid();
    const y = nm.slice(x, [1, 1], [3, 3]);
    // rows 1-2, cols 1-2: [[5, 6], [9, 10]]; starts at flat 1*4 + 1 = 5, strides unchanged
    expect(y.toArray()).toEqual([[5, 6], [9, 10]]);
    expect(y.storage).toBe(x.storage);
    expect(y.offset).toBe(5);
    expect(y.strides).toEqual([4, 1]);
  });

  it('steps multiply the strides', () => {
    // rows 0, 2 and cols 0, 3 -> [[0, 3], [8, 11]]; strides [4*2, 1*3]
    const y = nm.slice(grid(), [0, 0], undefined, [2, 3]);
    expect(y.toArray()).toEqual([[0, 3], [8, 11]]);
    expect(y.strides).toEqual([8, 3]);
  });

  it('negative bounds count from the end; missing axes are taken whole', () => {
    expect(nm.slice(grid(), [-1]).toArray()).toEqual([[8, 9, 10, 11]]);
    expect(nm.slice(grid(), [0, -3], [3, -1]).toArray()).toEqual([[1, 2], [5, 6], [9, 10]]);
    expect(grid().slice([2, 1], [3, 2]).toArray()).toEqual([[9]]);
  });

  it('slices a view of a view (transposed input) and an empty range', () => {
    const t = nm.transpose(grid()); // [4, 3]: t[c][r] = 4r + c
    expect(nm.slice(t, [1, 1], [3, 3]).toArray()).toEqual([[5, 9], [6, 10]]);
    expect(nm.slice(grid(), [1, 2], [1, 4]).shape).toEqual([0, 2]);
  });

  it('backward places dy at the sliced positions, zeros elsewhere', () => {
    const x = nm.zeros([2, 5], { dtype: 'float64', requiresGrad: true });
    const y = nm.slice(x, [0, 1], [2, 5], [1, 2]); // columns 1 and 3
    y.backward(nm.tensor([[1, 2], [3, 4]], { dtype: 'float64' }));
    expect(x.grad!.toArray()).toEqual([[0, 1, 0, 2, 0], [0, 3, 0, 4, 0]]);
  });

  it('rejects out-of-range bounds and bad steps, naming the op and shape', () => {
    expect(() => nm.slice(grid(), [0, 2], [3, 5])).toThrow('slice: bounds [2, 5) out of range on axis 1 of size 4 (x=[3,4]');
    expect(() => nm.slice(grid(), [2], [1])).toThrow(/slice: bounds \[2, 1\) out of range on axis 0/);
    expect(() => nm.slice(grid(), [0, 0], undefined, [1, 0])).toThrow('slice: step must be a positive integer on axis 1');
    expect(() => nm.slice(grid(), [0, 0, 0])).toThrow('slice: more bounds than axes');
  });
});

describe('concat', () => {
  it('joins along the last and the first axis', () => {
    // [[1], [1]] ++ [[0, 0, 0], [0, 0, 0]] along axis 1
    expect(nm.concat([nm.ones([2, 1]), nm.zeros([2, 3])], 1).toArray()).toEqual([[1, 0, 0, 0], [1, 0, 0, 0]]);
    expect(nm.concat([nm.tensor([[1, 2]]), nm.tensor([[3, 4], [5, 6]])], 0).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
  });

  it('joins strided views, empty pieces and int32 tensors along a middle axis', () => {
    const a = nm.transpose(nm.tensor([[1, 2], [3, 4]])); // [[1, 3], [2, 4]]
    expect(nm.concat([a, nm.zeros([2, 0]), nm.tensor([[9], [8]])], -1).toArray()).toEqual([[1, 3, 9], [2, 4, 8]]);
    const y = nm.concat([int32([1, 2, 3, 4], [1, 2, 2]), int32([5, 6], [1, 1, 2])], 1);
    expect(y.dtype).toBe('int32');
    expect(y.toArray()).toEqual([[[1, 2], [3, 4], [5, 6]]]);
  });

  it('rejects mismatched shapes and dtypes', () => {
    expect(() => nm.concat([nm.zeros([2, 3]), nm.zeros([3, 3])], 1)).toThrow('concat: shapes differ outside axis 1 ([2,3], [3,3])');
    expect(() => nm.concat([nm.zeros([2]), int32([1])])).toThrow('concat: dtypes differ');
    expect(() => nm.concat([])).toThrow('concat: no tensors');
  });
});

describe('pad', () => {
  it('pads each axis with its own [before, after] and value', () => {
    expect(nm.pad(nm.tensor([[1, 2]]), [[0, 0], [1, 2]]).toArray()).toEqual([[0, 1, 2, 0, 0]]);
    // [[1, 2], [3, 4]] padded one row above and one column after with -1
    expect(nm.tensor([[1, 2], [3, 4]]).pad([[1, 0], [0, 1]], -1).toArray()).toEqual([[-1, -1, -1], [1, 2, -1], [3, 4, -1]]);
  });

  it('pads a strided view', () => {
    const t = nm.transpose(nm.tensor([[1, 2], [3, 4]])); // [[1, 3], [2, 4]]
    expect(nm.pad(t, [[0, 1], [1, 0]]).toArray()).toEqual([[0, 1, 3], [0, 2, 4], [0, 0, 0]]);
  });

  it('rejects a wrong number of pairs or negative padding', () => {
    expect(() => nm.pad(nm.zeros([2, 3]), [[1, 1]])).toThrow('pad: expected 2 [before, after] pairs for x=[2,3], got 1');
    expect(() => nm.pad(nm.zeros([2]), [[-1, 0]])).toThrow('pad: padding must be non-negative integers');
  });
});

describe('gather / scatterAdd / embedding', () => {
  it('gathers along axis 1 and along axis 0 with repeats', () => {
    const x = nm.tensor([[1, 2, 3], [4, 5, 6]]);
    // columns 2 then 0 of each row
    expect(nm.gather(x, int32([2, 0]), 1).toArray()).toEqual([[3, 1], [6, 4]]);
    expect(x.gather(int32([1, 1, 0]), 0).toArray()).toEqual([[4, 5, 6], [4, 5, 6], [1, 2, 3]]);
  });

  it('index shape replaces the gathered axis (np.take)', () => {
    const x = nm.arange(24).reshape([2, 3, 4]); // x[a][b][c] = 12a + 4b + c
    const y = nm.gather(x, int32([2, 0, 1, 1], [2, 2]), 1);
    expect(y.shape).toEqual([2, 2, 2, 4]);
    // y[1][0][1] = x[1][indices[0][1] = 0] = [12, 13, 14, 15]
    expect((y.toArray() as number[][][][])[1][0][1]).toEqual([12, 13, 14, 15]);
    // a 0-d index removes the axis
    expect(nm.gather(x, int32([2], []), 2).toArray()).toEqual([[2, 6, 10], [14, 18, 22]]);
  });

  it('scatterAdd accumulates duplicates onto base', () => {
    // counts of [0, 2, 0] into zeros(3): index 0 twice, index 2 once
    expect(nm.scatterAdd(nm.zeros([3]), int32([0, 2, 0]), nm.ones([3]), 0).toArray()).toEqual([2, 0, 1]);
    // base [[1, 1, 1, 1]]: add src [10, 20, 30] at columns 1, 3, 1 -> [1, 1 + 10 + 30, 1, 1 + 20]
    const y = nm.scatterAdd(nm.ones([1, 4]), int32([1, 3, 1]), nm.tensor([[10, 20, 30]]), 1);
    expect(y.toArray()).toEqual([[1, 41, 1, 21]]);
  });

  it('scatterAdd is the adjoint of gather: <gather(x, i), s> = <x, scatterAdd(0, i, s)>', () => {
    const rng = new nm.Rng(5);
    const x = nm.randn([3, 5, 2], { rng, dtype: 'float64' });
    const s = nm.randn([3, 4, 2], { rng, dtype: 'float64' });
    const i = int32([4, 0, 4, 2]);
    const lhs = nm.sum(nm.mul(nm.gather(x, i, 1), s)).item();
    const rhs = nm.sum(nm.mul(x, nm.scatterAdd(nm.zeros([3, 5, 2], { dtype: 'float64' }), i, s, 1))).item();
    expect(lhs).toBeCloseTo(rhs, 12);
  });

  it('embedding looks up rows and its gradient adds up repeated rows', () => {
    const table = nm.tensor([[0, 1], [10, 11], [20, 21]], { dtype: 'float64', requiresGrad: true });
    const y = nm.embedding(int32([2, 0, 2], [1, 3]), table);
    expect(y.shape).toEqual([1, 3, 2]);
    expect(y.toArray()).toEqual([[[20, 21], [0, 1], [20, 21]]]);
    nm.sum(y).backward();
    // row 2 used twice, row 0 once, row 1 never
    expect(table.grad!.toArray()).toEqual([[1, 1], [0, 0], [2, 2]]);
  });

  it('rejects out-of-range and non-int32 indices, naming op, index and shapes', () => {
    expect(() => nm.embedding(int32([1, 12]), nm.zeros([10, 4]))).toThrow(
      'embedding: index 12 at flat position 1 out of range [0, 10) (table=[10,4], indices=[2])',
    );
    expect(() => nm.gather(nm.zeros([2, 3]), int32([-1]), 1)).toThrow('gather: index -1 at flat position 0 out of range [0, 3) (axis 1 of x=[2,3]');
    expect(() => nm.gather(nm.zeros([2, 3]), nm.tensor([0]), 0)).toThrow('gather: indices must be int32, got float32[1]');
    expect(() => nm.scatterAdd(nm.zeros([3]), int32([0]), nm.zeros([2]), 0)).toThrow('scatterAdd: src must have shape [1]');
    expect(() => nm.embedding(int32([0]), nm.zeros([4]))).toThrow('embedding: table must be [V, D], got [4]');
  });
});

describe('float32 gather / scatterAdd against a float64 naive reference (odd sizes, batch 1)', () => {
  for (const [O, A, I, n] of [[1, 1, 1, 1], [1, 7, 3, 5], [4, 9, 1, 13], [3, 5, 17, 2]]) {
    it(`[${O}, ${A}, ${I}] with ${n} indices`, () => {
      const rng = new nm.Rng(O * 100 + A * 10 + I);
      const x = Array.from({ length: O * A * I }, () => rng.normal());
      const src = Array.from({ length: O * n * I }, () => rng.normal());
      const idx = Array.from({ length: n }, () => rng.int(A));
      const gathered: number[] = [];
      const scattered = new Float64Array(O * A * I);
      for (let o = 0; o < O; o++) {
        for (let j = 0; j < n; j++) {
          for (let i = 0; i < I; i++) {
            gathered.push(x[(o * A + idx[j]) * I + i]);
            scattered[(o * A + idx[j]) * I + i] += src[(o * n + j) * I + i];
          }
        }
      }
      const x32 = nm.tensor(x, { shape: [O, A, I] });
      expectAllClose(nm.gather(x32, int32(idx), 1), gathered, 1e-6, 1e-6);
      expectAllClose(nm.scatterAdd(nm.zeros([O, A, I]), int32(idx), nm.tensor(src, { shape: [O, n, I] }), 1), scattered, 1e-5, 1e-5);
    });
  }
});
