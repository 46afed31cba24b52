// Value tests for softmax, logSoftmax, crossEntropy and nllFromProbs: hand-derived values, stability, errors, float32 vs a float64 reference.

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { expectAllClose } from '../helpers/allclose.ts';

const int32 = (values: number[], shape?: number[]): nm.Tensor => nm.tensor(values, { dtype: 'int32', shape });
const f64 = (values: nm.NestedArray, options: { requiresGrad?: boolean } = {}): nm.Tensor => nm.tensor(values, { dtype: 'float64', ...options });
const LN2 = Math.log(2);
const LN3 = Math.log(3);

describe('softmax / logSoftmax', () => {
  it('computes rows worked by hand', () => {
    // [1, 1] -> [1/2, 1/2]; [0, ln 3] -> [1, 3] / 4
    expectAllClose(nm.softmax(f64([[1, 1], [0, LN3]])), [[0.5, 0.5], [0.25, 0.75]], 1e-15, 1e-15);
    // log of the same: [-ln 2, -ln 2], [-ln 4, ln 3 - ln 4]
    expectAllClose(f64([[1, 1], [0, LN3]]).logSoftmax(), [[-LN2, -LN2], [-2 * LN2, LN3 - 2 * LN2]], 1e-15, 1e-15);
  });

  it('normalises along an inner axis without transposing', () => {
    // axis 0 of [[0, 0], [ln 3, 0]]: column 0 is [1, 3] / 4, column 1 is [1, 1] / 2
    expectAllClose(nm.softmax(f64([[0, 0], [LN3, 0]]), 0), [[0.25, 0.5], [0.75, 0.5]], 1e-15, 1e-15);
    expectAllClose(nm.logSoftmax(f64([[0, 0], [LN3, 0]]), 0), [[-2 * LN2, -LN2], [LN3 - 2 * LN2, -LN2]], 1e-15, 1e-15);
  });

  it('is stable for huge logits (no overflow, no log(0))', () => {
    // exp(1000) overflows; subtracting the max first gives exp(0) = 1 for both
    expect(nm.softmax(nm.tensor([1000, 1000])).toArray()).toEqual([0.5, 0.5]);
    expect(nm.softmax(nm.tensor([-1000, 0])).toArray()).toEqual([0, 1]);
    // log softmax of [1000, 0] is [0, -1000] exactly representable, where log(softmax) would give -Infinity
    expect(nm.logSoftmax(nm.tensor([1000, 0], { dtype: 'float64' })).toArray()).toEqual([0, -1000]);
  });

  it('backward against a random upstream gradient matches y * (dy - sum(dy * y))', () => {
    // x = [0, ln 3]: y = [1/4, 3/4]; dy = [1, -1]: sum(dy * y) = -1/2, dx = [1/4 * 3/2, 3/4 * -1/2] = [3/8, -3/8]
    const x = f64([0, LN3], { requiresGrad: true });
    nm.softmax(x).backward(f64([1, -1]));
    expectAllClose(x.grad!, [3 / 8, -3 / 8], 1e-15, 1e-15);
    // An all-ones dy gives exactly zero (why gradient checks never use it)
    const z = f64([0.3, -2, 1], { requiresGrad: true });
    nm.softmax(z).backward(f64([1, 1, 1]));
    expectAllClose(z.grad!, [0, 0, 0], 0, 1e-16);
  });

  it('rejects int32 input and bad axes', () => {
    expect(() => nm.softmax(int32([1, 2]))).toThrow('softmax: expected a float tensor, got int32[2]');
    expect(() => nm.logSoftmax(nm.zeros([2, 3]), 2)).toThrow('logSoftmax: axis 2 out of range for rank 2');
  });
});

