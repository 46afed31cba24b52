// Value tests for the elementwise kernels: arithmetic with broadcasting and strided views, comparisons, where, activations, cast.

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { expectAllClose } from '../helpers/allclose.ts';

const f64 = (values: nm.NestedArray): nm.Tensor => nm.tensor(values, { dtype: 'float64' });

describe('binary arithmetic', () => {
  it('add / sub / mul / div elementwise', () => {
    const a = f64([[1, 2], [3, 4]]);
    const b = f64([[10, 20], [30, 40]]);
    expect(nm.add(a, b).toArray()).toEqual([[11, 22], [33, 44]]);
    expect(nm.sub(a, b).toArray()).toEqual([[-9, -18], [-27, -36]]);
    expect(nm.mul(a, b).toArray()).toEqual([[10, 40], [90, 160]]);
    expect(nm.div(b, a).toArray()).toEqual([[10, 10], [10, 10]]);
    expect(a.add(1).mul(2).sub(1).div(0.5).toArray()).toEqual([[6, 10], [14, 18]]); // ((x + 1) * 2 - 1) / 0.5
  });

  it('broadcasts rows, columns, scalars and new leading axes', () => {
    const a = f64([[1, 2, 3], [4, 5, 6]]);
    expect(nm.add(a, f64([10, 20, 30])).toArray()).toEqual([[11, 22, 33], [14, 25, 36]]); // row
    expect(nm.mul(a, f64([[1], [-1]])).toArray()).toEqual([[1, 2, 3], [-4, -5, -6]]); // column
    expect(nm.sub(a, f64(1)).toArray()).toEqual([[0, 1, 2], [3, 4, 5]]); // 0-d
    // [2, 1] with [3] -> [2, 3]: outer sum
    expect(nm.add(f64([[0], [10]]), f64([1, 2, 3])).toArray()).toEqual([[1, 2, 3], [11, 12, 13]]);
    expect(nm.add(f64([[1, 2]]), f64([[[1], [2]]])).shape).toEqual([1, 2, 2]);
  });

  it('reads strided (transposed) and offset (sliced) views', () => {
    const x = nm.arange(6, undefined, 1, { dtype: 'float64' }).reshape([2, 3]);
    const t = nm.transpose(x); // [[0, 3], [1, 4], [2, 5]]
    expect(nm.mul(t, f64([1, 10])).toArray()).toEqual([[0, 30], [1, 40], [2, 50]]);
    expect(nm.add(nm.slice(x, [1, 1]), 100).toArray()).toEqual([[104, 105]]);
    expect(nm.exp(nm.slice(t, [1, 0], [2, 2])).toArray()).toEqual([[Math.exp(1), Math.exp(4)]]);
  });

  it('maximum picks the larger (ties to a); comparisons give 0 / 1 in the input dtype', () => {
    const a = f64([1, 5, 3]);
    const b = f64([2, 5, 0]);
    expect(nm.maximum(a, b).toArray()).toEqual([2, 5, 3]);
    expect(nm.equal(a, b).toArray()).toEqual([0, 1, 0]);
    expect(nm.greater(a, b).toArray()).toEqual([0, 0, 1]);
    expect(nm.greaterEqual(a, b).toArray()).toEqual([0, 1, 1]);
    expect(nm.less(a, b).toArray()).toEqual([1, 0, 0]);
    expect(nm.lessEqual(a, 3).toArray()).toEqual([1, 0, 1]);
    expect(nm.greater(a, b).dtype).toBe('float64');
  });

  it('where selects with a broadcast condition and scalar branches', () => {
    const cond = f64([1, 0, 1]);
    expect(nm.where(cond, f64([[1, 2, 3], [4, 5, 6]]), -1).toArray()).toEqual([[1, -1, 3], [4, -1, 6]]);
    expect(nm.where(f64([0, 2]), 7, f64([8, 9])).toArray()).toEqual([8, 7]);
  });
});

