// Value tests for the GEMM, matmul and dense: hand-derived small cases, and float32 against a float64 naive reference.

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { gemm, type Activation } from '../../src/kernels/cpu/gemm.ts';
import { expectAllClose } from '../helpers/allclose.ts';

/** Seeded values in [-1, 1). */
function randomArray(n: number, seed: number, dtype: 'float32' | 'float64' = 'float32'): Float32Array | Float64Array {
  const rng = new nm.Rng(seed);
  const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(-1, 1);
  return out;
}

/** The spec: C = alpha·op(A)·op(B) + beta·C in float64, one dot product per element. */
function referenceGemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
  A: ArrayLike<number>, aOff: number, lda: number, B: ArrayLike<number>, bOff: number, ldb: number,
  beta: number, C: ArrayLike<number>, cOff: number, ldc: number,
): Float64Array {
  const out = Float64Array.from(C);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) {
        const a = transA ? A[aOff + k * lda + i] : A[aOff + i * lda + k];
        const b = transB ? B[bOff + j * ldb + k] : B[bOff + k * ldb + j];
        acc += a * b;
      }
      const p = cOff + i * ldc + j;
      out[p] = beta === 0 ? alpha * acc : alpha * acc + beta * C[p];
    }
  }
  return out;
}

function activate(v: number, activation: Activation): number {
  if (activation === 'relu') return Math.max(v, 0);
  if (activation === 'tanh') return Math.tanh(v);
  if (activation === 'sigmoid') return 1 / (1 + Math.exp(-v));
  return v;
}

describe('gemm (the blocked kernel)', () => {
  // Sizes: 1, odd, tails of the 4x4 tile, not multiples of the 64 / 256 / 512 cache blocks, matrix-vector,
  // the dense layer sizes of DCL-MoE, and a depth over KC = 256 (several depth blocks accumulate).
  const sizes: [number, number, number][] = [
    [1, 1, 1], [1, 7, 5], [6, 1, 3], [3, 5, 1], [4, 4, 4], [5, 7, 9], [8, 8, 8],
    [17, 33, 65], [64, 128, 40], [64, 40, 128], [63, 65, 257], [70, 530, 33], [130, 37, 300],
  ];
  for (const [M, N, K] of sizes) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`float32 ${M}x${N}x${K}${transA ? ' transA' : ''}${transB ? ' transB' : ''} matches the float64 reference`, () => {
        const A = randomArray(M * K, M * 1000 + K);
        const B = randomArray(K * N, N * 1000 + K + 1);
        const C = new Float32Array(M * N).fill(Number.NaN); // beta = 0: C must never be read
        gemm(transA, transB, M, N, K, 1, A, 0, transA ? M : K, B, 0, transB ? K : N, 0, C, 0, N);
        const expected = referenceGemm(transA, transB, M, N, K, 1, A, 0, transA ? M : K, B, 0, transB ? K : N, 0, new Float64Array(M * N), 0, N);
        // float32 storage of a float64 accumulation: relative error ~1e-7, a little more on long sums.
        expectAllClose(C, expected, 1e-5, 1e-5);
      });
    }
  }

  it('respects offsets and leading dimensions (sub-matrices of bigger buffers), alpha and beta', () => {
    const [M, N, K] = [37, 29, 45];
    const [lda, ldb, ldc] = [K + 3, N + 5, N + 2];
    const A = randomArray(7 + M * lda, 1, 'float64');
    const B = randomArray(11 + K * ldb, 2, 'float64');
    for (const [alpha, beta] of [[1, 1], [0.5, -2], [-1, 0]]) {
      const C = randomArray(5 + M * ldc, 3, 'float64');
      const expected = referenceGemm(false, false, M, N, K, alpha, A, 7, lda, B, 11, ldb, beta, C, 5, ldc);
      gemm(false, false, M, N, K, alpha, A, 7, lda, B, 11, ldb, beta, C, 5, ldc);
      expectAllClose(C, expected, 1e-12, 1e-12); // includes the padding between rows: it must be untouched
    }
  });

  it('K = 0 gives beta·C (zeros for beta = 0)', () => {
    const C = new Float64Array([Number.NaN, Number.NaN]);
    gemm(false, false, 1, 2, 0, 1, new Float64Array(0), 0, 0, new Float64Array(0), 0, 2, 0, C, 0, 2);
    expect(Array.from(C)).toEqual([0, 0]);
  });

  for (const activation of ['none', 'relu', 'tanh', 'sigmoid'] as const) {
    for (const [M, N, K] of [[3, 5, 4], [66, 37, 300]] as [number, number, number][]) {
      it(`epilogue bias + ${activation} at ${M}x${N}x${K} (applied once, after the last depth block)`, () => {
        const A = randomArray(M * K, 5, 'float64');
        const B = randomArray(K * N, 6, 'float64');
        const bias = randomArray(N + 2, 7, 'float64');
        const C = new Float64Array(M * N);
        gemm(false, false, M, N, K, 1, A, 0, K, B, 0, N, 0, C, 0, N, { bias, biasOff: 2, activation });
        const z = referenceGemm(false, false, M, N, K, 1, A, 0, K, B, 0, N, 0, new Float64Array(M * N), 0, N);
        const expected = z.map((v, p) => activate(v + bias[2 + (p % N)], activation));
        expectAllClose(C, expected, 1e-12, 1e-12);
      });
    }
  }
});

