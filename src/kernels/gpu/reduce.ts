// gpu.js kernels for reductions over the middle axis of [O, R, I] (sum, max with argmax, logsumexp, maxBackward) and the movement ops the rules need (copy, reshape, sumToShape, concat).

import type { ReduceOps } from '../../tensor/ops/reduce.ts';
import type { MovementOps } from '../../tensor/ops/movement.ts';
import { type Tensor, viewOf } from '../../tensor/tensor.ts';
import { contiguousStrides, sizeOf } from '../../tensor/shape.ts';
import type { Kernel } from '../backend.ts';
import type { Constants, GpuContext } from './context.ts';
import { NO_INPUT, Staging, deviceTensor, layout4, stridedCopy } from './device.ts';

type This = { thread: { x: number }; constants: Constants };

// y[o, i] = Σ_r x[o, r, i]: one output cell per (o, i), the R loop bound a constant.
function sumBody(this: This, x: Float32Array): number {
  const o = Math.floor(this.thread.x / this.constants.I);
  const i = this.thread.x - o * this.constants.I;
  const base = this.constants.xo + o * this.constants.R * this.constants.I + i;
  let s = 0;
  for (let r = 0; r < this.constants.R; r++) s += x[base + r * this.constants.I];
  return s;
}

// argmax over r of x[o, r, i]. NOTE: strict '>' keeps the lowest index at ties, as the CPU kernel.
function argmaxBody(this: This, x: Float32Array): number {
  const o = Math.floor(this.thread.x / this.constants.I);
  const i = this.thread.x - o * this.constants.I;
  const base = this.constants.xo + o * this.constants.R * this.constants.I + i;
  let m = x[base];
  let best = 0;
  for (let r = 1; r < this.constants.R; r++) {
    const v = x[base + r * this.constants.I];
    if (v > m) {
      m = v;
      best = r;
    }
  }
  return best;
}

// y[o, i] = x[o, argmax[o, i], i]: the max read back through its argmax (gpu.js kernels have one output).
function gatherMaxBody(this: This, x: Float32Array, argmax: Float32Array): number {
  const o = Math.floor(this.thread.x / this.constants.I);
  const i = this.thread.x - o * this.constants.I;
  return x[this.constants.xo + (o * this.constants.R + argmax[this.thread.x]) * this.constants.I + i];
}

// log Σ_r exp(x[o, r, i]), stable: the max is subtracted first.
export function logsumexpBody(this: This, x: Float32Array): number {
  const o = Math.floor(this.thread.x / this.constants.I);
  const i = this.thread.x - o * this.constants.I;
  const base = this.constants.xo + o * this.constants.R * this.constants.I + i;
  let m = x[base];
  for (let r = 1; r < this.constants.R; r++) m = Math.max(m, x[base + r * this.constants.I]);
  let s = 0;
  for (let r = 0; r < this.constants.R; r++) s += Math.exp(x[base + r * this.constants.I] - m);
  return m + Math.log(s);
}

// dx[o, r, i] = dy[o, i] where r is the argmax, else 0.
function maxBackwardBody(this: This, dy: Float32Array, argmax: Float32Array): number {
  const o = Math.floor(this.thread.x / this.constants.RI);
  const ri = this.thread.x - o * this.constants.RI;
  const r = Math.floor(ri / this.constants.I);
  const i = ri - r * this.constants.I;
  const k = o * this.constants.I + i;
  if (argmax[this.constants.ao + k] === r) return dy[this.constants.dyo + k];
  return 0;
}

// y[o, j] of a concat along an axis: input k owns columns [c0 + .. + c(k-1), .. + ck) of each outer row o.
function concatBody(this: This, a0: Float32Array, a1: Float32Array, a2: Float32Array, a3: Float32Array): number {
  const o = Math.floor(this.thread.x / this.constants.total);
  let j = this.thread.x - o * this.constants.total;
  if (j < this.constants.c0) return a0[this.constants.o0 + o * this.constants.c0 + j];
  j = j - this.constants.c0;
  if (j < this.constants.c1) return a1[this.constants.o1 + o * this.constants.c1 + j];
  j = j - this.constants.c1;
  if (j < this.constants.c2) return a2[this.constants.o2 + o * this.constants.c2 + j];
  j = j - this.constants.c2;
  return a3[this.constants.o3 + o * this.constants.c3 + j];
}

/** The permutation of `x` that puts kept axes first and summed axes last, for sumToShape. */
function sumToShapeLayout(x: Tensor, shape: readonly number[]): { shape: number[]; strides: number[]; kept: number } {
  const lead = x.rank - shape.length;
  const keptAxes: number[] = [];
  const summedAxes: number[] = [];
  x.shape.forEach((d, a) => (a >= lead && shape[a - lead] === d ? keptAxes : summedAxes).push(a));
  const order = [...keptAxes, ...summedAxes];
  return { shape: order.map((a) => x.shape[a]), strides: order.map((a) => x.strides[a]), kept: sizeOf(shape) };
}

