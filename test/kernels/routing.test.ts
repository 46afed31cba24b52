// Value tests for MoE routing: topk (ties), topkSoftmax, routingPlan, dispatch / combine against a dense reference, load balancing.

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { expectAllClose } from '../helpers/allclose.ts';

const int32 = (values: number[], shape?: number[]): nm.Tensor => nm.tensor(values, { dtype: 'int32', shape });
const LN3 = Math.log(3);

describe('topk', () => {
  it('returns the k largest per row, largest first, with their indices', () => {
    const { values, indices } = nm.topk(nm.tensor([[0.1, 0.7, 0.2], [3, -1, 5]], { dtype: 'float64' }), 2);
    expect(values.toArray()).toEqual([[0.7, 0.2], [5, 3]]);
    expect(indices.dtype).toBe('int32');
    expect(indices.toArray()).toEqual([[1, 2], [2, 0]]);
  });

  it('breaks ties toward the lower index (NOTE in the op table)', () => {
    expect(nm.topk(nm.tensor([1, 3, 3, 2]), 2).indices.toArray()).toEqual([1, 2]);
    expect(nm.topk(nm.tensor([5, 5, 5]), 1).indices.toArray()).toEqual([0]);
    expect(nm.topk(nm.tensor([2, 7, 2, 7]), 4).indices.toArray()).toEqual([1, 3, 0, 2]);
  });

  it('works on any leading shape, on int32, and on strided views', () => {
    const x = nm.arange(12).reshape([2, 2, 3]); // rows [0,1,2], [3,4,5], ...
    expect(x.topk(1).values.toArray()).toEqual([[[2], [5]], [[8], [11]]]);
    expect(nm.topk(int32([4, 9, 1]), 2).values.toArray()).toEqual([9, 4]);
    const t = nm.transpose(nm.tensor([[1, 9], [5, 2], [7, 3]])); // rows [1, 5, 7] and [9, 2, 3]
    expect(nm.topk(t, 2).indices.toArray()).toEqual([[2, 1], [0, 2]]);
  });

  it('sends the values gradient back to the selected positions only', () => {
    const x = nm.tensor([[0.5, -1, 2, 0]], { dtype: 'float64', requiresGrad: true });
    nm.topk(x, 2).values.backward(nm.tensor([[10, 20]], { dtype: 'float64' }));
    expect(x.grad!.toArray()).toEqual([[20, 0, 10, 0]]);
  });

  it('rejects k outside [1, E]', () => {
    expect(() => nm.topk(nm.zeros([2, 3]), 4)).toThrow('topk: k must be an integer in [1, 3], got 4 (x=[2,3])');
    expect(() => nm.topkSoftmax(nm.zeros([2, 3]), 0)).toThrow('topkSoftmax: k must be an integer in [1, 3], got 0');
  });
});

describe('topkSoftmax', () => {
  it('softmaxes the selected logits only', () => {
    // top-2 of [2, 0, 2 + ln 3] are indices 2 and 0; softmax([2 + ln 3, 2]) = [3, 1] / 4
    const { weights, indices } = nm.topkSoftmax(nm.tensor([[2, 0, 2 + LN3]], { dtype: 'float64' }), 2);
    expectAllClose(weights, [[0.75, 0.25]], 1e-15, 1e-15);
    expect(indices.toArray()).toEqual([[2, 0]]);
    // k = 1: the single weight is exactly 1
    expect(nm.topkSoftmax(nm.tensor([[0.3, 0.1]]), 1).weights.toArray()).toEqual([[1]]);
  });

  it('equals softmax over all experts, then top-k, then renormalise', () => {
    const x = nm.randn([6, 7], { rng: new nm.Rng(11), dtype: 'float64' });
    const { weights, indices } = nm.topkSoftmax(x, 3);
    const p = nm.softmax(x).toArray() as number[][];
    const idx = indices.toArray() as number[][];
    const expected = idx.map((row, n) => {
      const picked = row.map((e) => p[n][e]);
      const s = picked.reduce((a, b) => a + b, 0);
      return picked.map((v) => v / s);
    });
    expectAllClose(weights, expected, 1e-14, 1e-15);
  });

  it('gives unselected logits a zero gradient', () => {
    const x = nm.tensor([[1, 4, 2, 3]], { dtype: 'float64', requiresGrad: true });
    // select 1 and 3; dy = [1, -1] on weights w = softmax([4, 3])
    nm.topkSoftmax(x, 2).weights.backward(nm.tensor([[1, -1]], { dtype: 'float64' }));
    const w0 = 1 / (1 + Math.exp(-1));
    const w1 = 1 - w0;
    // softmax rule: dz = w * (dy - (w0 - w1)) -> [2 w0 w1, -2 w0 w1]
    expectAllClose(x.grad!, [[0, 2 * w0 * w1, 0, -2 * w0 * w1]], 1e-15, 1e-15);
  });
});

