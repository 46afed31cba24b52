// gpu.js kernels for Mixture-of-Experts routing: top-k selection, its gradient, the routing plan, dispatch and combine, all as gathers.
//
// A GPU thread computes one output cell and cannot scatter, so every op here is written as a gather:
//   topk          cell (r, j) finds the j-th expert of row r by j + 1 max passes over the row
//   topkBackward  cell (r, e) looks for e among row r's k indices
//   moeDispatch   row r of expert e's block reads row tokenOfSlot[offset_e + r] of x (0 for a padded slot), one
//                 kernel call per expert
//   moeCombine    token n reads its k slots through slotOfPair (the plan's pair -> slot map), one pass per
//                 expert: each expert's output is its own tensor, and a kernel reads a fixed set of arrays;
//                 no pair maps to a padded slot, so padded rows are never read
//   combine / dispatch gradients: the same passes (dweights, dx) and one gather by pairOfSlot per expert (dys)
//
// NOTE: the per-expert tensors ([capacity_e, D]) have data-dependent sizes, and gpu.js compiles a kernel per
// output and argument size: a pass over expert e's block compiles once per distinct capacity_e (as the
// experts' own dense kernels do). The routing plan buckets the capacities (routing-capacity.ts) so that set
// stays small. Each expert's block is its own device array, never a view at an offset into a shared one:
// a kernel takes a view's offset as a constant, so views would compile once per (capacity, offset), and the
// offsets are sums of the capacities before them (unbounded combinations). Counts, offsets and starts that
// change from batch to batch are passed as numbers (uniforms), never as constants, and the slot arrays have
// a routing-independent length (slotCount), so the rest of the routing kernels compile once per (N, k, E, D).

import type { RoutingOps } from '../../tensor/ops/routing.ts';
import { type Tensor, viewOf } from '../../tensor/tensor.ts';
import { MIN_GRANULE, slotCount } from '../../tensor/ops/routing-capacity.ts';
import type { Kernel } from '../backend.ts';
import type { Constants, GpuArray, GpuContext, GpuMode, KernelArg } from './context.ts';
import { NO_INPUT, Staging, deviceTensor } from './device.ts';

type This = { thread: { x: number }; constants: Constants };

// ---- top-k -------------------------------------------------------------------------------------------

// The expert of output cell (r, j): the j-th of row r in the order (value descending, index ascending), found
// by j + 1 passes over the row, each taking the first expert after the previous pass's pick in that order
// ((j + 1)·E compares, against E·k for the CPU's insertion into the sorted output row).
// NOTE: strict '>' keeps the lower index at ties, as the CPU does. NaN logits give an unspecified order on
// both backends (the two orders differ).
function topkIndexBody(this: This, x: Float32Array): number {
  const r = Math.floor(this.thread.x / this.constants.K);
  const j = this.thread.x - r * this.constants.K;
  const row = this.constants.xo + r * this.constants.E;
  let prevValue = 0;
  let prev = -1; // no pick yet
  for (let i = 0; i < this.constants.K; i++) {
    if (i > j) break;
    let best = -1;
    let bestValue = 0;
    for (let e = 0; e < this.constants.E; e++) {
      const v = x[row + e];
      // Candidates come after the previous pick: a smaller value, or an equal one at a higher index.
      let candidate = 1;
      if (prev >= 0) {
        if (v > prevValue) candidate = 0;
        else if (v === prevValue && e <= prev) candidate = 0;
      }
      if (candidate === 1) {
        if (best < 0 || v > bestValue) {
          best = e;
          bestValue = v;
        }
      }
    }
    prev = best;
    prevValue = bestValue;
  }
  return prev;
}

// values[r, j] = x[r, indices[r, j]]
function topkValueBody(this: This, x: Float32Array, indices: Float32Array): number {
  const r = Math.floor(this.thread.x / this.constants.K);
  return x[this.constants.xo + r * this.constants.E + indices[this.thread.x]];
}

