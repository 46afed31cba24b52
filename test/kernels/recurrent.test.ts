// Value tests for the fused LSTM: a step by hand, the fused kernel against plain-loop references (float32 and
// float64), strided inputs, BPTT against autograd through the unrolled LSTM, float32 gradients against float64.

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import type { DType } from '../../src/tensor/dtype.ts';
import { expectAllClose } from '../helpers/allclose.ts';

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

interface LstmData {
  B: number; T: number; F: number; H: number;
  x: number[]; wIh: number[]; wHh: number[]; b: number[]; h0: number[]; c0: number[];
}

/** Seeded random LSTM inputs as plain arrays (h0 / c0 zeros when `withState` is false). */
function lstmData(B: number, T: number, F: number, H: number, seed: number, withState: boolean): LstmData {
  const rng = new nm.Rng(seed);
  const draw = (n: number, scale: number): number[] => Array.from({ length: n }, () => scale * rng.normal());
  const state = (): number[] => (withState ? draw(B * H, 1) : new Array<number>(B * H).fill(0));
  return { B, T, F, H, x: draw(B * T * F, 1), wIh: draw(F * 4 * H, 0.5), wHh: draw(H * 4 * H, 0.5), b: draw(4 * H, 0.5), h0: state(), c0: state() };
}

/**
 * The LSTM written the slow obvious way, in float64: per batch row, per step, per unit, every gate as its own dot
 * product. Returns y: [B, T, H] and cT: [B, H] flat.
 */
function referenceLstm(d: LstmData): { y: number[]; cT: number[] } {
  const { B, T, F, H } = d;
  const y: number[] = [];
  const cT: number[] = [];
  for (let n = 0; n < B; n++) {
    let h = d.h0.slice(n * H, (n + 1) * H);
    let c = d.c0.slice(n * H, (n + 1) * H);
    for (let t = 0; t < T; t++) {
      const xt = d.x.slice((n * T + t) * F, (n * T + t + 1) * F);
      // Pre-activation of gate column `col` of the [.., 4H] weights (Keras order: i, f, c, o).
      const z = (col: number): number => {
        let s = d.b[col];
        for (let k = 0; k < F; k++) s += xt[k] * d.wIh[k * 4 * H + col];
        for (let k = 0; k < H; k++) s += h[k] * d.wHh[k * 4 * H + col];
        return s;
      };
      const hNext: number[] = [];
      const cNext: number[] = [];
      for (let j = 0; j < H; j++) {
        const i = sigmoid(z(j));
        const f = sigmoid(z(H + j));
        const g = Math.tanh(z(2 * H + j));
        const o = sigmoid(z(3 * H + j));
        cNext.push(f * c[j] + i * g);
        hNext.push(o * Math.tanh(cNext[j]));
      }
      h = hNext;
      c = cNext;
      y.push(...h);
    }
    cT.push(...c);
  }
  return { y, cT };
}

function runFused(d: LstmData, dtype: DType, withState: boolean): nm.LstmResult {
  const t = (values: number[], shape: number[]): Tensor => nm.tensor(values, { shape, dtype });
  const { B, T, F, H } = d;
  const options = withState ? { h0: t(d.h0, [B, H]), c0: t(d.c0, [B, H]) } : {};
  return nm.lstm(t(d.x, [B, T, F]), t(d.wIh, [F, 4 * H]), t(d.wHh, [H, 4 * H]), t(d.b, [4 * H]), options);
}

/** Rows y[:, T-1, :] of a flat [B, T, H] array. */
function lastStep(y: number[], B: number, T: number, H: number): number[] {
  return Array.from({ length: B }, (_, n) => y.slice((n * T + T - 1) * H, (n * T + T) * H)).flat();
}

