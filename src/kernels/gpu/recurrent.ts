// gpu.js kernels for the fused whole-sequence LSTM: forward (input GEMM, then per step a gate kernel and a state kernel) and BPTT.
//
// The CPU kernel (src/kernels/cpu/recurrent.ts) writes step t into rows of [B, T, *] buffers in place. A
// gpu.js kernel cannot write in place: each call produces one new array of a size fixed at compile time.
// So each step produces its own packed row block, and the blocks are stacked into [B, T, *] once at the end:
//   forward, per step:  gates_t = act(zx[:, t] + h_{t-1}·W_hh)           [B, 4H]  (i, f, g, o activated)
//                       S_t = [gates_t | c_t | tanh(c_t) | h_t]          [B, 7H]
//   backward, per step: D_t = [dz_t | dc_{t-1}]                           [B, 5H]
//                       dh_{t-1} = dz_t·W_hhᵀ                             [B, H]
// and everything without a recurrence (x·W_ih + b; dW_ih, dW_hh, db, dx) is one GEMM-like kernel over all
// B·T rows. The time step t is a kernel *argument* (a number), so one compiled kernel serves every step.

import type { RecurrentOps } from '../../tensor/ops/recurrent.ts';
import type { Kernel } from '../backend.ts';
import { MAX_KERNEL_ARRAYS, type Constants, type GpuArray, type GpuContext, type KernelArg } from './context.ts';
import { NO_INPUT, Staging, deviceTensor } from './device.ts';

type This = { thread: { x: number }; constants: Constants };

/**
 * Most step blocks one stack kernel reads: MAX_KERNEL_ARRAYS (7 inputs and the output are 8 storage
 * buffers, WebGPU's default limit per shader; GL shaders have at least 16 texture units).
 */
const STACK_ARITY = MAX_KERNEL_ARRAYS;
// NOTE: stackBody below spells out exactly STACK_ARITY array parameters (gpu.js needs a fixed arity); the
// check after it fails at load time if the limit and the body ever disagree.

// zx[r, k] = Σ_f x[r, f] · W_ih[f, k] + b[k] over all r = n·T + t: the input side of every step at once.
function inputProjectionBody(this: This, x: Float32Array, wIh: Float32Array, b: Float32Array): number {
  const r = Math.floor(this.thread.x / this.constants.G);
  const k = this.thread.x - r * this.constants.G;
  let s = b[this.constants.bo + k];
  for (let f = 0; f < this.constants.F; f++) s += x[this.constants.xo + r * this.constants.F + f] * wIh[this.constants.wo + f * this.constants.G + k];
  return s;
}

// gates[n, k] = act(zx[n, t, k] + Σ_j h_{t-1}[n, j] · W_hh[j, k]), act = tanh on the g block (k / H = 2), σ elsewhere.
// h_{t-1} is h0 (row stride H) at t = 0, else the h columns of the previous step's block S_{t-1} (row stride 7H).
function gatesBody(this: This, zx: Float32Array, hPrev: Float32Array, wHh: Float32Array, t: number): number {
  const n = Math.floor(this.thread.x / this.constants.G);
  const k = this.thread.x - n * this.constants.G;
  let s = zx[(n * this.constants.T + t) * this.constants.G + k];
  const ph = this.constants.ho + n * this.constants.hs;
  for (let j = 0; j < this.constants.H; j++) s += hPrev[ph + j] * wHh[this.constants.wo + j * this.constants.G + k];
  if (Math.floor(k / this.constants.H) === 2) return Math.tanh(s);
  return 1 / (1 + Math.exp(-s));
}

