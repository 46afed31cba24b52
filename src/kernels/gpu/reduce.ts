// gpu.js kernels for reductions over the middle axis of [O, R, I] (sum, max with argmax, logsumexp, maxBackward; in one or two stages) and the movement ops the rules need (copy, reshape, sumToShape, concat).

import type { ReduceOps } from '../../tensor/ops/reduce.ts';
import { type Tensor, viewOf } from '../../tensor/tensor.ts';
import { contiguousStrides, sizeOf } from '../../tensor/shape.ts';
import type { Kernel } from '../backend.ts';
import type { DType } from '../../tensor/dtype.ts';
import type { Constants, GpuArray, GpuContext, KernelArg, KernelBody, RunArg } from './context.ts';
import { NO_INPUT, Staging, deviceTensor, layout4, storageArg, stridedCopy } from './device.ts';

type This = { thread: { x: number }; constants: Constants };

// ---- reductions in chunks: one stage, or two (a tree) when few outputs would each loop over a long axis ----
//
// A reduction of the middle axis of [O, R, I] runs as kernels over [O, C, I]: thread (o, c, i) reduces the
// chunk r ∈ [c·S, min((c + 1)·S, R)) of row (o, i). With S = R (C = 1) that is the plain kernel, one thread
// per output looping over the whole axis, which is right when there are many outputs. With few outputs and a
// long axis it leaves the device idle (a sum to a scalar is one thread looping R times), so the axis is cut
// into chunks of S: stage 1 writes the C = ceil(R / S) partial results [O, C, I], stage 2 reduces those the
// same way (again in chunks if C is still long: a tree). Every chunk body below has the same thread layout.
// NOTE: a chunked float32 sum adds the same terms in a different order; its error bound (~(S + C)·2^-24
// relative, for the tree) is at most the serial loop's (~R·2^-24).

// The rule, from measurement (gpu.js webgl2 on SwiftShader in headless Chromium, which shades fragments in
// parallel on the CPU: kernel + readback of the output, medians of 3, a 2-core machine shared with other
// jobs at load 5-9, so ±30%): one output over 100k values 2.1-2.4 ms -> 1.05-1.37 split (chunks of 64 to
// 1024 and √R all within noise of each other), over 8192 values 0.45 -> 0.35-0.43; [16, 16384] 2.1-2.4 ->
// 1.8-2.0; [128, 16384] 19-35 -> 14-19. Below ~4096 the second kernel costs more than it saves ([1, 1024]
// 0.19 -> 0.26, [64, 2048] 1.15 -> 1.63). From ~256 outputs up, two SwiftShader cores are busy either way
// ([512, 4096] 13-17 ms split or not); a real GPU needs thousands of threads to fill, hence splitting up to
// 1024 outputs (not measured: no GPU here). gpu.js webasm / cpu in Node run threads one after another, so
// there the split neither gains nor costs beyond noise (npm run bench:gpu, "long reductions"). The ops on
// SwiftShader: max of 100k 2.7 -> 1.2 ms, logsumexp [4, 30000] 3.0 -> 2.2, the clip norm of the DCL-MoE
// gradients (118k values) 4.4 -> 2.5.
/** Few enough outputs that each would loop alone over a long axis: below this many, a long axis is split. */
const SPLIT_MAX_OUTPUTS = 1024;
/** The shortest axis worth a second kernel. */
const SPLIT_MIN_LENGTH = 4096;
/** Chunk length (a constant: gpu.js loop bounds are compiled in). */
const CHUNK = 256;

/** A chunk length rule: a parameter of the reductions below, so tests can force a tree on small inputs. */
type ChunkRule = (outputs: number, R: number) => number;

/**
 * The chunk length for reducing an axis of length R into each of `outputs` cells: R itself (one stage) for
 * many outputs or a short axis, else CHUNK.
 */
export function chunkLength(outputs: number, R: number): number {
  return outputs < SPLIT_MAX_OUTPUTS && R >= SPLIT_MIN_LENGTH ? CHUNK : R;
}

