// CPU kernels for reductions over the middle axis of [O, R, I] (loop order o-r-i streams memory in order).

import { emptyTensor } from '../../tensor/tensor.ts';
import type { ReduceOps } from '../../tensor/ops/reduce.ts';
import type { KernelsFor } from '../backend.ts';
import { contiguousValues } from './strided.ts';

export const reduceKernels: KernelsFor<ReduceOps> = {
  sum: ([x]) => {
    const [O, R, I] = x.shape;
    const xs = contiguousValues(x);
    const y = emptyTensor([O, I], x.dtype, true);
    const ys = y.values;
    for (let o = 0; o < O; o++) {
      const yo = o * I;
      if (I === 1) {
        let acc = 0; // accumulate in a local double: more accurate for float32, and register-resident
        for (let r = 0, p = o * R; r < R; r++, p++) acc += xs[p];
        ys[yo] = acc;
      } else {
        for (let r = 0; r < R; r++) {
          const xr = (o * R + r) * I;
          for (let i = 0; i < I; i++) ys[yo + i] += xs[xr + i];
        }
      }
    }
    return { outputs: [y] };
  },

  max: ([x]) => {
    const [O, R, I] = x.shape;
    if (R === 0) throw new Error('max: cannot reduce over an empty axis');
    const xs = contiguousValues(x);
    const y = emptyTensor([O, I], x.dtype);
    const argmax = emptyTensor([O, I], 'int32', true);
    const ys = y.values;
    const am = argmax.values;
    for (let o = 0; o < O; o++) {
      for (let i = 0; i < I; i++) ys[o * I + i] = xs[o * R * I + i];
      for (let r = 1; r < R; r++) {
        const xr = (o * R + r) * I;
        for (let i = 0; i < I; i++) {
          // Strict '>' keeps the lowest index at ties. NaN never wins: the trainer's finiteness check catches it.
          if (xs[xr + i] > ys[o * I + i]) {
            ys[o * I + i] = xs[xr + i];
            am[o * I + i] = r;
          }
        }
      }
    }
    return { outputs: [y], saved: [argmax] };
  },

  logsumexp: ([x]) => {
    const [O, R, I] = x.shape;
    const xs = contiguousValues(x);
    const y = emptyTensor([O, I], x.dtype);
    const ys = y.values;
    for (let o = 0; o < O; o++) {
      for (let i = 0; i < I; i++) {
        let m = -Infinity;
        for (let r = 0; r < R; r++) m = Math.max(m, xs[(o * R + r) * I + i]);
        if (m === -Infinity) {
          ys[o * I + i] = -Infinity; // all -inf (or empty): log(0)
          continue;
        }
        let s = 0;
        for (let r = 0; r < R; r++) s += Math.exp(xs[(o * R + r) * I + i] - m);
        ys[o * I + i] = m + Math.log(s);
      }
    }
    return { outputs: [y] };
  },

  maxBackward: ([dy, argmax], { reduceSize: R }) => {
    const [O, I] = dy.shape;
    const dx = emptyTensor([O, R, I], dy.dtype, true);
    const dxs = dx.values;
    const dys = contiguousValues(dy);
    const am = contiguousValues(argmax);
    for (let o = 0; o < O; o++) {
      for (let i = 0; i < I; i++) dxs[(o * R + am[o * I + i]) * I + i] = dys[o * I + i];
    }
    return { outputs: [dx] };
  },
};
