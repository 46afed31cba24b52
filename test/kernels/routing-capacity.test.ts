// Bucketed expert capacities: the bucket rule, the slot-array bound, and a padded MoE block's outputs and gradients bit-for-bit equal to the exact one's on the CPU.

import { afterEach, describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import type { DType } from '../../src/tensor/dtype.ts';
import { WASM_MIN_MACS } from '../../src/kernels/wasm/backend.ts';
import { type Capacity, MIN_GRANULE, bucketCapacity, capacityOf, slotCount } from '../../src/tensor/ops/routing-capacity.ts';

describe('bucketCapacity', () => {
  it('rounds up to the smallest multiple of max(8, 2^floor(log2 c) / 4) (hand-picked values)', () => {
    // 9: granule 8 -> 16; 33: 2^5 / 4 = 8 -> 40; 100: 2^6 / 4 = 16 -> 112; 129: 2^7 / 4 = 32 -> 160; 600: 2^9 / 4 = 128 -> 640
    expect([0, 1, 7, 8, 9, 31, 32, 33, 64, 100, 128, 129, 160, 161, 600].map(bucketCapacity)).toEqual([0, 8, 8, 8, 16, 32, 32, 40, 64, 112, 128, 160, 160, 192, 640]);
  });

  it('pads by less than one granule: under max(8, count / 4) rows, and never below the count', () => {
    for (let c = 1; c <= 5000; c++) {
      const cap = bucketCapacity(c);
      const granule = Math.max(MIN_GRANULE, 2 ** Math.floor(Math.log2(c)) / 4);
      expect(cap % granule, `count ${c}`).toBe(0);
      expect(cap >= c && cap - c < granule, `count ${c} -> ${cap}`).toBe(true);
      expect(cap - c < Math.max(MIN_GRANULE, c / 4), `count ${c} -> ${cap}`).toBe(true);
      expect(cap >= bucketCapacity(c - 1), `monotone at ${c}`).toBe(true);
    }
  });

  it('has at most 4 sizes per doubling (the bound on kernel shapes)', () => {
    for (let power = 32; power <= 4096; power *= 2) {
      const sizes = new Set<number>();
      for (let c = power + 1; c <= 2 * power; c++) sizes.add(bucketCapacity(c));
      expect(sizes.size, `counts (${power}, ${2 * power}]`).toBe(4);
    }
    const small = new Set(Array.from({ length: 32 }, (_, c) => bucketCapacity(c + 1)));
    expect([...small]).toEqual([8, 16, 24, 32]);
  });

  it("'exact' keeps the count", () => {
    expect([0, 5, 129].map((c) => capacityOf(c, 'exact'))).toEqual([0, 5, 129]);
  });
});

describe('slotCount', () => {
  it('holds every padded plan: the worst case (each count just past a bucket) and random routings', () => {
    const rng = new nm.Rng('routing-capacity/slots');
    const check = (counts: number[]): void => {
      const pairs = counts.reduce((a, c) => a + c, 0);
      const padded = counts.reduce((a, c) => a + bucketCapacity(c), 0);
      expect(padded, `counts [${counts}]`).toBeLessThanOrEqual(slotCount(pairs, counts.length, 'bucket'));
    };
    // Padding is largest one past a granule boundary: 1 (7 rows), 33 (7), 65 (15), 129 (31), 257 (63).
    for (const c of [1, 9, 33, 65, 129, 257, 513]) for (const E of [1, 3, 8]) check(new Array<number>(E).fill(c));
    check([1, 129, 257, 0, 33]);
    for (let trial = 0; trial < 300; trial++) {
      const E = 1 + Math.floor(rng.next() * 12);
      check(Array.from({ length: E }, () => Math.floor(rng.next() ** 3 * 700)));
    }
    expect(slotCount(1280, 8, 'exact')).toBe(1280);
    expect(slotCount(1280, 8, 'bucket')).toBe(1280 + 320 + 56);
  });

  it('routingPlan fills the slots past the last block with -1', () => {
    const plan = nm.routingPlan(nm.tensor([0, 0, 0, 1], { dtype: 'int32', shape: [4, 1] }), 2); // counts [3, 1]
    expect(plan.tokenOfSlot.size).toBe(slotCount(4, 2, 'bucket'));
    const tokens = plan.tokenOfSlot.toFlatArray();
    expect(tokens.slice(0, 16)).toEqual([0, 1, 2, -1, -1, -1, -1, -1, 3, -1, -1, -1, -1, -1, -1, -1]);
    expect(tokens.slice(16).every((t) => t === -1)).toBe(true);
  });
});

// ---- padded vs exact: a whole MoE block on the CPU --------------------------------------------------

interface Block {
  /** Values as numbers (float32 ones widen exactly). */
  y: number[];
  grads: (number[] | null)[];
  capacities: readonly number[];
  counts: readonly number[];
}

/**
 * A top-k MoE feed-forward block, forward and backward, with one routing capacity. The experts are
 * dense + tanh with a bias (their padded rows output tanh(b) != 0, which the combine must ignore), one expert
 * gets no tokens, and a linear term on expert 0's whole input block sends a gradient into its padded rows
 * too (their value is 0, so the term is the same; the rows are constants, so dispatch must send it nowhere).
 */
function moeBlock(capacity: Capacity, dtype: DType, N: number, seed: string): Block {
  const D = 6;
  const DOUT = 5;
  const E = 4;
  const K = 2;
  const IDLE = 2;
  const rng = new nm.Rng(seed);
  const normal = (shape: number[], std = 1): Tensor => nm.randn(shape, { rng, std, dtype });
  const x = normal([N, D]).requireGrad();
  const wRouter = normal([D, E]).requireGrad();
  const bias = normal([E], 0.3);
  bias.values[IDLE] = -50;
  const bRouter = bias.requireGrad();
  const wExperts = Array.from({ length: E }, () => normal([D, DOUT], 0.4).requireGrad());
  const bExperts = Array.from({ length: E }, () => normal([DOUT], 0.5).requireGrad());
  const g = normal([N, DOUT]);
  const logits = nm.dense(x, wRouter, bRouter);
  const { weights, indices } = nm.topkSoftmax(logits, K);
  const plan = nm.routingPlan(indices, E, { capacity });
  const xs = nm.moeDispatch(x, plan);
  const hidden = xs.map((xe, e) => (plan.counts[e] > 0 ? nm.dense(xe, wExperts[e], bExperts[e], 'tanh') : null));
  const y = nm.moeCombine(hidden, weights, plan);
  const loss = nm.add(nm.sum(nm.mul(y, g)), nm.sum(nm.mul(xs[0], 3)));
  loss.backward();
  const params = [x, wRouter, bRouter, ...wExperts, ...bExperts];
  return { y: y.toFlatArray(), grads: params.map((p) => (p.grad ? p.grad.toFlatArray() : null)), capacities: plan.capacities, counts: plan.counts };
}

describe('a padded MoE block equals the exact one bit for bit on the CPU', () => {
  afterEach(() => nm.disableWasmKernels());

  const compare = (N: number, dtype: DType): { exact: Block; padded: Block } => {
    const exact = moeBlock('exact', dtype, N, `capacity/${N}`);
    const padded = moeBlock('bucket', dtype, N, `capacity/${N}`);
    // The comparison means something: padding happened, and one expert is idle.
    expect(padded.counts).toEqual(exact.counts);
    expect(exact.capacities).toEqual(exact.counts);
    expect(padded.capacities).toEqual(exact.counts.map(bucketCapacity));
    expect(padded.capacities.filter((c, e) => c > exact.counts[e]).length).toBeGreaterThan(0);
    expect(exact.counts.filter((c) => c === 0).length).toBe(1);
    // toEqual compares numbers with Object.is: bit-for-bit, -0 and +0 told apart.
    expect(padded.y).toEqual(exact.y);
    expect(padded.grads).toEqual(exact.grads);
    return { exact, padded };
  };

  // N = 40: counts ~20 (granule 8); N = 150: counts ~75 (granule 16); N = 300: counts ~150 (granule 32).
  it.each([40, 150, 300].flatMap((N) => (['float64', 'float32'] as const).map((dtype) => [N, dtype] as const)))('N=%i %s, reference kernels', (N, dtype) => {
    compare(N, dtype);
  });

  // NOTE: the wasm backend takes a dense only from WASM_MIN_MACS multiply-adds up (smaller ones stay on the
  // reference GEMM), so an exact block just under the line and its padded block just over it run on two
  // GEMMs that round differently (N = 40 here: 33 rows x 6 x 5 = 990 on the reference, 40 rows on wasm; the
  // results then agree to float32 rounding, not bit for bit). These sizes keep every block over the line.
  it.each([150, 300])('N=%i float32, wasm SIMD kernels (every expert GEMM on wasm, exact and padded)', (N) => {
    if (!nm.enableWasmKernels()) return; // no WebAssembly SIMD here: the reference cases cover it
    const { exact } = compare(N, 'float32');
    const smallest = Math.min(...exact.counts.filter((c) => c > 0));
    expect(smallest * 6 * 5).toBeGreaterThanOrEqual(WASM_MIN_MACS);
  });
});