describe('matmul', () => {
  it('2-d product, by hand', () => {
    // [[1,2,3],[4,5,6]] · [[1,0],[0,1],[1,1]] = [[1+3, 2+3], [4+6, 5+6]] = [[4,5],[10,11]]
    const y = nm.matmul(nm.tensor([[1, 2, 3], [4, 5, 6]]), nm.tensor([[1, 0], [0, 1], [1, 1]]));
    expect(y.shape).toEqual([2, 2]);
    expect(y.toArray()).toEqual([[4, 5], [10, 11]]);
  });

  it('transpose flags read aᵀ and bᵀ without copying', () => {
    // a = [[1,2],[3,4]] stored, aᵀ = [[1,3],[2,4]]; aᵀ·a = [[1+9, 2+12], [2+12, 4+16]] = [[10,14],[14,20]]
    const a = nm.tensor([[1, 2], [3, 4]]);
    expect(nm.matmul(a, a, { transA: true }).toArray()).toEqual([[10, 14], [14, 20]]);
    // a·aᵀ = [[1+4, 3+8], [3+8, 9+16]] = [[5,11],[11,25]]
    expect(nm.matmul(a, a, { transB: true }).toArray()).toEqual([[5, 11], [11, 25]]);
    // aᵀ·aᵀ = (a·a)ᵀ; a·a = [[7,10],[15,22]]
    expect(nm.matmul(a, a, { transA: true, transB: true }).toArray()).toEqual([[7, 15], [10, 22]]);
    // A transposed view is the same as the flag.
    expect(nm.matmul(nm.transpose(a), a).toArray()).toEqual([[10, 14], [14, 20]]);
  });

  it('batched with broadcast batch dims matches per-batch products', () => {
    const rng = new nm.Rng(3);
    const a = nm.randn([2, 1, 3, 4], { rng, dtype: 'float64' });
    const b = nm.randn([3, 4, 5], { rng, dtype: 'float64' });
    const y = nm.matmul(a, b);
    expect(y.shape).toEqual([2, 3, 3, 5]);
    const av = a.values;
    const bv = b.values;
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        const expected = referenceGemm(false, false, 3, 5, 4, 1, av, i * 12, 4, bv, j * 20, 5, 0, new Float64Array(15), 0, 5);
        expectAllClose((nm.reshape(y, [6, 15]).toArray() as number[][])[i * 3 + j], expected, 1e-12, 1e-12);
      }
    }
  });

  it('a batched a with a 2-d b folds the batch into one GEMM (same values as per-batch)', () => {
    const rng = new nm.Rng(4);
    const a = nm.randn([2, 3, 5, 4], { rng, dtype: 'float64' });
    const b = nm.randn([4, 6], { rng, dtype: 'float64' });
    const y = nm.matmul(a, b);
    expect(y.shape).toEqual([2, 3, 5, 6]);
    const expected = referenceGemm(false, false, 30, 6, 4, 1, a.values, 0, 4, b.values, 0, 6, 0, new Float64Array(180), 0, 6);
    expectAllClose(y, expected, 1e-12, 1e-12);
  });

  it('views strided in both matrix axes are gathered; stride-0 (expanded) views are read in place', () => {
    const rng = new nm.Rng(5);
    const x = nm.randn([2, 3, 4], { rng, dtype: 'float64' });
    const xt = nm.permute(x, [2, 0, 1]); // [4, 2, 3], matrix strides [12, 4]: neither is 1
    const b = nm.randn([4, 3, 5], { rng, dtype: 'float64' });
    expectAllClose(nm.matmul(xt, b), nm.matmul(xt.contiguous(), b), 1e-12, 1e-12);
    const col = nm.randn([3, 1], { rng, dtype: 'float64' });
    const wide = nm.expand(col, [3, 4]); // strides [1, 0]
    const w = nm.randn([4, 2], { rng, dtype: 'float64' });
    expectAllClose(nm.matmul(wide, w), nm.matmul(wide.contiguous(), w), 1e-12, 1e-12);
  });

  it('float32 [64,40]·[40,128] matches the float64 reference', () => {
    const a = nm.tensor(randomArray(64 * 40, 8), { shape: [64, 40] });
    const b = nm.tensor(randomArray(40 * 128, 9), { shape: [40, 128] });
    const expected = referenceGemm(false, false, 64, 128, 40, 1, a.values, 0, 40, b.values, 0, 128, 0, new Float64Array(64 * 128), 0, 128);
    expectAllClose(nm.matmul(a, b), expected, 1e-5, 1e-5);
  });

  it('float32 batched with broadcast batch dims and transposes matches the float64 reference', () => {
    // a [3,1,37,20] (stored [3,1,20,37] for transA), b [2,20,33] (stored [2,33,20] for transB) -> [3,2,37,33]
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const aShape = transA ? [3, 1, 20, 37] : [3, 1, 37, 20];
      const bShape = transB ? [2, 33, 20] : [2, 20, 33];
      const a = nm.tensor(randomArray(3 * 37 * 20, 14), { shape: aShape });
      const b = nm.tensor(randomArray(2 * 20 * 33, 15), { shape: bShape });
      const y = nm.matmul(a, b, { transA, transB });
      expect(y.shape).toEqual([3, 2, 37, 33]);
      const expected = new Float64Array(3 * 2 * 37 * 33);
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 2; j++) {
          const block = referenceGemm(transA, transB, 37, 33, 20, 1, a.values, i * 740, transA ? 37 : 20, b.values, j * 660, transB ? 20 : 33, 0, new Float64Array(37 * 33), 0, 33);
          expected.set(block, (i * 2 + j) * 37 * 33);
        }
      }
      expectAllClose(y, expected, 1e-5, 1e-5);
    }
  });

  it('errors name the op and the shapes', () => {
    expect(() => nm.matmul(nm.zeros([2, 3]), nm.zeros([4, 5]))).toThrow('matmul: inner dims differ (a=[2,3], b=[4,5])');
    expect(() => nm.matmul(nm.zeros([2, 3]), nm.zeros([2, 5]), { transA: true, transB: true })).toThrow(
      'matmul: inner dims differ (a=[2,3], b=[2,5], transA, transB)',
    );
    expect(() => nm.matmul(nm.zeros([2, 2, 3]), nm.zeros([3, 3, 5]))).toThrow('matmul: batch dims do not broadcast (a=[2,2,3], b=[3,3,5])');
    expect(() => nm.matmul(nm.zeros([3]), nm.zeros([3, 5]))).toThrow('matmul: expected rank >= 2');
  });

  it('Tensor.matmul is the same op', () => {
    const a = nm.tensor([[1, 2]]);
    expect(a.matmul(nm.tensor([[3], [4]])).toArray()).toEqual([[11]]);
    expect(a.matmul(a, { transB: true }).toArray()).toEqual([[5]]);
  });
});