// S_t[n, :] = [i f g o | c | tanh(c) | h] with c = f·c_{t-1} + i·g and h = o·tanh(c); c_{t-1} is c0 at t = 0
// (row stride H), else the c columns of S_{t-1} (row stride 7H).
function stateBody(this: This, gates: Float32Array, cPrev: Float32Array): number {
  const W = 7 * this.constants.H;
  const n = Math.floor(this.thread.x / W);
  const k = this.thread.x - n * W;
  const pg = n * 4 * this.constants.H;
  if (k < 4 * this.constants.H) return gates[pg + k];
  const part = Math.floor((k - 4 * this.constants.H) / this.constants.H); // 0: c, 1: tanh(c), 2: h
  const j = k - (4 + part) * this.constants.H;
  const i = gates[pg + j];
  const f = gates[pg + this.constants.H + j];
  const g = gates[pg + 2 * this.constants.H + j];
  const c = f * cPrev[this.constants.co + n * this.constants.cs + j] + i * g;
  if (part === 0) return c;
  const tc = Math.tanh(c);
  if (part === 1) return tc;
  return gates[pg + 3 * this.constants.H + j] * tc;
}

// y[n, s, k] = column col0 + k of step s, read from the input block holding it: input q holds steps
// [q·m, q·m + m) (the last one mLast steps), each as rows of W values. Stacks step blocks and slices columns.
function stackBody(
  this: This,
  a0: Float32Array, a1: Float32Array, a2: Float32Array, a3: Float32Array,
  a4: Float32Array, a5: Float32Array, a6: Float32Array,
): number {
  const n = Math.floor(this.thread.x / (this.constants.total * this.constants.Wout));
  const r = this.thread.x - n * this.constants.total * this.constants.Wout;
  const s = Math.floor(r / this.constants.Wout);
  const k = r - s * this.constants.Wout;
  const q = Math.floor(s / this.constants.m);
  let steps = this.constants.m;
  if (q === this.constants.count - 1) steps = this.constants.mLast;
  const p = (n * steps + s - q * this.constants.m) * this.constants.W + this.constants.col0 + k;
  if (q === 0) return a0[p];
  if (q === 1) return a1[p];
  if (q === 2) return a2[p];
  if (q === 3) return a3[p];
  if (q === 4) return a4[p];
  if (q === 5) return a5[p];
  return a6[p];
}
if (stackBody.length !== STACK_ARITY) throw new Error(`gpu: stackBody reads ${stackBody.length} blocks, STACK_ARITY is ${STACK_ARITY}`);

/** Blocks of B rows and `steps` steps each, W values per (row, step). */
interface StepBlocks {
  arrays: GpuArray[];
  /** Steps per block (the last one may hold fewer: lastSteps). */
  steps: number;
  lastSteps: number;
}

function stackCall(context: GpuContext, blocks: readonly GpuArray[], steps: number, lastSteps: number, B: number, W: number, col0: number, Wout: number): GpuArray {
  const total = (blocks.length - 1) * steps + lastSteps;
  const args: KernelArg[] = blocks.map((a) => a.value);
  while (args.length < STACK_ARITY) args.push(NO_INPUT);
  const constants = { count: blocks.length, m: steps, mLast: lastSteps, W, col0, Wout, total };
  return context.run('lstmStack', stackBody, B * total * Wout, constants, args);
}

/**
 * Stack T one-step blocks [B, W] into one [B, T, W] array, STACK_ARITY blocks per call (a tree of calls
 * for long sequences; every value is copied once per level). Frees the intermediates, not the inputs.
 */
function stackSteps(context: GpuContext, steps: readonly GpuArray[], B: number, W: number): GpuArray {
  let level: StepBlocks = { arrays: [...steps], steps: 1, lastSteps: 1 };
  let owned = false; // whether level.arrays are intermediates of ours
  while (level.arrays.length > 1) {
    const next: GpuArray[] = [];
    let lastSteps = 0;
    for (let g = 0; g < level.arrays.length; g += STACK_ARITY) {
      const group = level.arrays.slice(g, g + STACK_ARITY);
      const isLast = g + STACK_ARITY >= level.arrays.length;
      const groupLast = isLast ? level.lastSteps : level.steps;
      next.push(stackCall(context, group, level.steps, groupLast, B, W, 0, W));
      if (isLast) lastSteps = (group.length - 1) * level.steps + groupLast;
    }
    if (owned) for (const a of level.arrays) a.dispose();
    level = { arrays: next, steps: level.steps * STACK_ARITY, lastSteps };
    owned = true;
  }
  // A single step (T = 1) is copied, so the caller may free its blocks either way.
  return owned ? level.arrays[0] : stackCall(context, level.arrays, 1, 1, B, W, 0, W);
}

