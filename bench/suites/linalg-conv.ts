// Benchmarks of the plain-TypeScript GEMM (matmul), dense, conv1d, maxPool1d and dropout at DCL-MoE's training shapes.

import type { BenchCase } from '../harness.ts';
import * as nm from '../../src/index.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';

/** Leaf gradients are kept out of tidy scopes: hand them back to the pool after each timed call. */
function clearGrads(ts: Tensor[]): void {
  for (const t of ts) {
    t.grad?.dispose();
    t.grad = null;
  }
}

/** The textbook i-j-k loop, for the speed-up the blocking buys. */
function naiveMatmul(M: number, N: number, K: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += a[i * K + k] * b[k * N + j];
      c[i * N + j] = acc;
    }
  }
}

/**
 * The direct conv1d loop the im2col + GEMM kernel was measured against: for each output row, an AXPY of
 * w's rows scaled by the window's inputs (i-k-j order, streaming w and y). 'valid', stride 1.
 */
function directConv1d(x: Float32Array, w: Float32Array, bias: Float32Array, y: Float32Array, B: number, L: number, C: number, K: number, O: number): void {
  const outLength = L - K + 1;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < outLength; t++) {
      const yRow = (b * outLength + t) * O;
      for (let o = 0; o < O; o++) y[yRow + o] = bias[o];
      for (let k = 0; k < K; k++) {
        for (let c = 0; c < C; c++) {
          const xv = x[(b * L + t + k) * C + c];
          const wRow = (k * C + c) * O;
          for (let o = 0; o < O; o++) y[yRow + o] += xv * w[wRow + o];
        }
      }
    }
  }
}

function matmulCases(): BenchCase[] {
  const rng = new nm.Rng(1);
  const cases: BenchCase[] = [];
  for (const [M, K, N] of [[64, 40, 128], [256, 256, 256], [512, 512, 512]]) {
    const a = nm.randn([M, K], { rng }).keep();
    const b = nm.randn([K, N], { rng }).keep();
    cases.push({ name: `matmul f32 [${M},${K}]·[${K},${N}]`, flops: 2 * M * N * K, fn: () => nm.tidy(() => void nm.matmul(a, b)) });
    if (M === 256) {
      const a64 = nm.cast(a, 'float64').keep();
      const b64 = nm.cast(b, 'float64').keep();
      cases.push({ name: `matmul f64 [${M},${K}]·[${K},${N}]`, flops: 2 * M * N * K, fn: () => nm.tidy(() => void nm.matmul(a64, b64)) });
      cases.push({
        name: `matmul f32 [${M},${K}]ᵀ·[${N},${K}]ᵀ (transA, transB)`,
        flops: 2 * M * N * K,
        fn: () => nm.tidy(() => void nm.matmul(a, b, { transA: true, transB: true })),
      });
      const c = new Float32Array(M * N);
      const av = a.values as Float32Array;
      const bv = b.values as Float32Array;
      cases.push({ name: `naive i-j-k loop f32 ${M}x${K}x${N} (reference)`, flops: 2 * M * N * K, fn: () => naiveMatmul(M, N, K, av, bv, c) });
    }
  }
  const q = nm.randn([8, 40, 16], { rng }).keep();
  cases.push({
    name: 'matmul f32 batched [8,40,16]·[8,40,16]ᵀ (attention scores)',
    flops: 2 * 8 * 40 * 40 * 16,
    fn: () => nm.tidy(() => void nm.matmul(q, q, { transB: true })),
  });
  return cases;
}

/** dense forward and forward+backward (x is data: no dx, as in a first layer; then with dx). */
function denseCases(B: number, inF: number, outF: number, activation: nm.DenseActivation): BenchCase[] {
  const rng = new nm.Rng(2);
  const x = nm.randn([B, inF], { rng }).keep();
  const xg = nm.randn([B, inF], { rng, requiresGrad: true }).keep();
  const w = nm.glorotUniform([inF, outF], { rng, requiresGrad: true }).keep();
  const b = nm.zeros([outF], { requiresGrad: true }).keep();
  const dy = nm.randn([B, outF], { rng }).keep();
  const flops = 2 * B * inF * outF;
  const shape = `B=${B} ${inF}->${outF} ${activation}`;
  return [
    { name: `dense forward ${shape}`, flops, fn: () => nm.tidy(() => void nm.noGrad(() => nm.dense(x, w, b, activation))) },
    {
      name: `dense forward+backward ${shape} (dW, db)`,
      flops: 2 * flops,
      fn: () =>
        nm.tidy(() => {
          nm.dense(x, w, b, activation).backward(dy);
          clearGrads([w, b]);
        }),
    },
    {
      name: `dense forward+backward ${shape} (dx, dW, db)`,
      flops: 3 * flops,
      fn: () =>
        nm.tidy(() => {
          nm.dense(xg, w, b, activation).backward(dy);
          clearGrads([xg, w, b]);
        }),
    },
  ];
}