/**
 * One stage of a chunked reduction: a chunk body, its arguments and its own constants (offsets, fold terms).
 * `reduceMiddle` adds the layout constants R (this stage's axis length), I, S (chunk length) and C (chunks).
 */
export interface ReduceStage {
  body: KernelBody;
  args: RunArg[];
  constants: Constants;
}

/**
 * Reduce the middle axis of [O, R, I] to [O, I]: `first` over the input in chunks of `chunk(O·I, R)`; while
 * that leaves C > 1 partial results [O, C, I], `combine` (which gets them as its first argument) reduces
 * their axis the same way.
 *
 * @example
 * // a sum to a scalar of 100k values: 391 chunk sums, then one sum of those
 * const y = reduceMiddle(context, 'sum', [1, 100_000, 1], sumStage(x, 0), (p) => sumStage(p, 0));
 */
export function reduceMiddle(
  context: GpuContext,
  op: string,
  [O, R, I]: readonly number[],
  first: ReduceStage,
  combine: (partials: KernelArg) => ReduceStage,
  dtype: DType = 'float32',
  chunk: ChunkRule = chunkLength,
): GpuArray {
  let stage = first;
  let length = R;
  let partials: GpuArray | null = null;
  try {
    for (;;) {
      const S = Math.max(1, chunk(O * I, length));
      const C = length > S ? Math.ceil(length / S) : 1;
      const y = context.run(op, stage.body, O * C * I, { ...stage.constants, R: length, I, S, C }, stage.args, dtype);
      partials?.dispose();
      partials = null;
      if (C === 1) return y;
      partials = y;
      stage = combine(y.value);
      length = C;
    }
  } finally {
    partials?.dispose(); // only when a stage threw (e.g. a compile failure): the partials would leak
  }
}

// Σ over the chunk of x[o, r, i], times `scale` (a mean's 1 / N; applied to each partial, so only in stage 1).
function sumChunkBody(this: This, x: Float32Array): number {
  const o = Math.floor(this.thread.x / (this.constants.C * this.constants.I));
  const ci = this.thread.x - o * this.constants.C * this.constants.I;
  const c = Math.floor(ci / this.constants.I);
  const i = ci - c * this.constants.I;
  const n = Math.min(this.constants.S, this.constants.R - c * this.constants.S);
  const base = this.constants.xo + (o * this.constants.R + c * this.constants.S) * this.constants.I + i;
  let s = 0;
  for (let k = 0; k < this.constants.S; k++) {
    if (k < n) s += x[base + k * this.constants.I];
  }
  return s * this.constants.scale;
}

/** The sum stage over `x` (from element `xo`), each partial times `scale`; also every sum's combine stage. */
export function sumStage(x: KernelArg, xo: number, scale = 1): ReduceStage {
  return { body: sumChunkBody, args: [x], constants: { xo, scale } };
}

/** Σ_r x[o, r, i] · scale -> [O, I] (in one or two stages). */
export function sumOver(context: GpuContext, op: string, shape: readonly number[], x: KernelArg, xo: number, scale = 1, chunk: ChunkRule = chunkLength): GpuArray {
  return reduceMiddle(context, op, shape, sumStage(x, xo, scale), (p) => sumStage(p, 0), 'float32', chunk);
}

// The index r of the chunk's max of x[o, r, i] (an index into the whole axis). NOTE: strict '>' keeps the
// lowest index at ties, as the CPU kernel.
function argmaxChunkBody(this: This, x: Float32Array): number {
  const o = Math.floor(this.thread.x / (this.constants.C * this.constants.I));
  const ci = this.thread.x - o * this.constants.C * this.constants.I;
  const c = Math.floor(ci / this.constants.I);
  const i = ci - c * this.constants.I;
  const n = Math.min(this.constants.S, this.constants.R - c * this.constants.S);
  const base = this.constants.xo + (o * this.constants.R + c * this.constants.S) * this.constants.I + i;
  let m = x[base];
  let best = 0;
  for (let k = 1; k < this.constants.S; k++) {
    if (k < n) {
      const v = x[base + k * this.constants.I];
      if (v > m) {
        m = v;
        best = k;
      }
    }
  }
  return c * this.constants.S + best;
}

