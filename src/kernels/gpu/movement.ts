// gpu.js kernels for the movement ops that copy data: pad, sliceBackward (placing x inside a larger output), gather and scatterAdd (int32 indices).
//
// The views (reshape of a contiguous x, permute, expand, slice) move no data and keep their CPU kernels,
// which only build a view; copy / reshape / sumToShape / concat live in ./reduce.ts.

import type { Tensor } from '../../tensor/tensor.ts';
import { contiguousStrides, sizeOf } from '../../tensor/shape.ts';
import type { Kernel } from '../backend.ts';
import type { Constants, GpuContext } from './context.ts';
import { MAX_STRIDED_RANK, Staging, decodeConstants, deviceTensor } from './device.ts';

type This = { thread: { x: number }; constants: Constants };

/**
 * Where x lands in the output of a placement (pad, sliceBackward), as 4 axes: output axis a holds x's
 * element j at begin[a] + j·step[a] for j < count[a]; x is read row-major (contiguous, strides xs).
 */
interface Placement {
  dims: number[];
  begin: number[];
  step: number[];
  count: number[];
  xs: number[];
}

/**
 * The placement of a contiguous x of `xShape` into `shape`, with axes merged where the kernel can walk
 * them as one (an inner axis x fills entirely, under an outer axis of step 1), or null when more than
 * MAX_STRIDED_RANK axes remain. Size-1 output axes drop out (x has size 1 there and begin is 0).
 */
function placementLayout(shape: readonly number[], xShape: readonly number[], begin: readonly number[], step: readonly number[]): Placement | null {
  const xStrides = contiguousStrides(xShape);
  const axes: { d: number; b: number; s: number; n: number; xs: number }[] = [];
  for (let a = 0; a < shape.length; a++) {
    if (shape[a] === 1) continue;
    const cur = { d: shape[a], b: begin[a], s: step[a], n: xShape[a], xs: xStrides[a] };
    const prev = axes.at(-1);
    // Output c = c_prev·d + c_cur lies in x iff c_prev does (c_cur always does): one range of step 1.
    if (prev !== undefined && prev.s === 1 && cur.b === 0 && cur.s === 1 && cur.n === cur.d && prev.xs === cur.xs * cur.n) {
      axes[axes.length - 1] = { d: prev.d * cur.d, b: prev.b * cur.d, s: 1, n: prev.n * cur.n, xs: cur.xs };
    } else {
      axes.push(cur);
    }
  }
  if (axes.length > MAX_STRIDED_RANK) return null;
  while (axes.length < MAX_STRIDED_RANK) axes.unshift({ d: 1, b: 0, s: 1, n: 1, xs: 0 });
  return { dims: axes.map((a) => a.d), begin: axes.map((a) => a.b), step: axes.map((a) => a.s), count: axes.map((a) => a.n), xs: axes.map((a) => a.xs) };
}

/** pad and sliceBackward run here when their placement fits 4 axes (and pad's fill value is finite: a kernel constant). */
export function placementAccepts(x: Tensor, shape: readonly number[], begin: readonly number[], step: readonly number[], value = 0): boolean {
  return Number.isFinite(value) && placementLayout(shape, x.shape, begin, step) !== null;
}

// y[i] = x[Σ_a j_a·xs_a] when every axis a of i's position c_a = begin_a + j_a·step_a with 0 <= j_a < count_a,
// else the fill value (pad's `value`, 0 for sliceBackward).
function placeBody(this: This, x: Float32Array): number {
  const i = this.thread.x;
  const i0 = Math.floor(i / this.constants.n123);
  const r1 = i - i0 * this.constants.n123;
  const i1 = Math.floor(r1 / this.constants.n23);
  const r2 = r1 - i1 * this.constants.n23;
  const i2 = Math.floor(r2 / this.constants.n3);
  const i3 = r2 - i2 * this.constants.n3;
  const u0 = i0 - this.constants.b0;
  const u1 = i1 - this.constants.b1;
  const u2 = i2 - this.constants.b2;
  const u3 = i3 - this.constants.b3;
  const j0 = Math.floor(u0 / this.constants.s0);
  const j1 = Math.floor(u1 / this.constants.s1);
  const j2 = Math.floor(u2 / this.constants.s2);
  const j3 = Math.floor(u3 / this.constants.s3);
  if (
    u0 >= 0 && j0 * this.constants.s0 === u0 && j0 < this.constants.c0 &&
    u1 >= 0 && j1 * this.constants.s1 === u1 && j1 < this.constants.c1 &&
    u2 >= 0 && j2 * this.constants.s2 === u2 && j2 < this.constants.c2 &&
    u3 >= 0 && j3 * this.constants.s3 === u3 && j3 < this.constants.c3
  ) {
    return x[this.constants.xo + j0 * this.constants.xs0 + j1 * this.constants.xs1 + j2 * this.constants.xs2 + j3 * this.constants.xs3];
  }
  return this.constants.value;
}