describe('unary ops', () => {
  it('neg, sqrt, exp, log, abs, sign, square, pow', () => {
    const x = f64([4, 1, 0.25]);
    expect(nm.neg(x).toArray()).toEqual([-4, -1, -0.25]);
    expect(nm.sqrt(x).toArray()).toEqual([2, 1, 0.5]);
    expect(nm.log(f64([1, Math.E])).toArray()).toEqual([0, 1]);
    expect(nm.exp(f64([0, 1])).toArray()).toEqual([1, Math.E]);
    expect(nm.abs(f64([-2, 0, 3])).toArray()).toEqual([2, 0, 3]);
    expect(nm.sign(f64([-2, 0, 3])).toArray()).toEqual([-1, 0, 1]);
    expect(nm.square(f64([-3, 0.5])).toArray()).toEqual([9, 0.25]);
    expect(nm.pow(x, -0.5).toArray()).toEqual([0.5, 1, 2]);
    expect(nm.pow(f64([2]), 3).toArray()).toEqual([8]);
  });

  it('tanh, sigmoid (stable at both extremes), relu, gelu', () => {
    expectAllClose(nm.tanh(f64([0, 1, -1])), [0, Math.tanh(1), -Math.tanh(1)], 1e-15, 0);
    // sigmoid(0) = 1/2, sigmoid(ln 3) = 3/4; exp never overflows: sigmoid(+-1000) is exactly 1 and 0
    expectAllClose(nm.sigmoid(f64([0, Math.log(3), -Math.log(3)])), [0.5, 0.75, 0.25], 1e-15, 1e-16);
    expect(nm.sigmoid(f64([1000, -1000])).toArray()).toEqual([1, 0]);
    expect(nm.relu(f64([-1, 0, 2])).toArray()).toEqual([0, 0, 2]);
    // gelu (tanh form): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); gelu(0) = 0, gelu(1) = 0.8411919906...
    const g = (v: number): number => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    expectAllClose(nm.gelu(f64([0, 1, -3])), [0, g(1), g(-3)], 1e-15, 1e-16);
    expect(g(1)).toBeCloseTo(0.8411919906, 9);
  });

  it('first derivatives through backward (unaryGrad) match the formulas', () => {
    const x = nm.tensor([0.5, 2], { dtype: 'float64', requiresGrad: true });
    const grad = (f: (t: nm.Tensor) => nm.Tensor): number[] => {
      x.grad = null;
      nm.sum(f(x)).backward();
      return x.grad!.toFlatArray();
    };
    expectAllClose(grad(nm.sqrt), [0.5 / Math.sqrt(0.5), 0.5 / Math.sqrt(2)], 1e-15, 0);
    expectAllClose(grad(nm.log), [2, 0.5], 1e-15, 0);
    expectAllClose(grad(nm.tanh), [1 - Math.tanh(0.5) ** 2, 1 - Math.tanh(2) ** 2], 1e-15, 0);
    const s = (v: number): number => 1 / (1 + Math.exp(-v));
    expectAllClose(grad(nm.sigmoid), [s(0.5) * (1 - s(0.5)), s(2) * (1 - s(2))], 1e-15, 0);
    expectAllClose(grad((t) => nm.pow(t, 3)), [3 * 0.25, 3 * 4], 1e-15, 0);
  });
});

describe('cast', () => {
  it('converts between float dtypes and truncates toward zero into int32', () => {
    expect(nm.cast(nm.tensor([-1.7, 2.9]), 'int32').toArray()).toEqual([-1, 2]);
    const y = nm.cast(nm.tensor([1, 2], { dtype: 'int32' }), 'float64');
    expect([y.dtype, y.toArray()]).toEqual(['float64', [1, 2]]);
    expect(nm.cast(f64([0.1]), 'float32').item()).toBe(Math.fround(0.1));
  });
});

describe('float32 binary kernels against a float64 reference (broadcast patterns, odd sizes)', () => {
  const patterns: [number[], number[]][] = [[[1], [1]], [[7, 13], [13]], [[7, 13], [7, 1]], [[3, 1, 5], [4, 1]], [[1, 9], [5, 1]], [[2, 3, 65], [2, 3, 65]]];
  for (const [sa, sb] of patterns) {
    it(`mul / sub / div / maximum for [${sa}] and [${sb}]`, () => {
      const rng = new nm.Rng(sa.length * 10 + sb.length);
      const a = nm.randn(sa, { rng, dtype: 'float64' });
      const b = nm.randu(sb, { rng, low: 0.5, high: 2, dtype: 'float64' });
      const a32 = nm.cast(a, 'float32');
      const b32 = nm.cast(b, 'float32');
      for (const op of [nm.mul, nm.sub, nm.div, nm.maximum]) expectAllClose(op(a32, b32), op(a, b), 1e-6, 1e-6);
    });
  }
});
