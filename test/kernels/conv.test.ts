// Value tests for conv1d (and its backward kernels), maxPool1d and dropout: hand-derived cases and float32 vs a float64 reference.

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { conv1dGeometry } from '../../src/tensor/ops/conv.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { expectAllClose } from '../helpers/allclose.ts';

/** The spec, straight from the definition: y[b,t,o] = bias[o] + Σ_k Σ_c x[b, t·s + k - padLeft, c]·w[k,c,o]. */
function referenceConv1d(x: Tensor, w: Tensor, bias: Tensor | null, stride: number, padding: 'valid' | 'same'): { y: Float64Array; outLength: number } {
  const [B, L, C] = x.shape;
  const [K, , O] = w.shape;
  const { outLength, padLeft } = conv1dGeometry(L, K, stride, padding);
  const xs = x.values;
  const ws = w.values;
  const y = new Float64Array(B * outLength * O);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < outLength; t++) {
      for (let o = 0; o < O; o++) {
        let acc = bias ? bias.values[o] : 0;
        for (let k = 0; k < K; k++) {
          const l = t * stride + k - padLeft;
          if (l < 0 || l >= L) continue;
          for (let c = 0; c < C; c++) acc += xs[(b * L + l) * C + c] * ws[(k * C + c) * O + o];
        }
        y[(b * outLength + t) * O + o] = acc;
      }
    }
  }
  return { y, outLength };
}