// weights[r, j] = exp(z_j - z_0) / Σ_i exp(z_i - z_0), z_i = x[r, indices[r, i]]: z_0 is the row's largest, so exp <= 1.
function topkSoftmaxBody(this: This, x: Float32Array, indices: Float32Array): number {
  const r = Math.floor(this.thread.x / this.constants.K);
  const row = this.constants.xo + r * this.constants.E;
  const picks = r * this.constants.K;
  // NOTE: each expert index goes into a local before it indexes x. gpu.js's GL backends hoist a read nested
  // in another read's index into a variable numbered per statement (hoisted_0_<kernel>), so two statements
  // with nested reads in one block declare the same name and the shader fails to compile (headless-gl).
  const top = indices[picks];
  const own = indices[this.thread.x];
  const m = x[row + top];
  let s = 0;
  for (let i = 0; i < this.constants.K; i++) {
    const e = indices[picks + i];
    s += Math.exp(x[row + e] - m);
  }
  return Math.exp(x[row + own] - m) * (1 / s);
}

// dx[r, e] = Σ_j dy[r, j] over the j with indices[r, j] = e (0 where e was not selected).
function topkBackwardBody(this: This, dy: Float32Array, indices: Float32Array): number {
  const r = Math.floor(this.thread.x / this.constants.E);
  const e = this.thread.x - r * this.constants.E;
  let s = 0;
  for (let j = 0; j < this.constants.K; j++) {
    if (indices[this.constants.io + r * this.constants.K + j] === e) s += dy[this.constants.dyo + r * this.constants.K + j];
  }
  return s;
}

// ---- dispatch and combine ----------------------------------------------------------------------------

// One expert's block: xs[r, d] = x[tokenOfSlot[start + r], d], 0 for a padded slot (token -1).
function dispatchBlockBody(this: This, x: Float32Array, tokens: Float32Array, start: number): number {
  const r = Math.floor(this.thread.x / this.constants.D);
  const d = this.thread.x - r * this.constants.D;
  const t = tokens[this.constants.to + start + r];
  if (t < 0) return 0;
  return x[this.constants.xo + t * this.constants.D + d];
}

// One expert's pass of a per-token sum over its slots:
//   y[n, d] = prev[n, d] + Σ_j w[n, j] · block[slotOfPair[n, j] - start, d]
// over the pairs (n, j) routed to this expert (slot in [start, start + count)); w = 1 for the dispatch
// gradient (weighted = 0), prev = zeros before the first pass. Passes run in expert order, so each token
// sums its slots in slot order, as the CPU's walk over the slots does. Padded slots are no pair's slot, so
// no pass reads a padded row.
function expertPassBody(this: This, prev: Float32Array, slots: Float32Array, w: Float32Array, block: Float32Array, start: number, count: number, bo: number): number {
  const n = Math.floor(this.thread.x / this.constants.D);
  const d = this.thread.x - n * this.constants.D;
  let acc = prev[this.thread.x];
  for (let j = 0; j < this.constants.K; j++) {
    const r = slots[this.constants.so + n * this.constants.K + j] - start;
    if (r >= 0 && r < count) {
      const v = block[bo + r * this.constants.D + d];
      if (this.constants.weighted === 1) acc += w[this.constants.wo + n * this.constants.K + j] * v;
      else acc += v;
    }
  }
  return acc;
}

// One expert's pass of dweights[n, j] = <dy[n], block[slotOfPair[n, j] - start]> for the pairs routed to it
// (every pair has one slot, so one pass sets it); prev elsewhere (zeros before the first pass).
function weightGradPassBody(this: This, prev: Float32Array, slots: Float32Array, dy: Float32Array, block: Float32Array, start: number, count: number, bo: number): number {
  const n = Math.floor(this.thread.x / this.constants.K);
  const r = slots[this.constants.so + this.thread.x] - start;
  if (r >= 0 && r < count) {
    let dot = 0;
    for (let d = 0; d < this.constants.D; d++) dot += dy[this.constants.dyo + n * this.constants.D + d] * block[bo + r * this.constants.D + d];
    return dot;
  }
  return prev[this.thread.x];
}

// The accumulator of the first pass.
function zerosBody(this: This): number {
  return 0;
}

