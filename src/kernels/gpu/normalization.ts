// gpu.js kernels for layerNorm over the last axis, forward (saving mean and rstd per row, as the CPU kernel) and backward (dx, dgamma, dbeta).
//
// Each pass is one kernel over the cells it produces: row statistics [N] (one thread per row, a loop of D),
// then elements [N·D]; the parameter gradients [D] reduce over the N rows (the batch) through reduce.ts's
// reduceMiddle, so a long batch is summed in chunks, then the chunk sums (two stages), not by D threads alone.

import type { NormalizationOps } from '../../tensor/ops/normalization.ts';
import type { Kernel } from '../backend.ts';
import type { Constants, GpuContext } from './context.ts';
import { Staging, deviceTensor } from './device.ts';
import { reduceMiddle, sumStage } from './reduce.ts';

type This = { thread: { x: number }; constants: Constants };

// mean[r] = Σ_k x[r, k] / D
function rowMeanBody(this: This, x: Float32Array): number {
  const row = this.constants.xo + this.thread.x * this.constants.D;
  let s = 0;
  for (let k = 0; k < this.constants.D; k++) s += x[row + k];
  return s / this.constants.D;
}

// rstd[r] = 1 / sqrt(Σ_k (x[r, k] - mean[r])² / D + eps). NOTE: two passes (mean, then squared deviations),
// as the CPU kernel: E[x²] - E[x]² cancels catastrophically in float32.
function rowRstdBody(this: This, x: Float32Array, mean: Float32Array): number {
  const row = this.constants.xo + this.thread.x * this.constants.D;
  const mu = mean[this.thread.x];
  let sq = 0;
  for (let k = 0; k < this.constants.D; k++) {
    const d = x[row + k] - mu;
    sq += d * d;
  }
  return 1 / Math.sqrt(sq / this.constants.D + this.constants.eps);
}

// y[r, k] = (x[r, k] - mean[r]) · rstd[r] · gamma[k] + beta[k]
function layerNormBody(this: This, x: Float32Array, mean: Float32Array, rstd: Float32Array, gamma: Float32Array, beta: Float32Array): number {
  const r = Math.floor(this.thread.x / this.constants.D);
  const k = this.thread.x - r * this.constants.D;
  return (x[this.constants.xo + this.thread.x] - mean[r]) * rstd[r] * gamma[this.constants.go + k] + beta[this.constants.bo + k];
}

// Σ_k dxhat[r, k] (weighted = 0) or Σ_k dxhat[r, k] · xhat[r, k] (weighted = 1), with dxhat = dy · gamma and
// xhat = (x - mean) · rstd recomputed (never stored), as the CPU kernel.
function rowSumBody(this: This, dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, rstd: Float32Array): number {
  const r = this.thread.x;
  const mu = mean[this.constants.mo + r];
  const rs = rstd[this.constants.ro + r];
  let s = 0;
  for (let k = 0; k < this.constants.D; k++) {
    const dxhat = dy[this.constants.dyo + r * this.constants.D + k] * gamma[this.constants.go + k];
    if (this.constants.weighted === 1) s += dxhat * (x[this.constants.xo + r * this.constants.D + k] - mu) * rs;
    else s += dxhat;
  }
  return s;
}

// dx[r, k] = rstd · (dxhat - Σ dxhat / D - xhat · Σ (dxhat · xhat) / D)
function layerNormDxBody(
  this: This,
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  sumDxhat: Float32Array,
  sumDxhatXhat: Float32Array,
): number {
  const r = Math.floor(this.thread.x / this.constants.D);
  const k = this.thread.x - r * this.constants.D;
  const rs = rstd[this.constants.ro + r];
  const xhat = (x[this.constants.xo + this.thread.x] - mean[this.constants.mo + r]) * rs;
  const dxhat = dy[this.constants.dyo + this.thread.x] * gamma[this.constants.go + k];
  return rs * (dxhat - sumDxhat[r] / this.constants.D - (xhat * sumDxhatXhat[r]) / this.constants.D);
}

