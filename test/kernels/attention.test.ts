// Value tests for scaledDotProductAttention: one query by hand, masking, and batched heads against plain loops.

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { expectAllClose } from '../helpers/allclose.ts';

/** Attention the obvious way, in float64, over flat [N, Tq, D] / [N, Tk, D] / [N, Tk, Dv] arrays; mask [N, Tq, Tk] or null. */
function referenceAttention(
  q: number[], k: number[], v: number[], mask: number[] | null,
  N: number, Tq: number, Tk: number, D: number, Dv: number, scale: number,
): number[] {
  const y: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < Tq; i++) {
      const scores: number[] = [];
      for (let j = 0; j < Tk; j++) {
        let s = 0;
        for (let d = 0; d < D; d++) s += q[(n * Tq + i) * D + d] * k[(n * Tk + j) * D + d];
        scores.push(mask && mask[(n * Tq + i) * Tk + j] === 0 ? -Infinity : s * scale);
      }
      const m = Math.max(...scores);
      const w = scores.map((s) => Math.exp(s - m));
      const total = w.reduce((a, b) => a + b, 0);
      for (let e = 0; e < Dv; e++) {
        let acc = 0;
        for (let j = 0; j < Tk; j++) acc += (w[j] / total) * v[(n * Tk + j) * Dv + e];
        y.push(acc);
      }
    }
  }
  return y;
}

const f64 = (values: nm.NestedArray): nm.Tensor => nm.tensor(values, { dtype: 'float64' });

describe('scaledDotProductAttention', () => {
  it('attends one query by hand', () => {
    // q = [1, 0], keys [1, 0] and [0, 1], scale 1: scores [1, 0], weights [e, 1] / (e + 1);
    // y = (e·[1, 2] + [3, 4]) / (e + 1).
    const e = Math.E;
    const y = nm.scaledDotProductAttention(f64([[[1, 0]]]), f64([[[1, 0], [0, 1]]]), f64([[[1, 2], [3, 4]]]), { scale: 1 });
    expectAllClose(y, [[[(e + 3) / (e + 1), (2 * e + 4) / (e + 1)]]], 1e-14, 1e-15);
    // Default scale 1 / sqrt(D) = 1 / sqrt(2): weights [a, 1] / (a + 1) with a = e^(1/sqrt 2).
    const a = Math.exp(Math.SQRT1_2);
    const yDefault = nm.scaledDotProductAttention(f64([[[1, 0]]]), f64([[[1, 0], [0, 1]]]), f64([[[1, 2], [3, 4]]]));
    expectAllClose(yDefault, [[[(a + 3) / (a + 1), (2 * a + 4) / (a + 1)]]], 1e-14, 1e-15);
  });

  it('masks keys out, and gives a fully masked row uniform weights instead of NaN', () => {
    // Query 0 may see key 0 only: y = v[0]. Query 1 sees nothing: uniform weights, y = mean(v) = [2, 3].
    const q = f64([[[1, 0], [0, 1]]]);
    const k = f64([[[1, 0], [0, 1]]]);
    const v = f64([[[1, 2], [3, 4]]]);
    const y = nm.scaledDotProductAttention(q, k, v, { mask: nm.tensor([[1, 0], [0, 0]], { dtype: 'int32' }) });
    expectAllClose(y, [[[1, 2], [2, 3]]], 1e-14, 1e-15);
  });

  for (const dtype of ['float64', 'float32'] as const) {
    it(`matches the plain-loop reference with heads and a padding mask, ${dtype}`, () => {
      const [B, Hd, Tq, Tk, D, Dv] = [2, 3, 5, 6, 4, 3];
      const rng = new nm.Rng(17);
      const draw = (n: number): number[] => Array.from({ length: n }, () => rng.normal());
      const [q, k, v] = [draw(B * Hd * Tq * D), draw(B * Hd * Tk * D), draw(B * Hd * Tk * Dv)];
      // Padding: batch row 0 sees every key, row 1 only the first 4; broadcast over heads and queries.
      const padding = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
      const fullMask: number[] = [];
      for (let n = 0; n < B * Hd; n++) for (let i = 0; i < Tq; i++) fullMask.push(...padding.slice(Math.floor(n / Hd) * Tk, (Math.floor(n / Hd) + 1) * Tk));
      const t = (values: number[], shape: number[]): nm.Tensor => nm.tensor(values, { shape, dtype });
      const y = nm.scaledDotProductAttention(t(q, [B, Hd, Tq, D]), t(k, [B, Hd, Tk, D]), t(v, [B, Hd, Tk, Dv]), {
        mask: t(padding, [B, 1, 1, Tk]),
      });
      expect(y.shape).toEqual([B, Hd, Tq, Dv]);
      const [rtol, atol] = dtype === 'float64' ? [1e-12, 1e-13] : [1e-5, 1e-6];
      expectAllClose(y, referenceAttention(q, k, v, fullMask, B * Hd, Tq, Tk, D, Dv, 1 / Math.sqrt(D)), rtol, atol);
    });
  }

  it('rejects mismatched shapes, naming the op and the shapes', () => {
    const q = nm.zeros([2, 3, 4]);
    expect(() => nm.scaledDotProductAttention(q, nm.zeros([2, 5, 3]), nm.zeros([2, 5, 2]))).toThrow('scaledDotProductAttention: q and k widths differ (q=[2,3,4], k=[2,5,3], v=[2,5,2])');
    expect(() => nm.scaledDotProductAttention(q, nm.zeros([2, 5, 4]), nm.zeros([2, 6, 2]))).toThrow('k and v lengths differ');
    expect(() => nm.scaledDotProductAttention(q, nm.zeros([1, 5, 4]), nm.zeros([1, 5, 2]))).toThrow('leading axes differ');
    expect(() => nm.scaledDotProductAttention(q, nm.zeros([2, 5, 4]), nm.zeros([2, 5, 2]), { mask: nm.ones([2, 2, 3, 5]) })).toThrow('does not broadcast to the scores');
  });
});