describe('conv1d', () => {
  const x = nm.tensor([[[1], [2], [3], [4]]]); // [1, 4, 1]
  const w = nm.tensor([[[1]], [[0]], [[-1]]]); // [3, 1, 1]: y[t] = x[t] - x[t + 2] (cross-correlation)

  it("'valid', by hand", () => {
    // windows [1,2,3] and [2,3,4]: 1 - 3 = -2, 2 - 4 = -2
    expect(nm.conv1d(x, w).toArray()).toEqual([[[-2], [-2]]]);
  });

  it("'same', stride 1, by hand", () => {
    // L=4, K=3: pad_total = (4-1)·1 + 3 - 4 = 2, left 1: padded [0,1,2,3,4,0] -> 0-2, 1-3, 2-4, 3-0
    expect(nm.conv1d(x, w, null, { padding: 'same' }).toArray()).toEqual([[[-2], [-2], [-2], [3]]]);
  });

  it("'same', stride 2, with bias, by hand", () => {
    // L=5, K=3, s=2: out = ceil(5/2) = 3, pad_total = (3-1)·2 + 3 - 5 = 2, left 1: padded [0,1,2,3,4,5,0]
    // windows at 0, 2, 4: [0,1,2], [2,3,4], [4,5,0]; w = [1,1,1], b = 10 -> 13, 19, 19
    const x5 = nm.tensor([[[1], [2], [3], [4], [5]]]);
    const ones = nm.ones([3, 1, 1]);
    expect(nm.conv1d(x5, ones, nm.tensor([10]), { stride: 2, padding: 'same' }).toArray()).toEqual([[[13], [19], [19]]]);
  });

  it('fused activations equal the activation applied after the conv', () => {
    const rng = new nm.Rng(22);
    const xr = nm.randn([3, 11, 4], { rng });
    const wr = nm.randn([3, 4, 70], { rng });
    const br = nm.randn([70], { rng });
    const z = nm.conv1d(xr, wr, br, { padding: 'same' });
    expectAllClose(nm.conv1d(xr, wr, br, { padding: 'same', activation: 'relu' }), nm.relu(z), 0, 0);
    expectAllClose(nm.conv1d(xr, wr, br, { padding: 'same', activation: 'sigmoid' }), nm.sigmoid(z), 1e-6, 1e-7);
  });

  it('geometry follows Keras / TensorFlow', () => {
    expect(conv1dGeometry(40, 3, 1, 'valid')).toEqual({ outLength: 38, padLeft: 0 });
    expect(conv1dGeometry(7, 4, 2, 'valid')).toEqual({ outLength: 2, padLeft: 0 });
    // same: out = ceil(7/2) = 4, pad_total = 3·2 + 4 - 7 = 3 -> 1 left, 2 right
    expect(conv1dGeometry(7, 4, 2, 'same')).toEqual({ outLength: 4, padLeft: 1 });
    // pad_total clamps at 0 when the stride skips past the kernel: (3-1)·3 + 1 - 7 = -1
    expect(conv1dGeometry(7, 1, 3, 'same')).toEqual({ outLength: 3, padLeft: 0 });
  });

  const configs: [string, number[], number[], number, 'valid' | 'same', boolean][] = [
    ['DCL-MoE layer: B=64, L=40, C_in=1, K=3, C_out=64', [64, 40, 1], [3, 1, 64], 1, 'valid', true],
    ['batch 1, C_in=5, same, K=4', [1, 13, 5], [4, 5, 7], 1, 'same', true],
    ['stride 2, same, odd sizes', [3, 17, 6], [5, 6, 9], 2, 'same', false],
    ['stride 3, valid, C_in=64 (blocked GEMM over windows)', [4, 31, 64], [3, 64, 33], 3, 'valid', true],
  ];
  for (const [name, xShape, wShape, stride, padding, withBias] of configs) {
    it(`float32 forward and backward match the float64 reference: ${name}`, () => {
      const rng = new nm.Rng(xShape[1] * 7 + wShape[2]);
      const x32 = nm.randn(xShape, { rng, requiresGrad: true });
      const w32 = nm.randn(wShape, { rng, std: 0.3, requiresGrad: true });
      const b32 = withBias ? nm.randn([wShape[2]], { rng, requiresGrad: true }) : null;
      const y = nm.conv1d(x32, w32, b32, { stride, padding });
      const { y: expected, outLength } = referenceConv1d(x32, w32, b32, stride, padding);
      expect(y.shape).toEqual([xShape[0], outLength, wShape[2]]);
      expectAllClose(y, expected, 1e-5, 1e-5);

      // float32 backward against the float64 one (which the gradient checks and the adjoint test below prove).
      const dy = nm.randn(y.shape, { rng });
      y.backward(dy);
      const x64 = nm.cast(x32.detach(), 'float64').requireGrad();
      const w64 = nm.cast(w32.detach(), 'float64').requireGrad();
      const b64 = b32 ? nm.cast(b32.detach(), 'float64').requireGrad() : null;
      nm.conv1d(x64, w64, b64, { stride, padding }).backward(nm.cast(dy, 'float64'));
      expectAllClose(x32.grad!, x64.grad!, 1e-4, 1e-5);
      expectAllClose(w32.grad!, w64.grad!, 1e-4, 1e-5);
      if (b32) expectAllClose(b32.grad!, b64!.grad!, 1e-4, 1e-5);
    });
  }

  it('float64 backward kernels match the reference adjoints', () => {
    // <conv(x), dy> = <x, dx> = <w, dw>: check dx and dw against finite sums of the reference.
    const rng = new nm.Rng(21);
    const x = nm.randn([2, 9, 3], { rng, dtype: 'float64', requiresGrad: true });
    const w = nm.randn([4, 3, 2], { rng, dtype: 'float64', requiresGrad: true });
    const y = nm.conv1d(x, w, null, { stride: 2, padding: 'same' });
    const dy = nm.randn(y.shape, { rng, dtype: 'float64' });
    y.backward(dy);
    // dw[k,c,o] = Σ_{b,t} x[b, t·s+k-pad, c]·dy[b,t,o]: the reference conv is linear in w, so dw[i] = <conv(x, e_i), dy>.
    const dw = new Float64Array(w.size);
    for (let i = 0; i < w.size; i++) {
      const e = nm.zeros(w.shape, { dtype: 'float64' });
      e.values[i] = 1;
      const { y: yi } = referenceConv1d(x, e, null, 2, 'same');
      dw[i] = yi.reduce((s, v, p) => s + v * dy.values[p], 0);
    }
    expectAllClose(w.grad!, dw, 1e-12, 1e-12);
    const dx = new Float64Array(x.size);
    for (let i = 0; i < x.size; i++) {
      const e = nm.zeros(x.shape, { dtype: 'float64' });
      e.values[i] = 1;
      const { y: yi } = referenceConv1d(e, w, null, 2, 'same');
      dx[i] = yi.reduce((s, v, p) => s + v * dy.values[p], 0);
    }
    expectAllClose(x.grad!, dx, 1e-12, 1e-12);
  });

  it('errors name the op and the shapes', () => {
    expect(() => nm.conv1d(nm.zeros([2, 10, 3]), nm.zeros([3, 4, 8]))).toThrow('conv1d: input channels differ (x=[2,10,3], w=[3,4,8])');
    expect(() => nm.conv1d(nm.zeros([2, 2, 1]), nm.zeros([3, 1, 8]))).toThrow("conv1d: kernel size 3 exceeds the input length 2 with 'valid' padding");
    expect(() => nm.conv1d(nm.zeros([2, 10, 1]), nm.zeros([3, 1, 8]), null, { stride: 0 })).toThrow('conv1d: stride must be a positive integer, got 0');
  });
});