/** Columns [col0, col0 + Wout) of a [B, T, W] array, as a new [B, T, Wout] array. */
function columns(context: GpuContext, full: GpuArray, B: number, T: number, W: number, col0: number, Wout: number): GpuArray {
  return stackCall(context, [full], T, T, B, W, col0, Wout);
}

// ---- backward ------------------------------------------------------------------------------------------

// D_t[n, :] = [dz_i dz_f dz_g dz_o | dc_{t-1}], the CPU's lstmCellBackward for one step:
//   dh = dy_t + dh carried from t+1, dc = dc carried + dh·o·(1 - tanh²c)
//   dz = [dc·g·i(1-i), dc·c_{t-1}·f(1-f), dc·i·(1-g²), dh·tanh(c)·o(1-o)], dc_{t-1} = dc·f
// c_{t-1} is c0 at t = 0 (constants cPrev*: stride H) else c[:, t-1]; the dc carry is dcT at t = T-1 (stride H)
// else the last columns of D_{t+1} (stride 5H, offset 4H).
function cellBackwardBody(
  this: This,
  gates: Float32Array, c: Float32Array, tanhC: Float32Array, dy: Float32Array,
  dh: Float32Array, dc: Float32Array, t: number,
): number {
  const H = this.constants.H;
  const n = Math.floor(this.thread.x / (5 * H));
  const k = this.thread.x - n * 5 * H;
  const part = Math.floor(k / H);
  const j = k - part * H;
  const pg = this.constants.go + (n * this.constants.T + t) * 4 * H;
  const ph = (n * this.constants.T + t) * H + j;
  const i = gates[pg + j];
  const f = gates[pg + H + j];
  const g = gates[pg + 2 * H + j];
  const o = gates[pg + 3 * H + j];
  const tc = tanhC[this.constants.tco + ph];
  const dht = dy[this.constants.dyo + ph] + dh[this.constants.dho + n * H + j];
  if (part === 3) return dht * tc * o * (1 - o);
  const dct = dc[this.constants.dco + n * this.constants.dcs + j] + dht * o * (1 - tc * tc);
  if (part === 0) return dct * g * i * (1 - i);
  if (part === 2) return dct * i * (1 - g * g);
  if (part === 4) return dct * f;
  // part 1: c_{t-1}
  let cp = 0;
  if (this.constants.fromC0 === 1) cp = c[this.constants.cpo + n * H + j];
  else cp = c[this.constants.cpo + (n * this.constants.T + t - 1) * H + j];
  return dct * cp * f * (1 - f);
}

// dh_{t-1}[n, j] = Σ_k dz_t[n, k] · W_hh[j, k]: the carry into the previous step.
function dhCarryBody(this: This, d: Float32Array, wHh: Float32Array): number {
  const n = Math.floor(this.thread.x / this.constants.H);
  const j = this.thread.x - n * this.constants.H;
  let s = 0;
  for (let k = 0; k < this.constants.G; k++) s += d[n * 5 * this.constants.H + k] * wHh[this.constants.wo + j * this.constants.G + k];
  return s;
}