// The best of the chunk's candidates p[o, ·, i] (indices into x's axis of length xR): the lowest index at
// ties, because candidates come in increasing index order and strict '>' keeps the earlier one.
function argmaxCandidatesBody(this: This, p: Float32Array, x: Float32Array): number {
  const o = Math.floor(this.thread.x / (this.constants.C * this.constants.I));
  const ci = this.thread.x - o * this.constants.C * this.constants.I;
  const c = Math.floor(ci / this.constants.I);
  const i = ci - c * this.constants.I;
  const n = Math.min(this.constants.S, this.constants.R - c * this.constants.S);
  const base = (o * this.constants.R + c * this.constants.S) * this.constants.I + i;
  const row = this.constants.xo + o * this.constants.xR * this.constants.I + i;
  let best = p[base];
  let m = x[row + best * this.constants.I];
  for (let k = 1; k < this.constants.S; k++) {
    if (k < n) {
      const r = p[base + k * this.constants.I]; // a local before it indexes x (GL modes)
      const v = x[row + r * this.constants.I];
      if (v > m) {
        m = v;
        best = r;
      }
    }
  }
  return best;
}

/** argmax_r x[o, r, i] -> [O, I] int32 (in one or two stages: stage 2 picks among the chunks' argmaxes). */
export function argmaxOver(context: GpuContext, op: string, shape: readonly number[], x: KernelArg, xo: number, chunk: ChunkRule = chunkLength): GpuArray {
  const first = { body: argmaxChunkBody, args: [x], constants: { xo } };
  const combine = (p: KernelArg): ReduceStage => ({ body: argmaxCandidatesBody, args: [p, x], constants: { xo, xR: shape[1] } });
  return reduceMiddle(context, op, shape, first, combine, 'int32', chunk);
}

// y[o, i] = x[o, argmax[o, i], i]: the max read back through its argmax (gpu.js kernels have one output).
function gatherMaxBody(this: This, x: Float32Array, argmax: Float32Array): number {
  const o = Math.floor(this.thread.x / this.constants.I);
  const i = this.thread.x - o * this.constants.I;
  return x[this.constants.xo + (o * this.constants.R + argmax[this.thread.x]) * this.constants.I + i];
}

// log Σ exp over the chunk, stable: m_c + log Σ exp(x - m_c) with m_c the chunk's max. The combine stage is
// this same body over the partials: log Σ_c exp(lse_c) = log Σ_c s_c·exp(m_c), the max subtracted first,
// so the pair (m_c, s_c) travels as one number lse_c = m_c + log s_c (rounding it costs ~1 ulp of lse_c).
// NOTE: a chunk of -inf only reports -inf (not NaN from -inf - -inf), so it drops out of the combine.
function logsumexpChunkBody(this: This, x: Float32Array): number {
  const o = Math.floor(this.thread.x / (this.constants.C * this.constants.I));
  const ci = this.thread.x - o * this.constants.C * this.constants.I;
  const c = Math.floor(ci / this.constants.I);
  const i = ci - c * this.constants.I;
  const n = Math.min(this.constants.S, this.constants.R - c * this.constants.S);
  const base = this.constants.xo + (o * this.constants.R + c * this.constants.S) * this.constants.I + i;
  let m = x[base];
  for (let k = 1; k < this.constants.S; k++) {
    if (k < n) m = Math.max(m, x[base + k * this.constants.I]);
  }
  if (m < -3.4e38) return m;
  let s = 0;
  for (let k = 0; k < this.constants.S; k++) {
    if (k < n) s += Math.exp(x[base + k * this.constants.I] - m);
  }
  return m + Math.log(s);
}