function convCases(B: number, L: number, C: number, K: number, O: number): BenchCase[] {
  const rng = new nm.Rng(3);
  const x = nm.randn([B, L, C], { rng }).keep();
  const xg = nm.randn([B, L, C], { rng, requiresGrad: true }).keep();
  const w = nm.glorotUniform([K, C, O], { rng, requiresGrad: true }).keep();
  const b = nm.zeros([O], { requiresGrad: true }).keep();
  const outLength = L - K + 1;
  const dy = nm.randn([B, outLength, O], { rng }).keep();
  const flops = 2 * B * outLength * K * C * O;
  const shape = `B=${B} L=${L} C_in=${C} K=${K} C_out=${O}`;
  const y = new Float32Array(B * outLength * O);
  const [xv, wv, bv] = [x.values, w.values, b.values] as Float32Array[];
  return [
    { name: `conv1d forward ${shape}`, flops, fn: () => nm.tidy(() => void nm.noGrad(() => nm.conv1d(x, w, b))) },
    { name: `conv1d direct loop ${shape} (reference)`, flops, fn: () => directConv1d(xv, wv, bv, y, B, L, C, K, O) },
    {
      name: `conv1d forward+backward ${shape} (dw, db)`,
      flops: 2 * flops,
      fn: () =>
        nm.tidy(() => {
          nm.conv1d(x, w, b).backward(dy);
          clearGrads([w, b]);
        }),
    },
    {
      name: `conv1d + relu op, forward+backward ${shape} (dw, db)`,
      flops: 2 * flops,
      fn: () =>
        nm.tidy(() => {
          nm.relu(nm.conv1d(x, w, b)).backward(dy);
          clearGrads([w, b]);
        }),
    },
    {
      name: `conv1d relu fused, forward+backward ${shape} (dw, db)`,
      flops: 2 * flops,
      fn: () =>
        nm.tidy(() => {
          nm.conv1d(x, w, b, { activation: 'relu' }).backward(dy);
          clearGrads([w, b]);
        }),
    },
    {
      name: `conv1d forward+backward ${shape} (dx, dw, db)`,
      flops: 3 * flops,
      fn: () =>
        nm.tidy(() => {
          nm.conv1d(xg, w, b).backward(dy);
          clearGrads([xg, w, b]);
        }),
    },
  ];
}

function poolDropoutCases(B: number, L: number, C: number): BenchCase[] {
  const rng = new nm.Rng(4);
  const x = nm.randn([B, L, C], { rng, requiresGrad: true }).keep();
  const pooled = Math.floor(L / 2);
  const dy = nm.randn([B, pooled, C], { rng }).keep();
  const dropRng = new nm.Rng(5);
  const shape = `[${B},${L},${C}]`;
  return [
    { name: `maxPool1d forward ${shape} pool 2`, fn: () => nm.tidy(() => void nm.noGrad(() => nm.maxPool1d(x, { poolSize: 2 }))) },
    {
      name: `maxPool1d forward+backward ${shape} pool 2`,
      fn: () =>
        nm.tidy(() => {
          nm.maxPool1d(x, { poolSize: 2 }).backward(dy);
          clearGrads([x]);
        }),
    },
    {
      name: `dropout forward (mask from the Rng) [${B},${L * C}] rate 0.3`,
      fn: () => nm.tidy(() => void nm.noGrad(() => nm.dropout(nm.reshape(x, [B, L * C]), 0.3, { training: true, rng: dropRng }))),
    },
  ];
}

export const suite = {
  title: 'linalg / conv (plain TypeScript GEMM)',
  cases: (): BenchCase[] => [
    ...matmulCases(),
    ...denseCases(64, 40, 128, 'relu'),
    ...denseCases(64, 128, 64, 'relu'),
    // DCL-MoE CNN expert: Conv1D(64, 3) on 40 features x 1 channel, then a second layer's worth at C_in = 64.
    ...convCases(64, 40, 1, 3, 64),
    ...convCases(64, 19, 64, 3, 64),
    ...poolDropoutCases(64, 38, 64),
  ],
};