// One expert's block of the combine gradient: dys[r, d] = weights[pair] · dy[n, d] with pair = pairOfSlot[start + r]
// = n·K + j (each slot gathers its token's gradient), 0 for a padded slot (pair -1: its row never reached y).
function combineBackwardBlockBody(this: This, dy: Float32Array, w: Float32Array, pairs: Float32Array, start: number): number {
  const r = Math.floor(this.thread.x / this.constants.D);
  const d = this.thread.x - r * this.constants.D;
  const pair = pairs[this.constants.po + start + r];
  if (pair < 0) return 0;
  const n = Math.floor(pair / this.constants.K);
  return w[this.constants.wo + pair] * dy[this.constants.dyo + n * this.constants.D + d];
}

/**
 * One device array [capacity_e, D] per expert, made by `block(start, rows)` (start: the block's first slot):
 * the per-expert outputs of dispatch and of the combine gradient. An expert with no tokens gets a [0, D] view
 * of another expert's array, so every output is device-resident (some expert always has tokens).
 */
function expertArrays(op: string, capacities: readonly number[], D: number, block: (start: number, rows: number) => GpuArray): Tensor[] {
  let start = 0;
  const blocks = capacities.map((rows) => {
    const out = rows === 0 ? null : deviceTensor(block(start, rows), [rows, D]);
    start += rows;
    return out;
  });
  const some = blocks.find((b): b is Tensor => b !== null);
  if (some === undefined) throw new Error(`gpu ${op}: every expert block is empty (capacities [${capacities.join(', ')}])`);
  return blocks.map((b) => b ?? viewOf(some, [0, D], [D, 1], 0));
}

/**
 * Run `pass` once per expert with tokens, in expert order, each pass reading the previous one's result
 * (a gpu.js kernel cannot accumulate in place), the first one reading zeros of the output's `size`. Blocks
 * may be views; empty blocks are skipped.
 * NOTE: starting from a zeros array (one more kernel call) rather than from a first-pass variant of the
 * body keeps every pass over a block of one size the same kernel, whichever expert comes first: otherwise a
 * capacity first seen at a later expert compiles again the step it shows up at the first expert.
 */
function expertPasses(
  context: GpuContext,
  staging: Staging,
  op: string,
  size: number,
  blocks: readonly Tensor[],
  pass: (prev: GpuArray, block: { arg: KernelArg; offset: number }, start: number, count: number) => GpuArray,
): GpuArray {
  if (blocks.every((b) => b.shape[0] === 0)) throw new Error(`gpu ${op}: every expert block is empty (blocks [${blocks.map((b) => `[${b.shape}]`).join(', ')}])`);
  let acc = context.run(op, zerosBody, size, {}, []);
  let start = 0;
  for (const block of blocks) {
    const count = block.shape[0];
    if (count > 0) {
      const [b] = staging.contiguous(block);
      const next = pass(acc, b, start, count);
      acc.dispose();
      acc = next;
    }
    start += count;
  }
  return acc;
}

// ---- the routing plan on the device ------------------------------------------------------------------
//
// A stable counting sort of the N·k pairs by expert in six or seven gathers: per-block counts, the totals, the
// capacities (bucketed plans), each block's first slot per expert, then slotOfPair (a pair's slot: its
// block's start plus the earlier pairs of its expert in the block), pairOfSlot (a binary search for the
// block, then a scan; -1 on padded slots) and tokenOfSlot.
// NOTE: no mode selects it by default (routingOnDevice: the CPU's one pass measured faster everywhere).

/** Pairs per block of the device plan: a block's counts are one cell's loop; slots are found within it. */
const PLAN_BLOCK = 256;

// blockCounts[b, e] = #{p in block b : indices[p] = e}
function blockCountsBody(this: This, indices: Float32Array): number {
  const b = Math.floor(this.thread.x / this.constants.E);
  const e = this.thread.x - b * this.constants.E;
  let c = 0;
  for (let i = 0; i < this.constants.BS; i++) {
    const p = b * this.constants.BS + i;
    if (p < this.constants.S) {
      if (indices[this.constants.io + p] === e) c += 1;
    }
  }
  return c;
}

