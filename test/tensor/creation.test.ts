// Tensor creation: nested arrays, typed arrays, constants, arange, and seeded initialisers (bit-identical, ranges, orthogonality).

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { fans } from '../../src/tensor/creation.ts';
import { expectAllClose } from '../helpers/allclose.ts';

describe('tensor()', () => {
  it('infers shape from nested arrays, float32 by default', () => {
    const x = nm.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(x.shape).toEqual([2, 3]);
    expect(x.dtype).toBe('float32');
    expect(x.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(nm.tensor([[[1], [2]]]).shape).toEqual([1, 2, 1]);
    expect(nm.tensor(7).shape).toEqual([]);
    expect(nm.tensor([]).shape).toEqual([0]);
  });

  it('takes a dtype, a shape and typed arrays (copied, dtype inferred)', () => {
    const i = nm.tensor([0, 2, 1], { dtype: 'int32' });
    expect(i.values).toBeInstanceOf(Int32Array);
    expect(nm.tensor([1, 2, 3, 4], { shape: [2, 2] }).toArray()).toEqual([[1, 2], [3, 4]]);
    const data = new Float64Array([1, 2]);
    const x = nm.tensor(data);
    expect(x.dtype).toBe('float64');
    data[0] = 99;
    expect(x.toArray()).toEqual([1, 2]); // a copy
    expect(nm.tensor(new Int32Array([4, 5])).dtype).toBe('int32');
  });

  it('rejects ragged arrays and a shape that does not fit', () => {
    expect(() => nm.tensor([[1, 2], [3]])).toThrow('tensor: ragged nested array at depth 1 (expected length 2)');
    expect(() => nm.tensor([[1, 2], 3] as nm.NestedArray)).toThrow('tensor: ragged nested array');
    expect(() => nm.tensor([1, 2, 3], { shape: [2, 2] })).toThrow('tensor: 3 values do not fill shape [2,2]');
  });

  it('stores float32 rounding and int32 values as typed arrays do', () => {
    expect(nm.tensor([0.1]).item()).toBe(Math.fround(0.1));
    expect(nm.tensor([0.1], { dtype: 'float64' }).item()).toBe(0.1);
  });
});

describe('constants and ranges', () => {
  it('full, zeros, ones, zerosLike', () => {
    expect(nm.full([2, 2], 3).toArray()).toEqual([[3, 3], [3, 3]]);
    expect(nm.zeros([3], { dtype: 'int32' }).toArray()).toEqual([0, 0, 0]);
    expect(nm.ones([1, 2], { requiresGrad: true }).requiresGrad).toBe(true);
    const z = nm.zerosLike(nm.ones([2, 1], { dtype: 'float64' }));
    expect([z.shape, z.dtype, z.toArray()]).toEqual([[2, 1], 'float64', [[0], [0]]]);
    expect(() => nm.zeros([2, -1])).toThrow('full: invalid shape [2,-1]');
  });

  it('arange follows NumPy: stop exclusive, any step, empty when stop <= start', () => {
    expect(nm.arange(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(nm.arange(2, 5).toArray()).toEqual([2, 3, 4]);
    expect(nm.arange(0, 1, 0.25).toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(nm.arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(nm.arange(3, 3).shape).toEqual([0]);
    expect(nm.arange(0, 3, 1, { dtype: 'int32' }).dtype).toBe('int32');
    expect(() => nm.arange(0, 3, 0)).toThrow('arange: step must not be 0');
  });
});

describe('seeded initialisers', () => {
  const bytes = (t: nm.Tensor): number[] => Array.from(new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength));

  it('the same seed gives bit-identical tensors; another seed does not', () => {
    for (const init of [nm.randn, nm.randu, nm.glorotUniform, nm.glorotNormal, nm.heUniform, nm.heNormal, nm.orthogonal]) {
      const a = init([6, 5], { rng: new nm.Rng(42) });
      const b = init([6, 5], { rng: new nm.Rng(42) });
      const c = init([6, 5], { rng: new nm.Rng(43) });
      expect(bytes(a)).toEqual(bytes(b));
      expect(bytes(a)).not.toEqual(bytes(c));
    }
  });

  it('Rng streams are deterministic, forks are independent and reproducible', () => {
    const draw = (rng: nm.Rng): number[] => [rng.next(), rng.normal(), rng.int(10), rng.uniform(-1, 1)];
    expect(draw(new nm.Rng('s'))).toEqual(draw(new nm.Rng('s')));
    const a = new nm.Rng(1);
    const b = new nm.Rng(1);
    expect(draw(a.fork('layer1'))).toEqual(draw(b.fork('layer1')));
    expect(draw(new nm.Rng(1).fork('x'))).not.toEqual(draw(new nm.Rng(1).fork('y')));
    expect(new nm.Rng(3).shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('randu stays in [low, high); randn has the requested moments', () => {
    const u = nm.randu([4000], { rng: new nm.Rng(1), low: -2, high: 3, dtype: 'float64' }).toFlatArray();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(3);
    const n = nm.randn([20000], { rng: new nm.Rng(2), mean: 1, std: 2, dtype: 'float64' }).toFlatArray();
    const mean = n.reduce((a, v) => a + v, 0) / n.length;
    const std = Math.sqrt(n.reduce((a, v) => a + (v - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean - 1)).toBeLessThan(0.05); // 3 standard errors: 3 * 2 / sqrt(20000) = 0.042
    expect(Math.abs(std - 2)).toBeLessThan(0.05);
    expect(() => nm.randn([2], { rng: new nm.Rng(1), dtype: 'int32' })).toThrow('random initialisers produce float tensors');
  });

  it('fans follow Keras: dense [in, out], conv [K, Cin, Cout] counts K in both', () => {
    expect(fans([40, 128])).toEqual({ fanIn: 40, fanOut: 128 });
    expect(fans([3, 4, 8])).toEqual({ fanIn: 12, fanOut: 24 });
  });

  it('Glorot and He uniform stay within their limits and fill them', () => {
    // glorot limit sqrt(6 / (fanIn + fanOut)) = sqrt(6 / 150) = 0.2; he limit sqrt(6 / fanIn) = sqrt(6 / 50)
    const cases: [nm.Tensor, number][] = [
      [nm.glorotUniform([50, 100], { rng: new nm.Rng(5), dtype: 'float64' }), 0.2],
      [nm.heUniform([50, 100], { rng: new nm.Rng(6), dtype: 'float64' }), Math.sqrt(6 / 50)],
    ];
    for (const [w, limit] of cases) {
      const v = w.toFlatArray().map(Math.abs);
      expect(Math.max(...v)).toBeLessThanOrEqual(limit);
      expect(Math.max(...v)).toBeGreaterThan(0.99 * limit);
    }
  });

  it('Glorot and He normal have std sqrt(2 / (fanIn + fanOut)) and sqrt(2 / fanIn)', () => {
    const std = (t: nm.Tensor): number => Math.sqrt(t.toFlatArray().reduce((a, v) => a + v * v, 0) / t.size);
    expect(std(nm.glorotNormal([100, 200], { rng: new nm.Rng(7), dtype: 'float64' }))).toBeCloseTo(Math.sqrt(2 / 300), 2);
    expect(std(nm.heNormal([100, 200], { rng: new nm.Rng(8), dtype: 'float64' }))).toBeCloseTo(Math.sqrt(2 / 100), 2);
  });

  it('orthogonal: rows orthonormal (rows <= cols), columns orthonormal (rows > cols), gain scales', () => {
    const gram = (t: nm.Tensor, byRows: boolean): number[][] => {
      const a = t.toArray() as number[][];
      const [r, c] = t.shape;
      const n = byRows ? r : c;
      const m = byRows ? c : r;
      const at = (i: number, k: number): number => (byRows ? a[i][k] : a[k][i]);
      return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => {
        let dot = 0;
        for (let k = 0; k < m; k++) dot += at(i, k) * at(j, k);
        return dot;
      }));
    };
    const eye = (n: number, s = 1): number[][] => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? s : 0)));
    expectAllClose(gram(nm.orthogonal([3, 5], { rng: new nm.Rng(9), dtype: 'float64' }), true), eye(3), 1e-12, 1e-12);
    expectAllClose(gram(nm.orthogonal([5, 3], { rng: new nm.Rng(10), dtype: 'float64' }), false), eye(3), 1e-12, 1e-12);
    expectAllClose(gram(nm.orthogonal([4, 4], { rng: new nm.Rng(11) }), true), eye(4), 1e-6, 1e-6); // float32
    expectAllClose(gram(nm.orthogonal([2, 6], { rng: new nm.Rng(12), gain: 2, dtype: 'float64' }), true), eye(2, 4), 1e-12, 1e-12);
    expect(() => nm.orthogonal([2, 3, 4], { rng: new nm.Rng(1) })).toThrow('orthogonal: expected a 2-d shape, got [2,3,4]');
  });
});