describe('dense', () => {
  it('act(x·W + b), by hand', () => {
    // x·W = [[1,2,3],[4,5,6]] · [[1,0],[0,1],[1,1]] = [[4,5],[10,11]]; + b [1,-10] = [[5,-5],[11,1]]
    const x = nm.tensor([[1, 2, 3], [4, 5, 6]]);
    const w = nm.tensor([[1, 0], [0, 1], [1, 1]]);
    const b = nm.tensor([1, -10]);
    expect(nm.dense(x, w, b).toArray()).toEqual([[5, -5], [11, 1]]);
    expect(nm.dense(x, w, b, 'relu').toArray()).toEqual([[5, 0], [11, 1]]);
    expectAllClose(nm.dense(x, w, b, 'tanh'), [[Math.tanh(5), Math.tanh(-5)], [Math.tanh(11), Math.tanh(1)]]);
    const s = (v: number): number => 1 / (1 + Math.exp(-v));
    expectAllClose(nm.dense(x, w, b, 'sigmoid'), [[s(5), s(-5)], [s(11), s(1)]]);
    expect(nm.dense(x, w).toArray()).toEqual([[4, 5], [10, 11]]);
  });

  it('folds leading axes: x [2,3,4] -> [2,3,out], and a 1-d x -> [out]', () => {
    const rng = new nm.Rng(10);
    const x = nm.randn([2, 3, 4], { rng, dtype: 'float64' });
    const w = nm.randn([4, 5], { rng, dtype: 'float64' });
    const b = nm.randn([5], { rng, dtype: 'float64' });
    const y = nm.dense(x, w, b, 'tanh');
    expect(y.shape).toEqual([2, 3, 5]);
    expectAllClose(y, nm.tanh(nm.add(nm.matmul(x, w), b)), 1e-12, 1e-12);
    expect(nm.dense(nm.tensor([1, 2]), nm.tensor([[1, 2, 3], [4, 5, 6]])).toArray()).toEqual([9, 12, 15]);
  });

  it('reads a transposed view of x or w in place (same values as the contiguous copy)', () => {
    const rng = new nm.Rng(16);
    const xt = nm.randn([4, 6], { rng, dtype: 'float64' }); // x = xtᵀ: [6, 4]
    const wt = nm.randn([3, 4], { rng, dtype: 'float64' }); // w = wtᵀ: [4, 3]
    const b = nm.randn([3], { rng, dtype: 'float64' });
    const expected = nm.dense(nm.transpose(xt).contiguous(), nm.transpose(wt).contiguous(), b, 'sigmoid');
    expectAllClose(nm.dense(nm.transpose(xt), nm.transpose(wt), b, 'sigmoid'), expected, 1e-12, 1e-12);
  });

  it('float32 at the DCL-MoE sizes (B=64: 40->128 relu, 128->64 sigmoid) matches a float64 reference', () => {
    for (const [N, inF, outF, act] of [[64, 40, 128, 'relu'], [64, 128, 64, 'sigmoid'], [1, 40, 128, 'tanh']] as const) {
      const x = nm.tensor(randomArray(N * inF, 11), { shape: [N, inF] });
      const w = nm.tensor(randomArray(inF * outF, 12), { shape: [inF, outF] });
      const b = nm.tensor(randomArray(outF, 13), { shape: [outF] });
      const z = referenceGemm(false, false, N, outF, inF, 1, x.values, 0, inF, w.values, 0, outF, 0, new Float64Array(N * outF), 0, outF);
      const expected = z.map((v, p) => activate(v + b.values[p % outF], act));
      expectAllClose(nm.dense(x, w, b, act), expected, 1e-5, 1e-5);
    }
  });

  it('backward: dx = dz·Wᵀ, dW = xᵀ·dz, db = Σ dz, with dz from y (relu)', () => {
    // x = [[1, -1]], W = [[1, 2], [3, -4]], b = [0, 0]: z = [1-3, 2+4] = [-2, 6], y = [0, 6]
    // dy = [1, 1] -> dz = [0, 1]; dx = dz·Wᵀ = [2, -4]; dW = xᵀ·dz = [[0, 1], [0, -1]]; db = [0, 1]
    const x = nm.tensor([[1, -1]], { requiresGrad: true });
    const w = nm.tensor([[1, 2], [3, -4]], { requiresGrad: true });
    const b = nm.tensor([0, 0], { requiresGrad: true });
    nm.dense(x, w, b, 'relu').sum().backward();
    expect(x.grad!.toArray()).toEqual([[2, -4]]);
    expect(w.grad!.toArray()).toEqual([[0, 1], [0, -1]]);
    expect(b.grad!.toArray()).toEqual([0, 1]);
  });

  it('errors name the op and the shapes', () => {
    expect(() => nm.dense(nm.zeros([2, 3]), nm.zeros([4, 5]))).toThrow("dense: x's last dim differs from w's rows (x=[2,3], w=[4,5])");
    expect(() => nm.dense(nm.zeros([2, 4]), nm.zeros([4, 5]), nm.zeros([4]))).toThrow('dense: bias must be [5] (x=[2,4], w=[4,5], b=[4])');
  });
});