describe('crossEntropy', () => {
  // logits [[0, ln 3], [0, 0]]: softmax rows [1/4, 3/4] and [1/2, 1/2]; labels [1, 0]
  // per-example losses: -ln(3/4) = ln(4/3) and -ln(1/2) = ln 2
  const logits = (): nm.Tensor => f64([[0, LN3], [0, 0]], { requiresGrad: true });
  const labels = int32([1, 0]);
  const l0 = Math.log(4 / 3);

  it('mean, sum and none reductions', () => {
    expectAllClose(nm.crossEntropy(logits(), labels), (l0 + LN2) / 2, 1e-15, 1e-15);
    expectAllClose(nm.crossEntropy(logits(), labels, { reduction: 'sum' }), l0 + LN2, 1e-15, 1e-15);
    const none = logits().crossEntropy(labels, { reduction: 'none' });
    expect(none.shape).toEqual([2]);
    expectAllClose(none, [l0, LN2], 1e-15, 1e-15);
  });

  it('gradient is (p - onehot) / N', () => {
    // row 0: ([1/4, 3/4] - [0, 1]) / 2 = [1/8, -1/8]; row 1: ([1/2, 1/2] - [1, 0]) / 2 = [-1/4, 1/4]
    const x = logits();
    nm.crossEntropy(x, labels).backward();
    expectAllClose(x.grad!, [[1 / 8, -1 / 8], [-1 / 4, 1 / 4]], 1e-15, 1e-15);
  });

  it('label smoothing mixes s / C into every class', () => {
    // s = 0.2, C = 2: targets 0.9 on the label, 0.1 on the other.
    // row 0: -(0.1 ln 1/4 + 0.9 ln 3/4); row 1 has uniform p, so the loss stays ln 2
    const y = nm.crossEntropy(logits(), labels, { reduction: 'none', labelSmoothing: 0.2 });
    expectAllClose(y, [-(0.1 * Math.log(0.25) + 0.9 * Math.log(0.75)), LN2], 1e-15, 1e-15);
    // gradient p - target, summed: row 0 [1/4 - 0.1, 3/4 - 0.9]
    const x = logits();
    nm.crossEntropy(x, labels, { reduction: 'sum', labelSmoothing: 0.2 }).backward();
    expectAllClose(x.grad!, [[0.15, -0.15], [-0.4, 0.4]], 1e-15, 1e-15);
  });

  it('equals -mean(logSoftmax(x)[label]) and stays finite for huge logits', () => {
    const rng = new nm.Rng(7);
    const x = nm.randn([5, 6], { rng, dtype: 'float64', std: 3 });
    const y = int32([0, 5, 2, 2, 3]);
    const picked = nm.gather(nm.reshape(nm.logSoftmax(x), [30]), int32([0, 11, 14, 20, 27]), 0);
    expectAllClose(nm.crossEntropy(x, y), -nm.mean(picked).item(), 1e-14, 1e-14);
    // logits 1000 apart: the loss of the wrong class is 1000, not Infinity
    expectAllClose(nm.crossEntropy(nm.tensor([[1000, 0]]), int32([1])), 1000, 1e-7, 0);
  });

  it('rejects bad labels and shapes, naming the op', () => {
    expect(() => nm.crossEntropy(nm.zeros([2, 3]), int32([0, 3]))).toThrow('crossEntropy: label 3 at row 1 out of range for 3 classes (inputs=[2,3])');
    expect(() => nm.crossEntropy(nm.zeros([2, 3]), int32([-1, 0]))).toThrow('crossEntropy: label -1 at row 0');
    expect(() => nm.crossEntropy(nm.zeros([2, 3]), nm.tensor([0, 1]))).toThrow('crossEntropy: labels must be int32, got float32[2]');
    expect(() => nm.crossEntropy(nm.zeros([2, 3]), int32([0]))).toThrow('crossEntropy: labels must be [2] for inputs [2,3], got [1]');
    expect(() => nm.crossEntropy(nm.zeros([3]), int32([0]))).toThrow('crossEntropy: expected [N, C] inputs, got [3]');
    expect(() => nm.crossEntropy(nm.zeros([1, 2]), int32([0]), { labelSmoothing: 1 })).toThrow('labelSmoothing must be in [0, 1)');
  });
});