// counts[e] = Σ_b blockCounts[b, e]
function planCountsBody(this: This, blockCounts: Float32Array): number {
  let c = 0;
  for (let b = 0; b < this.constants.NB; b++) c += blockCounts[b * this.constants.E + this.thread.x];
  return c;
}

// capacities[e] = bucketCapacity(counts[e]) (routing-capacity.ts): the count rounded up to a multiple of
// max(G, 2^floor(log2 count) / 4). Every value is an integer below 2^24 and the granule a power of two, so
// float32 computes it exactly.
function planCapacitiesBody(this: This, counts: Float32Array): number {
  const c = counts[this.thread.x];
  if (c <= 0) return 0;
  let power = 1;
  for (let i = 0; i < 24; i++) {
    if (power * 2 <= c) power = power * 2;
  }
  const granule = Math.max(this.constants.G, power / 4);
  return Math.ceil(c / granule) * granule;
}

// blockStart[b, e] = offset of expert e + Σ_{c < b} blockCounts[c, e]: the slot of block b's first pair routed to e
// (the offset sums the capacities of the experts before e).
function blockStartBody(this: This, blockCounts: Float32Array, capacities: Float32Array): number {
  const b = Math.floor(this.thread.x / this.constants.E);
  const e = this.thread.x - b * this.constants.E;
  let s = 0;
  for (let f = 0; f < this.constants.E; f++) {
    if (f < e) s += capacities[f];
  }
  for (let c = 0; c < this.constants.NB; c++) {
    if (c < b) s += blockCounts[c * this.constants.E + e];
  }
  return s;
}

// slotOfPair[p] = blockStart[block of p, e] + #{q < p in p's block : indices[q] = e}, e = indices[p] (stable).
function slotOfPairBody(this: This, indices: Float32Array, blockStart: Float32Array): number {
  const p = this.thread.x;
  const e = indices[this.constants.io + p];
  const b = Math.floor(p / this.constants.BS);
  let s = blockStart[b * this.constants.E + e];
  for (let i = 0; i < this.constants.BS; i++) {
    const q = b * this.constants.BS + i;
    if (q >= p) break;
    if (indices[this.constants.io + q] === e) s += 1;
  }
  return s;
}

// pairOfSlot[s]: the expert e owning slot s (from the capacities), -1 when s is one of e's padded slots or
// lies past the last block; else the last block b whose blockStart[b, e] <= s (a binary search: blockStart is
// non-decreasing in b), then the (s - blockStart[b, e])-th pair of e in b.
function pairOfSlotBody(this: This, indices: Float32Array, counts: Float32Array, capacities: Float32Array, blockStart: Float32Array): number {
  const s = this.thread.x;
  let e = -1;
  let row = 0; // s - (first slot of e)
  let end = 0;
  for (let f = 0; f < this.constants.E; f++) {
    const begin = end;
    end += capacities[f];
    if (s >= begin && s < end) {
      e = f;
      row = s - begin;
    }
  }
  if (e < 0) return -1;
  if (row >= counts[e]) return -1;
  let lo = 0;
  let hi = this.constants.NB - 1;
  for (let it = 0; it < this.constants.LOG_NB; it++) {
    if (lo < hi) {
      const mid = Math.floor((lo + hi + 1) / 2);
      if (blockStart[mid * this.constants.E + e] <= s) lo = mid;
      else hi = mid - 1;
    }
  }
  const target = s - blockStart[lo * this.constants.E + e];
  let seen = 0;
  let pair = 0;
  for (let i = 0; i < this.constants.BS; i++) {
    const q = lo * this.constants.BS + i;
    if (q < this.constants.S) {
      if (indices[this.constants.io + q] === e) {
        if (seen === target) pair = q;
        seen += 1;
      }
    }
  }
  return pair;
}

// tokenOfSlot[s] = floor(pairOfSlot[s] / K), -1 for a padded slot
function tokenOfSlotBody(this: This, pairs: Float32Array): number {
  const pair = pairs[this.thread.x];
  if (pair < 0) return -1;
  return Math.floor(pair / this.constants.K);
}