/** x placed into a new device tensor of `shape` (see placeBody). */
function place(context: GpuContext, op: string, x: Tensor, shape: number[], begin: readonly number[], step: readonly number[], value: number): Tensor {
  const layout = placementLayout(shape, x.shape, begin, step);
  if (layout === null) throw new Error(`${op}: the GPU kernel takes at most ${MAX_STRIDED_RANK} axes after merging (x=[${x.shape}], y=[${shape}]); admission should have declined it`);
  const staging = new Staging(context);
  const [xs] = staging.contiguous(x);
  const constants: Constants = { ...decodeConstants(layout.dims), xo: xs.offset, value };
  for (let a = 0; a < MAX_STRIDED_RANK; a++) {
    constants[`b${a}`] = layout.begin[a];
    constants[`s${a}`] = layout.step[a];
    constants[`c${a}`] = layout.count[a];
    constants[`xs${a}`] = layout.xs[a];
  }
  const y = context.run(op, placeBody, sizeOf(shape), constants, [xs.arg]);
  staging.release();
  return deviceTensor(y, shape);
}

/** Sizes of `shape` before, at and after `axis` (as the CPU kernels' walk over [O, A, I]). */
function aroundAxis(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

// y[o, j, i] = x[o, indices[j], i] (int32 indices travel as exact floats).
function gatherBody(this: This, x: Float32Array, indices: Float32Array): number {
  const o = Math.floor(this.thread.x / this.constants.nI);
  const r = this.thread.x - o * this.constants.nI;
  const j = Math.floor(r / this.constants.I);
  const i = r - j * this.constants.I;
  return x[this.constants.xo + (o * this.constants.A + indices[this.constants.io + j]) * this.constants.I + i];
}

// y[o, a, i] = base[o, a, i] + Σ_j src[o, j, i] over the j with indices[j] = a.
// NOTE: gpu.js kernels cannot scatter (a thread writes only its own cell), so each output cell gathers: it
// scans all n indices for the ones naming its row a. That is O(n) reads per cell, O·A·I·n in all, against
// the CPU's O·n·I: A times the CPU's work (cheap for moe routing's small A·n; an embedding gradient over a
// large vocabulary would want the indices sorted into per-row ranges first). Adding in j order, as the CPU.
function scatterAddBody(this: This, base: Float32Array, indices: Float32Array, src: Float32Array): number {
  const o = Math.floor(this.thread.x / this.constants.AI);
  const r = this.thread.x - o * this.constants.AI;
  const a = Math.floor(r / this.constants.I);
  const i = r - a * this.constants.I;
  let s = base[this.constants.bo + this.thread.x];
  for (let j = 0; j < this.constants.n; j++) {
    if (indices[this.constants.io + j] === a) s += src[this.constants.so + (o * this.constants.n + j) * this.constants.I + i];
  }
  return s;
}

type GpuMovementOps = 'sliceBackward' | 'pad' | 'gather' | 'scatterAdd';

export function movementGpuKernels(context: GpuContext): { [K in GpuMovementOps]: Kernel<K> } {
  return {
    // dy: the slice's shape -> dx: `shape`, dy at begin + j·step, zeros elsewhere
    sliceBackward: ([dy], { shape, begin, step }) => ({ outputs: [place(context, 'sliceBackward', dy, [...shape], begin, step, 0)] }),

    // x -> y: x.shape[a] + before + after on each axis, `value` around x
    pad: ([x], { padding, value }) => {
      const shape = x.shape.map((d, a) => padding[a][0] + d + padding[a][1]);
      return { outputs: [place(context, 'pad', x, shape, padding.map((p) => p[0]), shape.map(() => 1), value)] };
    },

    // x: [O, A, I], indices: n int32 (any shape) -> y: x.shape[:axis] + indices.shape + x.shape[axis+1:]
    gather: ([x, indices], { axis }) => {
      const [O, A, I] = aroundAxis(x.shape, axis);
      const n = indices.size;
      const staging = new Staging(context);
      const [xs, is] = staging.contiguous(x, indices);
      const y = context.run('gather', gatherBody, O * n * I, { A, I, nI: n * I, xo: xs.offset, io: is.offset }, [xs.arg, is.arg]);
      staging.release();
      return { outputs: [deviceTensor(y, [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)])] };
    },

    // base: [O, A, I], indices: n int32, src: [O, n, I] -> y: [O, A, I]
    scatterAdd: ([base, indices, src], { axis }) => {
      const [O, A, I] = aroundAxis(base.shape, axis);
      const n = indices.size;
      const staging = new Staging(context);
      const [bs, is, ss] = staging.contiguous(base, indices, src);
      const constants = { AI: A * I, I, n, bo: bs.offset, io: is.offset, so: ss.offset };
      const y = context.run('scatterAdd', scatterAddBody, O * A * I, constants, [bs.arg, is.arg, ss.arg]);
      staging.release();
      return { outputs: [deviceTensor(y, base.shape)] };
    },
  };
}
