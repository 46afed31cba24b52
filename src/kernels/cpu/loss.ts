// CPU kernels: Softmax, logSoftmax and the losses: fused cross-entropy from logits, NLL from probabilities.
//
// Softmax-like kernels see x as [O, R, I] and normalise over R: for the last axis I = 1 and each row is
// contiguous; for an inner axis the same loops step by I (no transpose copy).

import { emptyTensor } from '../../tensor/tensor.ts';
import type { Shape } from '../../tensor/shape.ts';
import { sizeOf } from '../../tensor/shape.ts';
import type { LossOps, Reduction } from '../../tensor/ops/loss.ts';
import type { KernelsFor } from '../backend.ts';
import { contiguousValues } from './strided.ts';

function aroundAxis(shape: Shape, axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

/** Output shape of a reduced per-example loss. */
function lossShape(reduction: Reduction, N: number): number[] {
  return reduction === 'none' ? [N] : [];
}

/** The factor dy is multiplied by for row n in a loss backward: dy[n], dy / N (mean) or dy (sum). */
function rowScale(reduction: Reduction, dys: ArrayLike<number>, n: number, N: number): number {
  return reduction === 'none' ? dys[n] : reduction === 'mean' ? dys[0] / N : dys[0];
}

export const lossKernels: KernelsFor<LossOps> = {
  softmax: ([x], { axis }) => {
    const [O, R, I] = aroundAxis(x.shape, axis);
    const xs = contiguousValues(x);
    const y = emptyTensor(x.shape, x.dtype);
    const ys = y.values;
    for (let o = 0; o < O; o++) {
      for (let i = 0; i < I; i++) {
        const start = o * R * I + i;
        const end = start + R * I;
        // NOTE: subtracting the max keeps exp() <= 1 (no overflow); a row of all -Infinity gives NaN, as in PyTorch.
        let m = -Infinity;
        for (let p = start; p < end; p += I) if (xs[p] > m) m = xs[p];
        let s = 0;
        for (let p = start; p < end; p += I) {
          const e = Math.exp(xs[p] - m);
          ys[p] = e;
          s += e;
        }
        const inv = 1 / s;
        for (let p = start; p < end; p += I) ys[p] *= inv;
      }
    }
    return { outputs: [y] };
  },

  logSoftmax: ([x], { axis }) => {
    const [O, R, I] = aroundAxis(x.shape, axis);
    const xs = contiguousValues(x);
    const y = emptyTensor(x.shape, x.dtype);
    const ys = y.values;
    for (let o = 0; o < O; o++) {
      for (let i = 0; i < I; i++) {
        const start = o * R * I + i;
        const end = start + R * I;
        let m = -Infinity;
        for (let p = start; p < end; p += I) if (xs[p] > m) m = xs[p];
        let s = 0;
        for (let p = start; p < end; p += I) s += Math.exp(xs[p] - m);
        const lse = m + Math.log(s); // log(sum(exp(x))), with s >= 1 so the log is never log(0)
        for (let p = start; p < end; p += I) ys[p] = xs[p] - lse;
      }
    }
    return { outputs: [y] };
  },

  softmaxBackward: ([dy, y], { axis }) => {
    const [O, R, I] = aroundAxis(y.shape, axis);
    const dys = contiguousValues(dy);
    const ys = contiguousValues(y);
    const dx = emptyTensor(y.shape, y.dtype);
    const dxs = dx.values;
    for (let o = 0; o < O; o++) {
      for (let i = 0; i < I; i++) {
        const start = o * R * I + i;
        const end = start + R * I;
        let dot = 0;
        for (let p = start; p < end; p += I) dot += dys[p] * ys[p];
        for (let p = start; p < end; p += I) dxs[p] = ys[p] * (dys[p] - dot);
      }
    }
    return { outputs: [dx] };
  },

  crossEntropy: ([logits, labels], { reduction, labelSmoothing: s }) => {
    // logits: [N, C], labels: [N] -> loss: [] or [N]; saved probs: [N, C]
    const [N, C] = logits.shape;
    const xs = contiguousValues(logits);
    const ls = contiguousValues(labels);
    const probs = emptyTensor([N, C], logits.dtype);
    const ps = probs.values;
    const loss = emptyTensor(lossShape(reduction, N), logits.dtype);
    const out = loss.values;
    let total = 0;
    for (let n = 0; n < N; n++) {
      const row = n * C;
      let m = -Infinity;
      for (let c = 0; c < C; c++) if (xs[row + c] > m) m = xs[row + c];
      let sumExp = 0;
      let sumX = 0;
      for (let c = 0; c < C; c++) {
        const e = Math.exp(xs[row + c] - m);
        ps[row + c] = e;
        sumExp += e;
        sumX += xs[row + c];
      }
      const lse = m + Math.log(sumExp);
      const inv = 1 / sumExp;
      for (let c = 0; c < C; c++) ps[row + c] *= inv;
      // -sum_c target_c * log p_c = lse - sum_c target_c * x_c, with target = (1 - s) onehot + s / C
      const lossN = lse - (1 - s) * xs[row + ls[n]] - (s / C) * sumX;
      if (reduction === 'none') out[n] = lossN;
      else total += lossN;
    }
    if (reduction === 'mean') out[0] = total / N;
    else if (reduction === 'sum') out[0] = total;
    return { outputs: [loss], saved: [probs] };
  },

  crossEntropyBackward: ([dy, probs, labels], { reduction, labelSmoothing: s }) => {
    const [N, C] = probs.shape;
    const dys = contiguousValues(dy);
    const ps = contiguousValues(probs);
    const ls = contiguousValues(labels);
    const dx = emptyTensor([N, C], probs.dtype);
    const dxs = dx.values;
    const off = s / C; // the target's mass on every class
    for (let n = 0; n < N; n++) {
      const g = rowScale(reduction, dys, n, N);
      const row = n * C;
      for (let c = 0; c < C; c++) dxs[row + c] = g * (ps[row + c] - off);
      dxs[row + ls[n]] -= g * (1 - s);
    }
    return { outputs: [dx] };
  },

  nllFromProbs: ([probs, labels], { reduction, eps }) => {
    const [N, C] = probs.shape;
    const ps = contiguousValues(probs);
    const ls = contiguousValues(labels);
    const loss = emptyTensor(lossShape(reduction, N), probs.dtype);
    const out = loss.values;
    let total = 0;
    for (let n = 0; n < N; n++) {
      const lossN = -Math.log(ps[n * C + ls[n]] + eps);
      if (reduction === 'none') out[n] = lossN;
      else total += lossN;
    }
    if (reduction === 'mean') out[0] = total / N;
    else if (reduction === 'sum') out[0] = total;
    return { outputs: [loss] };
  },

  nllFromProbsBackward: ([dy, probs, labels], { reduction, eps }) => {
    const [N, C] = probs.shape;
    const dys = contiguousValues(dy);
    const ps = contiguousValues(probs);
    const ls = contiguousValues(labels);
    const dp = emptyTensor([N, C], probs.dtype, true);
    const dps = dp.values;
    for (let n = 0; n < N; n++) {
      const p = n * C + ls[n];
      dps[p] = -rowScale(reduction, dys, n, N) / (ps[p] + eps);
    }
    return { outputs: [dp] };
  },
};