/** The two parts of the routing choice: each token's top-k experts (topk, topkSoftmax), and the plan (moeRoute). */
export type RoutingPart = 'topk' | 'plan';

/**
 * Where a routing op takes int32 inputs (top-k indices, the plan's maps), where its per-expert blocks begin
 * (those may be empty), and which part of the routing choice it is, if any (see routingOnDevice).
 */
export interface RoutingInputs {
  index: readonly number[];
  blocksFrom?: number;
  part?: RoutingPart;
}

/** The admission rules read this (./index.ts): every other input is a non-empty float32 tensor. */
export const ROUTING_INPUTS: { [K in keyof RoutingOps]?: RoutingInputs } = {
  topk: { index: [], part: 'topk' }, // [x]
  topkSoftmax: { index: [], part: 'topk' }, // [logits]
  topkBackward: { index: [1] }, // [dy, indices]
  moeRoute: { index: [0], part: 'plan' }, // [indices]
  moeDispatch: { index: [1, 2] }, // [x, tokenOfSlot, slotOfPair]
  moeDispatchBackward: { index: [0, 1], blocksFrom: 2 }, // [tokenOfSlot, slotOfPair, ...dxs]
  moeCombine: { index: [1, 2], blocksFrom: 3 }, // [weights, pairOfSlot, slotOfPair, ...ys]
  moeCombineBackward: { index: [2, 3], blocksFrom: 4 }, // [dy, weights, pairOfSlot, slotOfPair, ...ys]
};

/**
 * Whether a part of the routing choice runs on the device in `mode`; where not, admission leaves it to the
 * CPU kernels. The host must learn the plan's counts every step whatever runs where (they fix the experts'
 * batch shapes), so each placement costs one download per MoE layer; they differ in what crosses and where
 * the work runs. From device-resident router logits [N, E] to (weights, plan), E = 8, k = 2, in ms per call
 * (bench/gpu-routing.ts, two runs: median of 9 rounds timed in alternation, on 2 cores shared with other
 * jobs at load 5-8, hence the spread; headless-gl is Mesa's llvmpipe, a software rasteriser on those cores):
 *
 *                                                N = 64·50 tokens              N = 1024·50 tokens
 *                                             webasm      headless-gl        webasm      headless-gl
 *   CPU kernels alone (no device, for scale)  0.38 / 1.20  0.39 / 0.67     7.8 / 9.6    17.2 / 17.6
 *   A  top-k on device, plan on CPU (N·k)     0.95 / 2.10  0.99 / 2.66    21.9 / 36.0   14.0 / 29.4
 *   B  both on device (reads the E counts)    7.8 / 19.8   6.8 / 7.5       118 / 209     190 / 249
 *   C  both on CPU (reads the logits, N·E)    0.55 / 0.96  1.32 / 1.95     8.1 / 13.8   36.7 / 68.9
 *
 * - the plan stays on the CPU in every mode: the device's blocked counting sort (6 kernels, O(N·k·256)
 *   work) lost to the CPU's single O(N·k) pass everywhere measured. Its kernel is kept, parity-tested and
 *   benchmarked: on a GPU with real parallelism B may win (no uploads, a 32-byte readback); the bench
 *   will say so where one exists.
 * - top-k: on the CPU in the emulated modes (webasm, cpu: each gpu.js call there copies its arguments in
 *   and its result out, which costs more than the CPU's selection: C), on the device in the GL modes (A:
 *   reading back N·k indices instead of N·E logits and the CPU's selection won by 2.3-2.6x at 1024·50; at
 *   64·50 the two runs disagree, within the noise). NOTE: webgpu follows the GL modes unmeasured, and its
 *   readback is asynchronous only: a routing plan there needs its host read awaited (not supported yet).
 */
export function routingOnDevice(mode: GpuMode, part: RoutingPart): boolean {
  if (part === 'plan') return false;
  return mode !== 'webasm' && mode !== 'cpu';
}