describe('nllFromProbs', () => {
  it('is mean(-log(p[label] + eps)) with gradient -1 / (N (p + eps)) at the label', () => {
    // rows [1/2, 1/2] label 0 and [1/4, 3/4] label 1: losses ln 2 and ln(4/3)
    const p = f64([[0.5, 0.5], [0.25, 0.75]], { requiresGrad: true });
    const loss = nm.nllFromProbs(p, int32([0, 1]), { eps: 0 });
    expectAllClose(loss, (LN2 + Math.log(4 / 3)) / 2, 1e-15, 1e-15);
    loss.backward();
    // -1 / (2 * 0.5) = -1 and -1 / (2 * 0.75) = -2/3; other classes 0
    expectAllClose(p.grad!, [[-1, 0], [0, -2 / 3]], 1e-15, 1e-15);
  });

  it('eps keeps a zero probability finite; none and sum reductions', () => {
    // -log(0 + 1e-7) = 7 ln 10
    expectAllClose(nm.nllFromProbs(f64([[0, 1]]), int32([0])), 7 * Math.log(10), 1e-9, 0);
    expectAllClose(nm.nllFromProbs(f64([[0.5, 0.5], [0.25, 0.75]]), int32([1, 0]), { eps: 0, reduction: 'none' }), [LN2, 2 * LN2], 1e-15, 1e-15);
    expectAllClose(nm.nllFromProbs(f64([[0.5, 0.5], [0.25, 0.75]]), int32([1, 0]), { eps: 0, reduction: 'sum' }), 3 * LN2, 1e-15, 1e-15);
  });

  it('on softmax(x) it equals crossEntropy(x) (up to eps)', () => {
    const x = nm.randn([4, 5], { rng: new nm.Rng(9), dtype: 'float64' });
    const y = int32([4, 0, 1, 1]);
    expectAllClose(nm.nllFromProbs(nm.softmax(x), y, { eps: 0 }), nm.crossEntropy(x, y), 1e-14, 1e-14);
  });

  it('rejects a label out of range', () => {
    expect(() => nm.nllFromProbs(nm.zeros([1, 4]), int32([4]))).toThrow('nllFromProbs: label 4 at row 0 out of range for 4 classes (inputs=[1,4])');
  });
});

/** log-softmax rows of a flat [rows, C] array, the obvious way, in float64. */
function referenceLogSoftmax(x: number[], C: number): number[] {
  const y: number[] = [];
  for (let r = 0; r < x.length / C; r++) {
    const row = x.slice(r * C, (r + 1) * C);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    row.forEach((v) => y.push(v - lse));
  }
  return y;
}

describe('float32 kernels against a float64 reference (tails, odd sizes, batch 1)', () => {
  for (const [N, C] of [[1, 1], [1, 7], [64, 20], [5, 129], [3, 2]]) {
    it(`softmax, logSoftmax and crossEntropy forward + backward on [${N}, ${C}]`, () => {
      const rng = new nm.Rng(N * 1000 + C);
      const x = Array.from({ length: N * C }, () => 4 * rng.normal());
      const labels = Array.from({ length: N }, () => rng.int(C));
      const logp = referenceLogSoftmax(x, C);
      const p = logp.map(Math.exp);
      const x32 = nm.tensor(x, { shape: [N, C] });
      expectAllClose(nm.softmax(x32), p, 1e-5, 1e-7);
      expectAllClose(nm.logSoftmax(x32), logp, 1e-5, 1e-5);
      const lossRef = labels.reduce((a, y, n) => a - logp[n * C + y], 0) / N;
      const logits = nm.tensor(x, { shape: [N, C], requiresGrad: true });
      const loss = nm.crossEntropy(logits, int32(labels));
      expectAllClose(loss, lossRef, 1e-5, 1e-6);
      loss.backward();
      const gradRef = p.map((v, i) => (v - (labels[Math.floor(i / C)] === i % C ? 1 : 0)) / N);
      expectAllClose(logits.grad!, gradRef, 1e-5, 1e-7);
    });
  }

  it('softmax over the middle axis of [3, 5, 4] equals softmax of the transposed rows', () => {
    const x = nm.randn([3, 5, 4], { rng: new nm.Rng(3) });
    const direct = nm.softmax(x, 1);
    const viaPermute = nm.permute(nm.softmax(nm.permute(x, [0, 2, 1]).contiguous(), -1), [0, 2, 1]);
    expectAllClose(direct, viaPermute, 1e-6, 1e-7);
  });
});