/** sumToShape runs as one permuting copy plus a row sum when the permuted view merges into 4 axes. */
export function sumToShapeAccepts(x: Tensor, shape: readonly number[]): boolean {
  const p = sumToShapeLayout(x, shape);
  return layout4(p.shape, [p.strides]) !== null;
}

/** Concat takes up to 4 inputs (the kernel's fixed arity). */
export const MAX_CONCAT_INPUTS = 4;

type GpuReduceOps = keyof ReduceOps | 'copy' | 'reshape' | 'sumToShape' | 'concat';

export function reduceGpuKernels(context: GpuContext): { [K in GpuReduceOps]: Kernel<K> } {
  return {
    sum: ([x]) => {
      const [O, R, I] = x.shape;
      const staging = new Staging(context);
      const [xs] = staging.contiguous(x);
      const y = context.run('sum', sumBody, O * I, { R, I, xo: xs.offset }, [xs.arg]);
      staging.release();
      return { outputs: [deviceTensor(y, [O, I])] };
    },

    max: ([x]) => {
      const [O, R, I] = x.shape;
      const staging = new Staging(context);
      const [xs] = staging.contiguous(x);
      const constants = { R, I, xo: xs.offset };
      const argmax = context.run('max', argmaxBody, O * I, constants, [xs.arg], 'int32');
      const y = context.run('max', gatherMaxBody, O * I, constants, [xs.arg, argmax.value]);
      staging.release();
      return { outputs: [deviceTensor(y, [O, I])], saved: [deviceTensor(argmax, [O, I])] };
    },

    logsumexp: ([x]) => {
      const [O, R, I] = x.shape;
      const staging = new Staging(context);
      const [xs] = staging.contiguous(x);
      const y = context.run('logsumexp', logsumexpBody, O * I, { R, I, xo: xs.offset }, [xs.arg]);
      staging.release();
      return { outputs: [deviceTensor(y, [O, I])] };
    },

    maxBackward: ([dy, argmax], { reduceSize: R }) => {
      const [O, I] = dy.shape;
      const staging = new Staging(context);
      const [g, am] = staging.contiguous(dy, argmax);
      const dx = context.run('maxBackward', maxBackwardBody, O * R * I, { RI: R * I, I, dyo: g.offset, ao: am.offset }, [g.arg, am.arg]);
      staging.release();
      return { outputs: [deviceTensor(dx, [O, R, I])] };
    },

    copy: ([x]) => ({ outputs: [deviceTensor(stridedCopy(context, x)!, x.shape)] }),

    // As the CPU kernel: a contiguous x is viewed in place; a strided one (a gradient reshaped back through
    // a permute or expand) is copied on the device rather than downloaded for the CPU's gather.
    reshape: ([x], { shape }) => {
      if (x.isContiguous) return { outputs: [viewOf(x, shape, contiguousStrides(shape), x.offset)] };
      return { outputs: [deviceTensor(stridedCopy(context, x)!, shape)] };
    },

    sumToShape: ([x], { shape }) => {
      // Permute summed axes last (a strided device copy), then sum each row: [kept, summed] -> [kept].
      const p = sumToShapeLayout(x, shape);
      const permuted = stridedCopy(context, x, p.shape, p.strides)!;
      const R = x.size / p.kept;
      const y = context.run('sumToShape', sumBody, p.kept, { R, I: 1, xo: 0 }, [permuted.value]);
      permuted.dispose();
      return { outputs: [deviceTensor(y, shape)] };
    },

    concat: (xs, { axis }) => {
      const shape = [...xs[0].shape];
      shape[axis] = xs.reduce((n, x) => n + x.shape[axis], 0);
      const I = sizeOf(shape.slice(axis + 1));
      const staging = new Staging(context);
      const parts = staging.contiguous(...xs);
      const constants: Constants = { total: shape[axis] * I };
      const args = [];
      for (let k = 0; k < MAX_CONCAT_INPUTS; k++) {
        constants[`c${k}`] = k < xs.length ? xs[k].shape[axis] * I : 0;
        constants[`o${k}`] = k < xs.length ? parts[k].offset : 0;
        args.push(k < xs.length ? parts[k].arg : NO_INPUT);
      }
      const y = context.run('concat', concatBody, sizeOf(shape), constants, args);
      staging.release();
      return { outputs: [deviceTensor(y, shape)] };
    },
  };
}

export type { MovementOps };