/** False for a routing-choice op that `mode` leaves to the CPU (routingOnDevice); true for every other op. */
export function admitsRoutingOp(op: string, mode: GpuMode): boolean {
  const part = ROUTING_INPUTS[op as keyof RoutingOps]?.part;
  return part === undefined || routingOnDevice(mode, part);
}

export function routingGpuKernels(context: GpuContext): { [K in keyof RoutingOps]: Kernel<K> } {
  /** Top-k indices of x [.., E] as a device array [rows·k], plus what the value kernels need. */
  const selectTopk = (x: Tensor, k: number, staging: Staging): { indices: GpuArray; xs: { arg: KernelArg; offset: number }; E: number; rows: number } => {
    const E = x.shape[x.rank - 1];
    const rows = x.size / E;
    const [xs] = staging.contiguous(x);
    const indices = context.run('topk', topkIndexBody, rows * k, { K: k, E, xo: xs.offset }, [xs.arg], 'int32');
    return { indices, xs, E, rows };
  };

  return {
    topk: ([x], { k }) => {
      // x: [.., E] -> values, indices: [.., k]
      const shape = [...x.shape.slice(0, -1), k];
      const staging = new Staging(context);
      const { indices, xs, E, rows } = selectTopk(x, k, staging);
      const values = context.run('topk', topkValueBody, rows * k, { K: k, E, xo: xs.offset }, [xs.arg, indices.value]);
      staging.release();
      return { outputs: [deviceTensor(values, shape), deviceTensor(indices, shape)] };
    },

    topkSoftmax: ([x], { k }) => {
      // x: [.., E] -> weights, indices: [.., k]
      const shape = [...x.shape.slice(0, -1), k];
      const staging = new Staging(context);
      const { indices, xs, E, rows } = selectTopk(x, k, staging);
      const weights = context.run('topkSoftmax', topkSoftmaxBody, rows * k, { K: k, E, xo: xs.offset }, [xs.arg, indices.value]);
      staging.release();
      return { outputs: [deviceTensor(weights, shape), deviceTensor(indices, shape)] };
    },

    topkBackward: ([dy, indices], { size: E }) => {
      // dy, indices: [.., k] -> dx: [.., E]
      const k = dy.shape[dy.rank - 1];
      const rows = dy.size / k;
      const staging = new Staging(context);
      const [g, idx] = staging.contiguous(dy, indices);
      const dx = context.run('topkBackward', topkBackwardBody, rows * E, { K: k, E, dyo: g.offset, io: idx.offset }, [g.arg, idx.arg]);
      staging.release();
      return { outputs: [deviceTensor(dx, [...dy.shape.slice(0, -1), E])] };
    },

    moeRoute: ([indices], { numExperts: E, capacity }) => {
      // indices: [N, k] -> tokenOfSlot, pairOfSlot: [P], slotOfPair: [N, k], counts: [E]
      const k = indices.shape[1];
      const S = indices.size;
      const P = slotCount(S, E, capacity);
      const BS = Math.min(PLAN_BLOCK, S);
      const NB = Math.ceil(S / BS);
      const staging = new Staging(context);
      const [idx] = staging.contiguous(indices);
      const io = idx.offset;
      const blockCounts = staging.hold(context.run('moeRoute', blockCountsBody, NB * E, { E, BS, S, io }, [idx.arg]));
      const counts = context.run('moeRoute', planCountsBody, E, { E, NB }, [blockCounts.value], 'int32');
      const capacities = capacity === 'bucket' ? staging.hold(context.run('moeRoute', planCapacitiesBody, E, { G: MIN_GRANULE }, [counts.value])) : counts;
      const blockStart = staging.hold(context.run('moeRoute', blockStartBody, NB * E, { E, NB }, [blockCounts.value, capacities.value]));
      const slotOfPair = context.run('moeRoute', slotOfPairBody, S, { E, BS, io }, [idx.arg, blockStart.value], 'int32');
      const LOG_NB = Math.ceil(Math.log2(NB)) + 1;
      const pairOfSlot = context.run('moeRoute', pairOfSlotBody, P, { E, BS, S, NB, LOG_NB, io }, [idx.arg, counts.value, capacities.value, blockStart.value], 'int32');
      const tokenOfSlot = context.run('moeRoute', tokenOfSlotBody, P, { K: k }, [pairOfSlot.value], 'int32');
      staging.release();
      return { outputs: [deviceTensor(tokenOfSlot, [P]), deviceTensor(pairOfSlot, [P]), deviceTensor(slotOfPair, [...indices.shape]), deviceTensor(counts, [E])] };
    },

    moeDispatch: ([x, tokenOfSlot], { capacities }) => {
      // x: [N, D] -> xs[e]: [capacity_e, D], one device array per expert (one kernel per distinct capacity)
      const D = x.shape[1];
      const staging = new Staging(context);
      const [xs, tokens] = staging.contiguous(x, tokenOfSlot);
      const constants = { D, xo: xs.offset, to: tokens.offset };
      const outputs = expertArrays('moeDispatch', capacities, D, (start, rows) => context.run('moeDispatch', dispatchBlockBody, rows * D, constants, [xs.arg, tokens.arg, start]));
      staging.release();
      return { outputs };
    },

    moeDispatchBackward: ([, slotOfPair, ...dxs]) => {
      // dxs[e]: [count_e, D] -> dx: [N, D], dx[n] = Σ_j dxs[slotOfPair[n, j]]
      const [N, k] = slotOfPair.shape;
      const D = dxs[0].shape[1];
      const staging = new Staging(context);
      const [slots] = staging.contiguous(slotOfPair);
      const constants = { D, K: k, so: slots.offset, wo: 0, weighted: 0 };
      const dx = expertPasses(context, staging, 'moeDispatchBackward', N * D, dxs, (prev, block, start, count) =>
        context.run('moeDispatchBackward', expertPassBody, N * D, constants, [prev.value, slots.arg, NO_INPUT, block.arg, start, count, block.offset]),
      );
      staging.release();
      return { outputs: [deviceTensor(dx, [N, D])] };
    },

    moeCombine: ([weights, , slotOfPair, ...ys]) => {
      // weights: [N, k], ys[e]: [count_e, D] -> y: [N, D]
      const [N, k] = weights.shape;
      const D = ys[0].shape[1];
      const staging = new Staging(context);
      const [w, slots] = staging.contiguous(weights, slotOfPair);
      const constants = { D, K: k, so: slots.offset, wo: w.offset, weighted: 1 };
      const y = expertPasses(context, staging, 'moeCombine', N * D, ys, (prev, block, start, count) =>
        context.run('moeCombine', expertPassBody, N * D, constants, [prev.value, slots.arg, w.arg, block.arg, start, count, block.offset]),
      );
      staging.release();
      return { outputs: [deviceTensor(y, [N, D])] };
    },

    moeCombineBackward: ([dy, weights, pairOfSlot, slotOfPair, ...ys]) => {
      // dy: [N, D] -> dweights: [N, k], dys[e]: [capacity_e, D] (one device array per expert)
      const [N, k] = weights.shape;
      const D = dy.shape[1];
      const staging = new Staging(context);
      const [g, w, pairs, slots] = staging.contiguous(dy, weights, pairOfSlot, slotOfPair);
      const slotConstants = { D, K: k, dyo: g.offset, wo: w.offset, po: pairs.offset };
      const dys = expertArrays(
        'moeCombineBackward',
        ys.map((y) => y.shape[0]),
        D,
        (start, rows) => context.run('moeCombineBackward', combineBackwardBlockBody, rows * D, slotConstants, [g.arg, w.arg, pairs.arg, start]),
      );
      const constants = { D, K: k, so: slots.offset, dyo: g.offset };
      const dw = expertPasses(context, staging, 'moeCombineBackward', N * k, ys, (prev, block, start, count) =>
        context.run('moeCombineBackward', weightGradPassBody, N * k, constants, [prev.value, slots.arg, g.arg, block.arg, start, count, block.offset]),
      );
      staging.release();
      return { outputs: [deviceTensor(dw, [N, k]), ...dys] };
    },
  };
}