describe('lstm forward', () => {
  it('matches two steps worked by hand (B=1, F=1, H=1)', () => {
    // Weights per gate (i, f, c, o): wIh = [0, 0, 1, 0], wHh = [2, 0, 0, 0], b = [0, 0, 0, ln 3], c0 = 2, h0 = 0.
    // Step 1 (x=1): z = [0, 0, 1, ln 3] -> i = f = 1/2, g = tanh 1, o = σ(ln 3) = 3/4;
    //   c1 = 2/2 + tanh(1)/2, h1 = 3/4 · tanh(c1).
    // Step 2 (x=-1): z = [2 h1, 0, -1, ln 3] -> i = σ(2 h1), f = 1/2, g = -tanh 1, o = 3/4;
    //   c2 = c1/2 - σ(2 h1) tanh 1, h2 = 3/4 · tanh(c2).
    const c1 = 1 + Math.tanh(1) / 2;
    const h1 = 0.75 * Math.tanh(c1);
    const c2 = c1 / 2 - sigmoid(2 * h1) * Math.tanh(1);
    const h2 = 0.75 * Math.tanh(c2);
    const { y, hT, cT } = nm.lstm(
      nm.tensor([[[1], [-1]]], { dtype: 'float64' }),
      nm.tensor([[0, 0, 1, 0]], { dtype: 'float64' }),
      nm.tensor([[2, 0, 0, 0]], { dtype: 'float64' }),
      nm.tensor([0, 0, 0, Math.log(3)], { dtype: 'float64' }),
      { c0: nm.tensor([[2]], { dtype: 'float64' }) },
    );
    expectAllClose(y, [[[h1], [h2]]], 1e-14, 1e-15);
    expectAllClose(hT, [[h2]], 1e-14, 1e-15);
    expectAllClose(cT, [[c2]], 1e-14, 1e-15);
  });

  const configs = [
    { B: 2, T: 5, F: 3, H: 4 },
    { B: 1, T: 1, F: 1, H: 1 },
    { B: 3, T: 7, F: 2, H: 5 },
    { B: 1, T: 9, F: 1, H: 7 },
    { B: 4, T: 1, F: 3, H: 3 },
  ];
  for (const { B, T, F, H } of configs) {
    for (const withState of [false, true]) {
      for (const dtype of ['float64', 'float32'] as const) {
        it(`matches the plain-loop reference: B=${B} T=${T} F=${F} H=${H}, ${withState ? 'with' : 'no'} initial state, ${dtype}`, () => {
          const d = lstmData(B, T, F, H, 1000 * B + 100 * T + 10 * F + H, withState);
          const ref = referenceLstm(d);
          const { y, hT, cT } = runFused(d, dtype, withState);
          // float64: the same sums in another order; float32: inputs and gates rounded to 24 bits.
          const [rtol, atol] = dtype === 'float64' ? [1e-12, 1e-13] : [1e-5, 1e-6];
          expect(y.shape).toEqual([B, T, H]);
          expectAllClose(y, ref.y, rtol, atol);
          expectAllClose(hT, lastStep(ref.y, B, T, H), rtol, atol);
          expectAllClose(cT, ref.cT, rtol, atol);
        });
      }
    }
  }

  it('reads strided views (x permuted from time-major, wHh transposed) like contiguous copies', () => {
    const rng = new nm.Rng(7);
    const [B, T, F, H] = [3, 4, 2, 3];
    const xTimeMajor = nm.randn([T, B, F], { rng, dtype: 'float64' });
    const wIh = nm.randn([F, 4 * H], { rng, dtype: 'float64' });
    const wHhT = nm.randn([4 * H, H], { rng, dtype: 'float64' });
    const b = nm.randn([4 * H], { rng, dtype: 'float64' });
    const h0 = nm.randn([B, H], { rng, dtype: 'float64' });
    const strided = nm.lstm(nm.permute(xTimeMajor, [1, 0, 2]), wIh, nm.transpose(wHhT), b, { h0 });
    const copied = nm.lstm(nm.permute(xTimeMajor, [1, 0, 2]).contiguous(), wIh, nm.transpose(wHhT).contiguous(), b, { h0 });
    expectAllClose(strided.y, copied.y, 0, 0);
    expectAllClose(strided.cT, copied.cT, 0, 0);
  });

  it('rejects mismatched shapes and dtypes, naming the op and the shapes', () => {
    const x = nm.zeros([2, 3, 4]);
    expect(() => nm.lstm(x, nm.zeros([4, 8]), nm.zeros([2, 8]), nm.zeros([7]))).toThrow('lstm: b must be [4H] = [8] (x=[2,3,4], wIh=[4,8], wHh=[2,8], b=[7])');
    expect(() => nm.lstm(x, nm.zeros([3, 8]), nm.zeros([2, 8]), nm.zeros([8]))).toThrow('lstm: wIh must be [F, 4H] = [4,8]');
    expect(() => nm.lstm(x, nm.zeros([4, 8]), nm.zeros([2, 6]), nm.zeros([8]))).toThrow('lstm: wHh must be [H, 4H]');
    expect(() => nm.lstm(nm.zeros([2, 4]), nm.zeros([4, 8]), nm.zeros([2, 8]), nm.zeros([8]))).toThrow('lstm: x must be [B, T, F]');
    expect(() => nm.lstm(x, nm.zeros([4, 8]), nm.zeros([2, 8]), nm.zeros([8]), { h0: nm.zeros([3, 2]) })).toThrow('lstm: h0 must be float32[B, H] = [2,2]');
    expect(() => nm.lstm(x, nm.zeros([4, 8], { dtype: 'float64' }), nm.zeros([2, 8]), nm.zeros([8]))).toThrow('lstm: dtypes differ');
  });
});

/**
 * The same LSTM unrolled into primitive ops (matmul, slice, sigmoid, tanh, mul, add, concat): autograd gives
 * its gradients through ~15 T graph nodes, an independent check of the hand-written BPTT.
 */
