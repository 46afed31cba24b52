// gpu.js kernels for softmax, logSoftmax and the losses (cross-entropy from logits, NLL from probabilities), forward and backward.
//
// Each normalisation is two passes over [O, R, I] (R = the softmax axis): a per-row statistic (log Σ exp, or
// Σ dy·y), then one cell per element. One cell per row would leave all but O·I threads idle.

import type { LossOps, Reduction } from '../../tensor/ops/loss.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { sizeOf } from '../../tensor/shape.ts';
import type { Kernel } from '../backend.ts';
import type { Constants, GpuArray, GpuContext } from './context.ts';
import { Staging, deviceTensor } from './device.ts';
// The row statistics (log Σ exp, Σ dy·y) and the batch total are reductions: the chunked ones of ./reduce.ts,
// so a long softmax axis or a 'mean' over a large batch runs in two stages (many threads), not one loop.
import { type ReduceStage, logsumexpOver, reduceMiddle, sumOver, sumStage } from './reduce.ts';

type This = { thread: { x: number }; constants: Constants };

function aroundAxis(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

// softmax: y = exp(x - lse); logSoftmax (log = 1): y = x - lse.
function normaliseBody(this: This, x: Float32Array, lse: Float32Array): number {
  const o = Math.floor(this.thread.x / this.constants.RI);
  const ri = this.thread.x - o * this.constants.RI;
  const i = ri - Math.floor(ri / this.constants.I) * this.constants.I;
  const v = x[this.constants.xo + this.thread.x] - lse[o * this.constants.I + i];
  if (this.constants.log === 1) return v;
  return Math.exp(v);
}

// dot[o, i] = Σ_r dy[o, r, i] · y[o, r, i], over one chunk of r (the thread layout of reduce.ts's chunk bodies).
function rowDotChunkBody(this: This, dy: Float32Array, y: Float32Array): number {
  const o = Math.floor(this.thread.x / (this.constants.C * this.constants.I));
  const ci = this.thread.x - o * this.constants.C * this.constants.I;
  const c = Math.floor(ci / this.constants.I);
  const i = ci - c * this.constants.I;
  const n = Math.min(this.constants.S, this.constants.R - c * this.constants.S);
  const base = (o * this.constants.R + c * this.constants.S) * this.constants.I + i;
  let s = 0;
  for (let k = 0; k < this.constants.S; k++) {
    if (k < n) s += dy[this.constants.dyo + base + k * this.constants.I] * y[this.constants.yo + base + k * this.constants.I];
  }
  return s;
}

// softmax backward: dx = y · (dy - Σ_r dy·y)
function softmaxBackwardBody(this: This, dy: Float32Array, y: Float32Array, dot: Float32Array): number {
  const o = Math.floor(this.thread.x / this.constants.RI);
  const ri = this.thread.x - o * this.constants.RI;
  const i = ri - Math.floor(ri / this.constants.I) * this.constants.I;
  return y[this.constants.yo + this.thread.x] * (dy[this.constants.dyo + this.thread.x] - dot[o * this.constants.I + i]);
}

// Cross-entropy of row n: lse - (1 - s) x[label] - (s / C) Σ_c x (targets (1 - s) onehot + s / C).
function crossEntropyRowBody(this: This, x: Float32Array, lse: Float32Array, labels: Float32Array): number {
  const n = this.thread.x;
  const row = this.constants.xo + n * this.constants.C;
  let sumX = 0;
  for (let c = 0; c < this.constants.C; c++) sumX += x[row + c];
  const target = x[row + labels[this.constants.lo + n]];
  return lse[n] - (1 - this.constants.s) * target - (this.constants.s / this.constants.C) * sumX;
}

// NLL of row n from probabilities: -log(p[label] + eps).
function nllRowBody(this: This, p: Float32Array, labels: Float32Array): number {
  const n = this.thread.x;
  return -Math.log(p[this.constants.po + n * this.constants.C + labels[this.constants.lo + n]] + this.constants.eps);
}

// dlogits[n, c] = g (p - s / C) - g (1 - s) [c = label], g = dy[n] ('none'), dy / N ('mean') or dy ('sum').
function crossEntropyBackwardBody(this: This, dy: Float32Array, p: Float32Array, labels: Float32Array): number {
  const n = Math.floor(this.thread.x / this.constants.C);
  const c = this.thread.x - n * this.constants.C;
  const g = dy[this.constants.dyo + n * this.constants.perRow] * this.constants.scale;
  let d = g * (p[this.constants.po + this.thread.x] - this.constants.s / this.constants.C);
  if (labels[this.constants.lo + n] === c) d = d - g * (1 - this.constants.s);
  return d;
}

// dp[n, c] = -g / (p[n, label] + eps) at the label, 0 elsewhere.
function nllBackwardBody(this: This, dy: Float32Array, p: Float32Array, labels: Float32Array): number {
  const n = Math.floor(this.thread.x / this.constants.C);
  const c = this.thread.x - n * this.constants.C;
  if (labels[this.constants.lo + n] !== c) return 0;
  const g = dy[this.constants.dyo + n * this.constants.perRow] * this.constants.scale;
  return -g / (p[this.constants.po + this.thread.x] + this.constants.eps);
}

/** How dy scales row n's gradient: perRow = 1 reads dy[n] ('none'); else dy[0], divided by N for 'mean'. */
function rowScale(reduction: Reduction, N: number): { perRow: number; scale: number } {
  return reduction === 'none' ? { perRow: 1, scale: 1 } : { perRow: 0, scale: reduction === 'mean' ? 1 / N : 1 };
}

/** Reduce per-row losses [N] to the op's output ([] for mean / sum, [N] for none). */
function reduceRows(context: GpuContext, op: string, rows: GpuArray, N: number, reduction: Reduction): Tensor {
  if (reduction === 'none') return deviceTensor(rows, [N]);
  const total = sumOver(context, op, [1, N, 1], rows.value, 0, reduction === 'mean' ? 1 / N : 1);
  rows.dispose();
  return deviceTensor(total, []);
}

export function lossGpuKernels(context: GpuContext): { [K in keyof LossOps]: Kernel<K> } {
  const normalise = (op: 'softmax' | 'logSoftmax'): Kernel<'softmax' | 'logSoftmax'> => ([x], { axis }) => {
    const [O, R, I] = aroundAxis(x.shape, axis);
    const staging = new Staging(context);
    const [xs] = staging.contiguous(x);
    const lse = staging.hold(logsumexpOver(context, op, [O, R, I], xs.arg, xs.offset));
    const y = context.run(op, normaliseBody, x.size, { RI: R * I, I, xo: xs.offset, log: op === 'logSoftmax' ? 1 : 0 }, [xs.arg, lse.value]);
    staging.release();
    return { outputs: [deviceTensor(y, x.shape)] };
  };

  return {
    softmax: normalise('softmax'),
    logSoftmax: normalise('logSoftmax'),

    softmaxBackward: ([dy, y], { axis }) => {
      const [O, R, I] = aroundAxis(y.shape, axis);
      const staging = new Staging(context);
      const [g, ys] = staging.contiguous(dy, y);
      const rowDot: ReduceStage = { body: rowDotChunkBody, args: [g.arg, ys.arg], constants: { dyo: g.offset, yo: ys.offset } };
      const dot = staging.hold(reduceMiddle(context, 'softmaxBackward', [O, R, I], rowDot, (p) => sumStage(p, 0)));
      const constants = { RI: R * I, I, dyo: g.offset, yo: ys.offset };
      const dx = context.run('softmaxBackward', softmaxBackwardBody, y.size, constants, [g.arg, ys.arg, dot.value]);
      staging.release();
      return { outputs: [deviceTensor(dx, y.shape)] };
    },

    // logits: [N, C], labels: [N] int32 -> loss: [] or [N]; saved probs: [N, C]
    crossEntropy: ([logits, labels], { reduction, labelSmoothing: s }) => {
      const [N, C] = logits.shape;
      const staging = new Staging(context);
      const [xs, ls] = staging.contiguous(logits, labels);
      const lse = staging.hold(logsumexpOver(context, 'crossEntropy', [N, C, 1], xs.arg, xs.offset));
      const probs = context.run('crossEntropy', normaliseBody, N * C, { RI: C, I: 1, xo: xs.offset, log: 0 }, [xs.arg, lse.value]);
      const rows = context.run('crossEntropy', crossEntropyRowBody, N, { C, s, xo: xs.offset, lo: ls.offset }, [xs.arg, lse.value, ls.arg]);
      const loss = reduceRows(context, 'crossEntropy', rows, N, reduction);
      staging.release();
      return { outputs: [loss], saved: [deviceTensor(probs, [N, C])] };
    },

    crossEntropyBackward: ([dy, probs, labels], { reduction, labelSmoothing: s }) => {
      const [N, C] = probs.shape;
      const staging = new Staging(context);
      const [g, ps, ls] = staging.contiguous(dy, probs, labels);
      const constants = { C, s, ...rowScale(reduction, N), dyo: g.offset, po: ps.offset, lo: ls.offset };
      const dx = context.run('crossEntropyBackward', crossEntropyBackwardBody, N * C, constants, [g.arg, ps.arg, ls.arg]);
      staging.release();
      return { outputs: [deviceTensor(dx, [N, C])] };
    },

    // probs: [N, C], labels: [N] int32 -> loss: [] or [N]
    nllFromProbs: ([probs, labels], { reduction, eps }) => {
      const [N, C] = probs.shape;
      const staging = new Staging(context);
      const [ps, ls] = staging.contiguous(probs, labels);
      const rows = context.run('nllFromProbs', nllRowBody, N, { C, eps, po: ps.offset, lo: ls.offset }, [ps.arg, ls.arg]);
      const loss = reduceRows(context, 'nllFromProbs', rows, N, reduction);
      staging.release();
      return { outputs: [loss] };
    },

    nllFromProbsBackward: ([dy, probs, labels], { reduction, eps }) => {
      const [N, C] = probs.shape;
      const staging = new Staging(context);
      const [g, ps, ls] = staging.contiguous(dy, probs, labels);
      const constants = { C, eps, ...rowScale(reduction, N), dyo: g.offset, po: ps.offset, lo: ls.offset };
      const dp = context.run('nllFromProbsBackward', nllBackwardBody, N * C, constants, [g.arg, ps.arg, ls.arg]);
      staging.release();
      return { outputs: [deviceTensor(dp, [N, C])] };
    },
  };
}