// dW_ih[f, k] = Σ_r x[r, f] · dz[r, k] over all B·T rows (dz rows 5H apart in the stacked D).
function dwIhBody(this: This, x: Float32Array, d: Float32Array): number {
  const f = Math.floor(this.thread.x / this.constants.G);
  const k = this.thread.x - f * this.constants.G;
  let s = 0;
  for (let r = 0; r < this.constants.R; r++) s += x[this.constants.xo + r * this.constants.F + f] * d[r * 5 * this.constants.H + k];
  return s;
}

// dW_hh[j, k] = Σ_r h_{t-1}[r, j] · dz[r, k], with h_{t-1} of row r = n·T + t being h0[n] at t = 0, else y[r - 1].
function dwHhBody(this: This, y: Float32Array, h0: Float32Array, d: Float32Array): number {
  const j = Math.floor(this.thread.x / this.constants.G);
  const k = this.thread.x - j * this.constants.G;
  let s = 0;
  for (let r = 0; r < this.constants.R; r++) {
    const n = Math.floor(r / this.constants.T);
    let h = 0;
    if (r === n * this.constants.T) h = h0[this.constants.h0o + n * this.constants.H + j];
    else h = y[this.constants.yo + (r - 1) * this.constants.H + j];
    s += h * d[r * 5 * this.constants.H + k];
  }
  return s;
}

// db[k] = Σ_r dz[r, k].
function dbBody(this: This, d: Float32Array): number {
  let s = 0;
  for (let r = 0; r < this.constants.R; r++) s += d[r * 5 * this.constants.H + this.thread.x];
  return s;
}

// dx[r, f] = Σ_k dz[r, k] · W_ih[f, k].
function dxBody(this: This, d: Float32Array, wIh: Float32Array): number {
  const r = Math.floor(this.thread.x / this.constants.F);
  const f = this.thread.x - r * this.constants.F;
  let s = 0;
  for (let k = 0; k < this.constants.G; k++) s += d[r * 5 * this.constants.H + k] * wIh[this.constants.wo + f * this.constants.G + k];
  return s;
}

function zerosBody(this: This): number {
  return 0;
}