/** log Σ_r exp(x[o, r, i]) -> [O, I] (in one or two stages); the softmax and loss kernels use it too. */
export function logsumexpOver(context: GpuContext, op: string, shape: readonly number[], x: KernelArg, xo: number, chunk: ChunkRule = chunkLength): GpuArray {
  const stage = (arg: KernelArg, offset: number): ReduceStage => ({ body: logsumexpChunkBody, args: [arg], constants: { xo: offset } });
  return reduceMiddle(context, op, shape, stage(x, xo), (p) => stage(p, 0), 'float32', chunk);
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

/**
 * sumToShape as one reduction of [O, R, I] in place, when x is contiguous and its summed axes are one run
 * (size-1 axes aside): a bias gradient [B, C] -> [C] is [1, B, C], [B, C, L] -> [B, C, 1] is [B·C, L, 1].
 * Null otherwise (the permuting copy below).
 */
function summedRun(x: Tensor, shape: readonly number[]): [number, number, number] | null {
  if (!x.isContiguous) return null;
  const lead = x.rank - shape.length;
  const summed = x.shape.map((d, a) => d > 1 && (a < lead || shape[a - lead] !== d));
  const first = summed.indexOf(true);
  const last = summed.lastIndexOf(true);
  if (first < 0) return [x.size, 1, 1];
  for (let a = first; a <= last; a++) if (!summed[a] && x.shape[a] !== 1) return null;
  return [sizeOf(x.shape.slice(0, first)), sizeOf(x.shape.slice(first, last + 1)), sizeOf(x.shape.slice(last + 1))];
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

/** sumToShape runs in place over one run of summed axes, or as one permuting copy plus a row sum when the permuted view merges into 4 axes. */
export function sumToShapeAccepts(x: Tensor, shape: readonly number[]): boolean {
  if (summedRun(x, shape) !== null) return true;
  const p = sumToShapeLayout(x, shape);
  return layout4(p.shape, [p.strides]) !== null;
}

/** Concat takes up to 4 inputs (the kernel's fixed arity). */
export const MAX_CONCAT_INPUTS = 4;

type GpuReduceOps = keyof ReduceOps | 'copy' | 'reshape' | 'sumToShape' | 'concat';

export function reduceGpuKernels(context: GpuContext): { [K in GpuReduceOps]: Kernel<K> } {
  return {
    sum: ([x]) => {
      const [O, , I] = x.shape;
      const staging = new Staging(context);
      const [xs] = staging.contiguous(x);
      const y = sumOver(context, 'sum', x.shape, xs.arg, xs.offset);
      staging.release();
      return { outputs: [deviceTensor(y, [O, I])] };
    },

    max: ([x]) => {
      const [O, R, I] = x.shape;
      const staging = new Staging(context);
      const [xs] = staging.contiguous(x);
      const argmax = argmaxOver(context, 'max', x.shape, xs.arg, xs.offset);
      const y = context.run('max', gatherMaxBody, O * I, { R, I, xo: xs.offset }, [xs.arg, argmax.value]);
      staging.release();
      return { outputs: [deviceTensor(y, [O, I])], saved: [deviceTensor(argmax, [O, I])] };
    },

    logsumexp: ([x]) => {
      const [O, , I] = x.shape;
      const staging = new Staging(context);
      const [xs] = staging.contiguous(x);
      const y = logsumexpOver(context, 'logsumexp', x.shape, xs.arg, xs.offset);
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
      const run = summedRun(x, shape);
      if (run !== null) return { outputs: [deviceTensor(sumOver(context, 'sumToShape', run, storageArg(context, x), x.offset), shape)] };
      // Else permute summed axes last (a strided device copy), then sum each row: [kept, summed] -> [kept].
      const p = sumToShapeLayout(x, shape);
      const permuted = stridedCopy(context, x, p.shape, p.strides)!;
      const R = x.size / p.kept;
      const y = sumOver(context, 'sumToShape', [p.kept, R, 1], permuted.value, 0);
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