// dgamma[k] = Σ_r dy[r, k] · xhat[r, k] (weighted = 1); dbeta[k] = Σ_r dy[r, k] (weighted = 0), over the
// rows r of chunk c (reduceMiddle's layout [O = 1, C, I = D]: rows c·S .. c·S + S - 1, cut at R = N).
function columnSumChunkBody(this: This, dy: Float32Array, x: Float32Array, mean: Float32Array, rstd: Float32Array): number {
  const c = Math.floor(this.thread.x / this.constants.I);
  const k = this.thread.x - c * this.constants.I;
  const n = Math.min(this.constants.S, this.constants.R - c * this.constants.S);
  let s = 0;
  for (let j = 0; j < this.constants.S; j++) {
    if (j < n) {
      const r = c * this.constants.S + j;
      const g = dy[this.constants.dyo + r * this.constants.D + k];
      if (this.constants.weighted === 1) s += g * (x[this.constants.xo + r * this.constants.D + k] - mean[this.constants.mo + r]) * rstd[this.constants.ro + r];
      else s += g;
    }
  }
  return s;
}

export function normalizationGpuKernels(context: GpuContext): { [K in keyof NormalizationOps]: Kernel<K> } {
  return {
    // x: [..., D] (N rows), gamma, beta: [D] -> y: x.shape; saved mean, rstd: [N]
    layerNorm: ([x, gamma, beta], { eps }) => {
      const D = x.shape[x.rank - 1];
      const N = x.size / D;
      const staging = new Staging(context);
      const [xs, gs, bs] = staging.contiguous(x, gamma, beta);
      const mean = context.run('layerNorm', rowMeanBody, N, { D, xo: xs.offset }, [xs.arg]);
      const rstd = context.run('layerNorm', rowRstdBody, N, { D, eps, xo: xs.offset }, [xs.arg, mean.value]);
      const constants = { D, xo: xs.offset, go: gs.offset, bo: bs.offset };
      const y = context.run('layerNorm', layerNormBody, N * D, constants, [xs.arg, mean.value, rstd.value, gs.arg, bs.arg]);
      staging.release();
      return { outputs: [deviceTensor(y, x.shape)], saved: [deviceTensor(mean, [N]), deviceTensor(rstd, [N])] };
    },

    // dy, x: [..., D] (N rows), gamma: [D], mean, rstd: [N] -> dx: x.shape, dgamma, dbeta: [D]
    layerNormBackward: ([dy, x, gamma, mean, rstd]) => {
      const D = x.shape[x.rank - 1];
      const N = x.size / D;
      const staging = new Staging(context);
      const [g, xs, gs, ms, rs] = staging.contiguous(dy, x, gamma, mean, rstd);
      const offsets = { D, N, dyo: g.offset, xo: xs.offset, go: gs.offset, mo: ms.offset, ro: rs.offset };
      const rowArgs = [g.arg, xs.arg, gs.arg, ms.arg, rs.arg];
      const sumDxhat = staging.hold(context.run('layerNormBackward', rowSumBody, N, { ...offsets, weighted: 0 }, rowArgs));
      const sumDxhatXhat = staging.hold(context.run('layerNormBackward', rowSumBody, N, { ...offsets, weighted: 1 }, rowArgs));
      const dx = context.run('layerNormBackward', layerNormDxBody, N * D, offsets, [...rowArgs, sumDxhat.value, sumDxhatXhat.value]);
      const columnArgs = [g.arg, xs.arg, ms.arg, rs.arg];
      const columnSum = (weighted: number) =>
        reduceMiddle(context, 'layerNormBackward', [1, N, D], { body: columnSumChunkBody, args: columnArgs, constants: { ...offsets, weighted } }, (p) => sumStage(p, 0));
      const dgamma = columnSum(1);
      const dbeta = columnSum(0);
      staging.release();
      return { outputs: [deviceTensor(dx, x.shape), deviceTensor(dgamma, [D]), deviceTensor(dbeta, [D])] };
    },
  };
}