export function recurrentGpuKernels(context: GpuContext): { [K in keyof RecurrentOps]: Kernel<K> } {
  return {
    // x: [B, T, F] -> y: [B, T, H], hT, cT: [B, H]; saved gates: [B, T, 4H] (activated), c, tanhC: [B, T, H]
    lstm: ([x, wIh, wHh, b, h0, c0]) => {
      const [B, T, F] = x.shape;
      const H = wHh.shape[0];
      const G = 4 * H;
      const W = 7 * H;
      const staging = new Staging(context);
      const [xs, wih, whh, bs, h0s, c0s] = staging.contiguous(x, wIh, wHh, b, h0, c0);
      const zx = staging.hold(context.run('lstm', inputProjectionBody, B * T * G, { G, F, xo: xs.offset, wo: wih.offset, bo: bs.offset }, [xs.arg, wih.arg, bs.arg]));
      const steps: GpuArray[] = [];
      for (let t = 0; t < T; t++) {
        const prev = t === 0 ? null : steps[t - 1];
        const fromPrev = { ho: 6 * H, hs: W, co: 4 * H, cs: W };
        const fromInit = { ho: h0s.offset, hs: H, co: c0s.offset, cs: H };
        const src = prev ? fromPrev : fromInit;
        const gates = context.run('lstm', gatesBody, B * G, { T, G, H, ho: src.ho, hs: src.hs, wo: whh.offset }, [zx.value, prev ? prev.value : h0s.arg, whh.arg, t]);
        steps.push(context.run('lstm', stateBody, B * W, { H, co: src.co, cs: src.cs }, [gates.value, prev ? prev.value : c0s.arg]));
        gates.dispose();
      }
      const last = steps[T - 1];
      const hT = columns(context, last, B, 1, W, 6 * H, H);
      const cT = columns(context, last, B, 1, W, 4 * H, H);
      const full = staging.hold(stackSteps(context, steps, B, W));
      for (const s of steps) s.dispose();
      const gates = columns(context, full, B, T, W, 0, G);
      const c = columns(context, full, B, T, W, 4 * H, H);
      const tanhC = columns(context, full, B, T, W, 5 * H, H);
      const y = columns(context, full, B, T, W, 6 * H, H);
      staging.release();
      return {
        outputs: [deviceTensor(y, [B, T, H]), deviceTensor(hT, [B, H]), deviceTensor(cT, [B, H])],
        saved: [deviceTensor(gates, [B, T, G]), deviceTensor(c, [B, T, H]), deviceTensor(tanhC, [B, T, H])],
      };
    },

    // BPTT from t = T-1 down to 0 (see the header); then one kernel each for dW_ih, dW_hh, db and dx over all B·T rows.
    lstmBackward: ([dy, dhT, dcT, x, wIh, wHh, h0, c0, y, gates, c, tanhC], { needsDx }) => {
      const [B, T, F] = x.shape;
      const H = wHh.shape[0];
      const G = 4 * H;
      const R = B * T;
      const staging = new Staging(context);
      const [dys, dhTs, dcTs, xs, wih, whh, h0s, c0s, ys, gs, cs, tcs] = staging.contiguous(dy, dhT, dcT, x, wIh, wHh, h0, c0, y, gates, c, tanhC);
      const blocks: GpuArray[] = new Array<GpuArray>(T);
      let dh: GpuArray | null = null; // dh carried into step t (null: dhT)
      for (let t = T - 1; t >= 0; t--) {
        const next = t === T - 1 ? null : blocks[t + 1];
        const constants = {
          H, T, go: gs.offset, tco: tcs.offset, dyo: dys.offset,
          dho: dh ? 0 : dhTs.offset,
          dco: next ? 4 * H : dcTs.offset, dcs: next ? 5 * H : H,
          fromC0: t === 0 ? 1 : 0, cpo: t === 0 ? c0s.offset : cs.offset,
        };
        const cPrev = t === 0 ? c0s.arg : cs.arg;
        blocks[t] = context.run('lstmBackward', cellBackwardBody, B * 5 * H, constants, [gs.arg, cPrev, tcs.arg, dys.arg, dh ? dh.value : dhTs.arg, next ? next.value : dcTs.arg, t]);
        const dhPrev = context.run('lstmBackward', dhCarryBody, B * H, { H, G, wo: whh.offset }, [blocks[t].value, whh.arg]);
        dh?.dispose();
        dh = dhPrev;
      }
      const dc0 = columns(context, blocks[0], B, 1, 5 * H, 4 * H, H);
      const d = staging.hold(stackSteps(context, blocks, B, 5 * H)); // [B, T, 5H]: dz in the first 4H columns
      for (const blk of blocks) blk.dispose();
      const dwIh = context.run('lstmBackward', dwIhBody, F * G, { F, G, H, R, xo: xs.offset }, [xs.arg, d.value]);
      const dwHh = context.run('lstmBackward', dwHhBody, H * G, { G, H, R, T, yo: ys.offset, h0o: h0s.offset }, [ys.arg, h0s.arg, d.value]);
      const db = context.run('lstmBackward', dbBody, G, { H, R }, [d.value]);
      // NOTE: with needsDx false (x is data) dx is zeros, as on the CPU, and its GEMM is skipped.
      const dx = needsDx
        ? context.run('lstmBackward', dxBody, R * F, { F, G, H, wo: wih.offset }, [d.value, wih.arg])
        : context.run('lstmBackward', zerosBody, R * F, {}, []);
      staging.release();
      return {
        outputs: [
          deviceTensor(dx, [B, T, F]), deviceTensor(dwIh, [F, G]), deviceTensor(dwHh, [H, G]),
          deviceTensor(db, [G]), deviceTensor(dh!, [B, H]), deviceTensor(dc0, [B, H]),
        ],
      };
    },
  };
}