describe('maxPool1d', () => {
  it('max over windows with the argmax switches, by hand (ties to the lowest index)', () => {
    // channel 0: [1, 1 | 0, 2 | 7] -> windows of 2 (the tail 7 is dropped): max 1 (tie: index 0), 2 (index 3)
    // channel 1: [5, 3 | 2, 9 | 0] -> 5 (index 0), 9 (index 3)
    const x = nm.tensor([[[1, 5], [1, 3], [0, 2], [2, 9], [7, 0]]], { requiresGrad: true });
    const y = nm.maxPool1d(x, { poolSize: 2 });
    expect(y.toArray()).toEqual([[[1, 5], [2, 9]]]);
    y.backward(nm.tensor([[[10, 20], [30, 40]]]));
    expect(x.grad!.toArray()).toEqual([[[10, 20], [0, 0], [0, 0], [30, 40], [0, 0]]]);
  });

  it('overlapping windows add up in the gradient', () => {
    // [1, 3, 2] with poolSize 2, stride 1: windows [1,3] and [3,2] both pick index 1
    const x = nm.tensor([[[1], [3], [2]]], { requiresGrad: true });
    const y = nm.maxPool1d(x, { poolSize: 2, stride: 1 });
    expect(y.toArray()).toEqual([[[3], [3]]]);
    y.backward(nm.tensor([[[1], [2]]]));
    expect(x.grad!.toArray()).toEqual([[[0], [3], [0]]]);
  });

  it('DCL-MoE size: [64, 38, 64] -> [64, 19, 64], each output the max of its window', () => {
    const x = nm.randn([64, 38, 64], { rng: new nm.Rng(31) });
    const y = nm.maxPool1d(x, { poolSize: 2 });
    expect(y.shape).toEqual([64, 19, 64]);
    const xs = x.values;
    const ys = y.values;
    for (const [b, t, c] of [[0, 0, 0], [63, 18, 63], [17, 9, 5]]) {
      expect(ys[(b * 19 + t) * 64 + c]).toBe(Math.max(xs[(b * 38 + 2 * t) * 64 + c], xs[(b * 38 + 2 * t + 1) * 64 + c]));
    }
  });

  it('errors name the op and the shapes', () => {
    expect(() => nm.maxPool1d(nm.zeros([2, 3]), { poolSize: 2 })).toThrow('maxPool1d: expected x [B, L, C], got [2,3]');
    expect(() => nm.maxPool1d(nm.zeros([1, 3, 2]), { poolSize: 4 })).toThrow('maxPool1d: poolSize 4 exceeds the input length (x=[1,3,2])');
  });
});

describe('dropout', () => {
  it('is the identity (the same tensor, no op recorded) when not training or rate = 0', () => {
    const x = nm.ones([3, 4], { requiresGrad: true });
    expect(nm.dropout(x, 0.5, { training: false, rng: new nm.Rng(1) })).toBe(x);
    expect(nm.dropout(x, 0, { training: true, rng: new nm.Rng(1) })).toBe(x);
  });

  it('zeros about `rate` of the elements and scales the rest by 1 / (1 - rate)', () => {
    const x = nm.ones([100, 100]);
    const y = nm.dropout(x, 0.3, { training: true, rng: new nm.Rng(2) }).toFlatArray();
    const kept = y.filter((v) => v !== 0);
    for (const v of kept) expect(v).toBeCloseTo(1 / 0.7, 6);
    expect(kept.length / y.length).toBeGreaterThan(0.68);
    expect(kept.length / y.length).toBeLessThan(0.72);
  });

  it('the same seed gives the same mask; the gradient is mask / (1 - rate)', () => {
    const a = nm.dropout(nm.ones([5, 7]), 0.5, { training: true, rng: new nm.Rng(3) }).toFlatArray();
    const b = nm.dropout(nm.ones([5, 7]), 0.5, { training: true, rng: new nm.Rng(3) }).toFlatArray();
    expect(a).toEqual(b);
    const x = nm.randn([5, 7], { rng: new nm.Rng(4), requiresGrad: true });
    nm.dropout(x, 0.5, { training: true, rng: new nm.Rng(3) }).sum().backward();
    expect(x.grad!.toFlatArray()).toEqual(a); // ones · mask · 2 = the forward output on ones
  });

  it('dropoutWithMask by hand', () => {
    // [2, 4, 6] · [1, 0, 1] / (1 - 0.5) = [4, 0, 12]
    expect(nm.dropoutWithMask(nm.tensor([2, 4, 6]), nm.tensor([1, 0, 1]), 0.5).toArray()).toEqual([4, 0, 12]);
    expect(() => nm.dropoutWithMask(nm.zeros([3]), nm.zeros([2]), 0.5)).toThrow('dropoutWithMask: mask float32[2] must match x float32[3]');
    expect(() => nm.dropout(nm.zeros([3]), 1, { training: true, rng: new nm.Rng(1) })).toThrow('dropout: rate must be in [0, 1), got 1');
  });
});