describe('routingPlan / moeDispatch / moeCombine', () => {
  // Token 0 -> experts [1, 0], token 1 -> experts [1, 2] (E = 3, k = 2).
  // Sorted by expert then token: slots (t0,e0) (t0,e1) (t1,e1) (t1,e2); pairs n*k + j: 1, 0, 2, 3.
  const indices = (): nm.Tensor => int32([1, 0, 1, 2], [2, 2]);

  const exact = { capacity: 'exact' } as const;

  it('sorts (token, choice) pairs by expert, stably', () => {
    const plan = nm.routingPlan(indices(), 3, exact);
    expect(plan.counts).toEqual([1, 2, 1]);
    expect(plan.capacities).toEqual([1, 2, 1]);
    expect(plan.offsets).toEqual([0, 1, 3]);
    expect(plan.tokenOfSlot.toArray()).toEqual([0, 0, 1, 1]);
    expect(plan.pairOfSlot.toArray()).toEqual([1, 0, 2, 3]);
    // The inverse permutation, shaped as the indices: pair (n, j) sits in slot slotOfPair[n][j].
    expect(plan.slotOfPair.toArray()).toEqual([[1, 0], [2, 3]]);
    expect([plan.numTokens, plan.k, plan.numExperts]).toEqual([2, 2, 3]);
  });

  it('pads each expert block to its bucketed capacity by default (padded slots -1)', () => {
    const plan = nm.routingPlan(indices(), 3);
    expect(plan.capacity).toBe('bucket');
    expect(plan.counts).toEqual([1, 2, 1]);
    expect(plan.capacities).toEqual([8, 8, 8]); // each count rounded up to the smallest granule
    expect(plan.offsets).toEqual([0, 8, 16]);
    // slotCount(4 pairs, 3 experts) = 4 + floor(4 / 4) + 7 * 3 = 26 slots: 3 blocks of 8, then 2 past the last block.
    const pad = (n: number): number[] => new Array<number>(n).fill(-1);
    expect(plan.tokenOfSlot.toArray()).toEqual([0, ...pad(7), 0, 1, ...pad(6), 1, ...pad(7), ...pad(2)]);
    expect(plan.pairOfSlot.toArray()).toEqual([1, ...pad(7), 0, 2, ...pad(6), 3, ...pad(7), ...pad(2)]);
    expect(plan.slotOfPair.toArray()).toEqual([[8, 0], [9, 16]]);
    expect(() => nm.routingPlan(indices(), 3, { capacity: 'loose' as 'exact' })).toThrow("routingPlan: capacity must be 'bucket' or 'exact', got 'loose'");
  });

  it('dispatches padded blocks: the tokens, then zero rows', () => {
    const plan = nm.routingPlan(int32([1, 0, 1, 3], [2, 2]), 4); // expert 2 gets nobody: an empty block
    const xs = nm.moeDispatch(nm.tensor([[1, 2], [3, 4]]), plan);
    const zeros = (n: number): number[][] => Array.from({ length: n }, () => [0, 0]);
    expect(xs.map((t) => t.shape)).toEqual([[8, 2], [8, 2], [0, 2], [8, 2]]);
    expect(xs.map((t) => t.toArray())).toEqual([[[1, 2], ...zeros(7)], [[1, 2], [3, 4], ...zeros(6)], [], [[3, 4], ...zeros(7)]]);
  });

  it('dispatches each expert its own tokens, as views of one buffer', () => {
    const plan = nm.routingPlan(int32([1, 0, 1, 3], [2, 2]), 4, exact); // expert 2 gets nobody
    const xs = nm.moeDispatch(nm.tensor([[1, 2], [3, 4]]), plan);
    expect(xs.map((t) => t.toArray())).toEqual([[[1, 2]], [[1, 2], [3, 4]], [], [[3, 4]]]);
    expect(xs[2].shape).toEqual([0, 2]);
    expect(new Set(xs.map((t) => t.storage)).size).toBe(1);
  });

  it('combines weighted expert outputs by hand', () => {
    const plan = nm.routingPlan(indices(), 3);
    const xs = nm.moeDispatch(nm.tensor([[1, 2], [3, 4]]), plan);
    // expert e multiplies by e + 1: token 0 gets 0.5 * 2 x0 + 0.5 * 1 x0 = 1.5 x0 = [1.5, 3];
    // token 1 gets 0.25 * 2 x1 + 0.75 * 3 x1 = 2.75 x1 = [8.25, 11]
    const y = nm.moeCombine(xs.map((t, e) => nm.mul(t, e + 1)), nm.tensor([[0.5, 0.5], [0.25, 0.75]]), plan);
    expect(y.toArray()).toEqual([[1.5, 3], [8.25, 11]]);
  });

  it('accepts null for an expert with no tokens and rejects it otherwise', () => {
    const plan = nm.routingPlan(int32([0, 0], [2, 1]), 2, exact); // top-1, both tokens on expert 0
    const y = nm.moeCombine([nm.tensor([[1], [2]]), null], nm.tensor([[1], [0.5]]), plan);
    expect(y.toArray()).toEqual([[1], [1]]);
    expect(() => nm.moeCombine([null, nm.zeros([0, 1])], nm.ones([2, 1]), plan)).toThrow('moeCombine: expert 0 has 2 tokens but its output is null');
  });

  it('rejects inconsistent shapes and out-of-range experts, naming the op', () => {
    const plan = nm.routingPlan(indices(), 3, exact);
    expect(() => nm.routingPlan(int32([0, 3], [1, 2]), 3)).toThrow('routingPlan: index 3 at flat position 1 out of range [0, 3)');
    expect(() => nm.moeDispatch(nm.zeros([3, 2]), plan)).toThrow('moeDispatch: x must be [2, D] for this plan, got [3,2]');
    expect(() => nm.moeCombine([nm.zeros([1, 2]), nm.zeros([2, 2])], nm.zeros([2, 2]), plan)).toThrow('moeCombine: expected 3 expert outputs, got 2');
    expect(() => nm.moeCombine([nm.zeros([1, 2]), nm.zeros([1, 2]), nm.zeros([1, 2])], nm.zeros([2, 2]), plan)).toThrow(
      'moeCombine: expert 1 output must be [2, 2]',
    );
    expect(() => nm.moeCombine([nm.zeros([1, 2]), nm.zeros([2, 2]), nm.zeros([1, 2])], nm.zeros([2, 1]), plan)).toThrow(
      'moeCombine: weights must be [2, 2] for this plan, got [2,1]',
    );
    // A bucketed plan wants the padded blocks: an expert's output has its block's rows, not its token count.
    const padded = nm.routingPlan(indices(), 3);
    expect(() => nm.moeCombine([nm.zeros([1, 2]), nm.zeros([2, 2]), nm.zeros([1, 2])], nm.zeros([2, 2]), padded)).toThrow(
      'moeCombine: expert 0 output must be [8, 2] (outputs=[[1,2], [2,2], [1,2]], counts=[1,2,1], capacities=[8,8,8])',
    );
  });

  for (const [N, D, E, k, capacity] of [[1, 1, 2, 1, 'bucket'], [7, 5, 4, 2, 'exact'], [33, 3, 5, 3, 'bucket'], [16, 17, 8, 1, 'exact'], [300, 4, 3, 2, 'bucket']] as const) {
    it(`sparse MoE (float32) equals a dense float64 reference: N=${N}, D=${D}, E=${E}, k=${k}, ${capacity} capacity`, () => {
      const rng = new nm.Rng(N * 31 + E);
      const x = Array.from({ length: N * D }, () => rng.normal());
      const logits = Array.from({ length: N * E }, () => rng.normal());
      const scales = Array.from({ length: E * D }, () => rng.normal());
      // Expert e: tanh(x * scale_e) + 0.5, elementwise, so the reference is a plain loop.
      const { weights, indices } = nm.topkSoftmax(nm.tensor(logits, { shape: [N, E] }), k);
      const plan = nm.routingPlan(indices, E, { capacity });
      const xs = nm.moeDispatch(nm.tensor(x, { shape: [N, D] }), plan);
      // Experts see their padded rows too: they output 0.5 there, which the combine must ignore.
      const ys = xs.map((xe, e) => nm.add(nm.tanh(nm.mul(xe, nm.tensor(scales.slice(e * D, (e + 1) * D)))), 0.5));
      const y = nm.moeCombine(ys, weights, plan);
      const w = weights.toFlatArray();
      const idx = indices.toFlatArray();
      const expected: number[] = [];
      for (let n = 0; n < N; n++) {
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let j = 0; j < k; j++) acc += w[n * k + j] * (Math.tanh(x[n * D + d] * scales[idx[n * k + j] * D + d]) + 0.5);
          expected.push(acc);
        }
      }
      expectAllClose(y, expected, 1e-5, 1e-6);
      expect(plan.counts.reduce((a, b) => a + b, 0)).toBe(N * k);
    });
  }
});

describe('loadBalancingLoss', () => {
  it('is 1 for uniform routing and grows when one expert is favoured', () => {
    // probs all 1/2, one token per expert: 2 * (1/2 * 1/2 + 1/2 * 1/2) = 1
    const uniform = nm.routingPlan(int32([0, 1], [2, 1]), 2);
    expectAllClose(nm.loadBalancingLoss(nm.full([2, 2], 0.5), uniform), 1, 1e-7, 0);
    // both tokens to expert 0: f = [1, 0], P = mean([0.9, 0.1], [0.7, 0.3]) = [0.8, 0.2] -> 2 * 0.8 = 1.6
    const skewed = nm.routingPlan(int32([0, 0], [2, 1]), 2);
    expectAllClose(nm.loadBalancingLoss(nm.tensor([[0.9, 0.1], [0.7, 0.3]]), skewed), 1.6, 1e-6, 0);
  });
});