function unrolledLstm(x: Tensor, wIh: Tensor, wHh: Tensor, b: Tensor, h0: Tensor, c0: Tensor): Tensor[] {
  const [B, T] = x.shape;
  const H = wHh.shape[0];
  const xw = nm.add(nm.matmul(x, wIh), b); // [B, T, 4H]: the input side of every step
  let h = h0;
  let c = c0;
  const hs: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const z = nm.add(nm.reshape(nm.slice(xw, [0, t, 0], [B, t + 1, 4 * H]), [B, 4 * H]), nm.matmul(h, wHh));
    const gate = (k: number): Tensor => nm.slice(z, [0, k * H], [B, (k + 1) * H]); // Keras order i, f, c, o
    c = nm.add(nm.mul(nm.sigmoid(gate(1)), c), nm.mul(nm.sigmoid(gate(0)), nm.tanh(gate(2))));
    h = nm.mul(nm.sigmoid(gate(3)), nm.tanh(c));
    hs.push(nm.reshape(h, [B, 1, H]));
  }
  return [nm.concat(hs, 1), h, c];
}

describe('lstm backward', () => {
  it('matches autograd through the LSTM unrolled into primitive ops (float64, every input and output)', () => {
    const [B, T, F, H] = [3, 6, 2, 5];
    const run = (fused: boolean): number[][] => {
      const rng = new nm.Rng(123);
      const p = (shape: number[], std: number): Tensor => nm.randn(shape, { rng, dtype: 'float64', std, requiresGrad: true });
      const inputs = [p([B, T, F], 1), p([F, 4 * H], 0.5), p([H, 4 * H], 0.5), p([4 * H], 0.5), p([B, H], 1), p([B, H], 1)];
      const [x, wIh, wHh, b, h0, c0] = inputs;
      let outputs: Tensor[];
      if (fused) {
        const { y, hT, cT } = nm.lstm(x, wIh, wHh, b, { h0, c0 });
        outputs = [y, hT, cT];
      } else outputs = unrolledLstm(x, wIh, wHh, b, h0, c0);
      const upstream = outputs.map((y) => nm.randn(y.shape, { rng, dtype: 'float64' }));
      outputs.map((y, k) => nm.sum(nm.mul(y, upstream[k]))).reduce((a, l) => nm.add(a, l)).backward();
      return [...outputs.map((y) => y.toFlatArray()), ...inputs.map((t) => t.grad!.toFlatArray())];
    };
    const fused = run(true);
    const unrolled = run(false);
    fused.forEach((values, k) => expectAllClose(values, unrolled[k], 1e-10, 1e-12));
  });

  it('float32 gradients match float64 ones (every input, upstream on y, hT and cT)', () => {
    const [B, T, F, H] = [3, 6, 2, 5];
    const grads = (dtype: DType): number[][] => {
      const rng = new nm.Rng(99);
      const p = (shape: number[], std: number): Tensor => nm.randn(shape, { rng, dtype, std, requiresGrad: true });
      const inputs = [p([B, T, F], 1), p([F, 4 * H], 0.5), p([H, 4 * H], 0.5), p([4 * H], 0.5), p([B, H], 1), p([B, H], 1)];
      const [x, wIh, wHh, b, h0, c0] = inputs;
      const { y, hT, cT } = nm.lstm(x, wIh, wHh, b, { h0, c0 });
      const gy = nm.randn(y.shape, { rng, dtype });
      const gc = nm.randn(cT.shape, { rng, dtype });
      nm.add(nm.add(nm.sum(nm.mul(y, gy)), nm.sum(nm.mul(cT, gc))), nm.sum(nm.mul(hT, 0.5))).backward();
      return inputs.map((t) => t.grad!.toFlatArray());
    };
    const g64 = grads('float64');
    const g32 = grads('float32');
    g32.forEach((g, i) => expectAllClose(g, g64[i], 1e-4, 1e-5));
  });

  it('handles a broadcast (stride-0) upstream gradient, as sum() produces', () => {
    const rng = new nm.Rng(5);
    const p = (shape: number[]): Tensor => nm.randn(shape, { rng, dtype: 'float64', std: 0.5, requiresGrad: true });
    const [x, wIh, wHh, b] = [p([2, 3, 2]), p([2, 8]), p([2, 8]), p([8])];
    nm.lstm(x, wIh, wHh, b).y.sum().backward();
    const viaSum = wHh.grad!.toFlatArray();
    wHh.grad = null;
    nm.lstm(x, wIh, wHh, b).y.backward(nm.ones([2, 3, 2], { dtype: 'float64' }));
    expectAllClose(viaSum, wHh.grad!, 1e-14, 1e-15);
  });

  it('allocates nothing from the pool in the steady state (no per-step or per-call scratch leaks)', () => {
    const rng = new nm.Rng(11);
    const p = (shape: number[]): Tensor => nm.randn(shape, { rng, std: 0.5, requiresGrad: true }).keep();
    const params = [p([5, 3, 2]), p([2, 16]), p([4, 16]), p([16])];
    const step = (): void =>
      nm.tidy(() => {
        const [x, wIh, wHh, b] = params;
        const { y, cT } = nm.lstm(x, wIh, wHh, b);
        nm.add(nm.sum(y), nm.sum(cT)).backward();
        for (const t of params) {
          t.grad?.dispose();
          t.grad = null;
        }
      });
    step(); // warm the pool: every buffer size the step needs is now pooled
    const before = nm.bufferPoolStats().misses;
    step();
    step();
    expect(nm.bufferPoolStats().misses - before).toBe(0);
  });
});
