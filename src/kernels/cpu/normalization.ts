// CPU kernels for layerNorm: one pass per row forward (saving mean and 1/std), one fused pass per row backward.

import type { FloatArray } from '../../tensor/dtype.ts';
import { emptyTensor } from '../../tensor/tensor.ts';
import type { NormalizationOps } from '../../tensor/ops/normalization.ts';
import type { KernelsFor } from '../backend.ts';
import { contiguousValues } from './strided.ts';

export const normalizationKernels: KernelsFor<NormalizationOps> = {
  // x: [N·D] rows of D -> y: same shape; mean, rstd: [N]
  layerNorm: ([x, gamma, beta], { eps }) => {
    const D = x.shape[x.rank - 1];
    const N = x.size / D;
    const xs = contiguousValues(x);
    const gs = contiguousValues(gamma);
    const bs = contiguousValues(beta);
    const y = emptyTensor(x.shape, x.dtype);
    const mean = emptyTensor([N], x.dtype);
    const rstd = emptyTensor([N], x.dtype);
    const ys = y.values;
    for (let r = 0; r < N; r++) {
      const row = r * D;
      // Two passes (mean, then squared deviations): E[x²] - E[x]² cancels catastrophically in float32.
      let sum = 0;
      for (let k = 0; k < D; k++) sum += xs[row + k];
      const mu = sum / D;
      let sq = 0;
      for (let k = 0; k < D; k++) {
        const d = xs[row + k] - mu;
        sq += d * d;
      }
      const rs = 1 / Math.sqrt(sq / D + eps);
      for (let k = 0; k < D; k++) ys[row + k] = (xs[row + k] - mu) * rs * gs[k] + bs[k];
      mean.values[r] = mu;
      rstd.values[r] = rs;
    }
    return { outputs: [y], saved: [mean, rstd] };
  },

  // dx = rstd · (dxhat - mean(dxhat) - xhat · mean(dxhat · xhat)), dxhat = dy · gamma;
  // dgamma = Σ_rows dy · xhat, dbeta = Σ_rows dy.
  layerNormBackward: ([dy, x, gamma, mean, rstd]) => {
    const D = x.shape[x.rank - 1];
    const N = x.size / D;
    const dys = contiguousValues(dy);
    const xs = contiguousValues(x);
    const gs = contiguousValues(gamma);
    const ms = mean.values;
    const rs = rstd.values;
    const dx = emptyTensor(x.shape, x.dtype);
    const dgamma = emptyTensor([D], x.dtype, true);
    const dbeta = emptyTensor([D], x.dtype, true);
    const dxs = dx.values as FloatArray;
    const dgs = dgamma.values;
    const dbs = dbeta.values;
    for (let r = 0; r < N; r++) {
      const row = r * D;
      const mu = ms[r];
      const rsr = rs[r];
      // First pass: the two row means, and the parameter gradients (xhat is recomputed, never stored).
      let sumDxhat = 0;
      let sumDxhatXhat = 0;
      for (let k = 0; k < D; k++) {
        const xhat = (xs[row + k] - mu) * rsr;
        const g = dys[row + k];
        const dxhat = g * gs[k];
        sumDxhat += dxhat;
        sumDxhatXhat += dxhat * xhat;
        dgs[k] += g * xhat;
        dbs[k] += g;
      }
      const meanDxhat = sumDxhat / D;
      const meanDxhatXhat = sumDxhatXhat / D;
      for (let k = 0; k < D; k++) {
        const xhat = (xs[row + k] - mu) * rsr;
        dxs[row + k] = rsr * (dys[row + k] * gs[k] - meanDxhat - xhat * meanDxhatXhat);
      }
    }
    return { outputs: [dx, dgamma, dbeta] };
  },
};
