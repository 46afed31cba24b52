// gpu.js kernels for conv1d and maxPool1d over channels-last [B, L, C], forward and backward (direct loops, every size a constant).
//
// Direct, not im2col + GEMM: a GPU thread per output cell reads its K·C_in window straight from x, with no
// K-times-larger column buffer to write and read back. The backward kernels are gathers too (one thread per
// dx or dw cell), so no two threads ever add into the same cell.

import type { ConvOps } from '../../tensor/ops/conv.ts';
import type { Kernel } from '../backend.ts';
import type { Constants, GpuContext } from './context.ts';
import { ACTIVATION_CODES } from './linalg.ts';
import { NO_INPUT, Staging, deviceTensor } from './device.ts';

type This = { thread: { x: number }; constants: Constants };

// y[b, t, o] = act(bias[o] + Σ_k Σ_c x[b, t·stride + k - padLeft, c] · w[k, c, o]), x = 0 outside [0, L).
function conv1dBody(this: This, x: Float32Array, w: Float32Array, bias: Float32Array): number {
  const bt = Math.floor(this.thread.x / this.constants.Co);
  const o = this.thread.x - bt * this.constants.Co;
  const b = Math.floor(bt / this.constants.Lout);
  const t = bt - b * this.constants.Lout;
  let s = 0;
  if (this.constants.hasBias === 1) s = bias[this.constants.bo + o];
  for (let k = 0; k < this.constants.K; k++) {
    const l = t * this.constants.stride + k - this.constants.padLeft;
    if (l >= 0 && l < this.constants.L) {
      const px = this.constants.xo + (b * this.constants.L + l) * this.constants.Ci;
      const pw = this.constants.wo + k * this.constants.Ci * this.constants.Co + o;
      for (let c = 0; c < this.constants.Ci; c++) s += x[px + c] * w[pw + c * this.constants.Co];
    }
  }
  if (this.constants.act === 1) return Math.max(s, 0);
  if (this.constants.act === 2) return Math.tanh(s);
  if (this.constants.act === 3) return 1 / (1 + Math.exp(-s));
  return s;
}

// dx[b, l, c] = Σ_k Σ_o dy[b, t, o] · w[k, c, o] over the k with l = t·stride + k - padLeft, 0 <= t < Lout.
function conv1dInputGradBody(this: This, dy: Float32Array, w: Float32Array): number {
  const bl = Math.floor(this.thread.x / this.constants.Ci);
  const c = this.thread.x - bl * this.constants.Ci;
  const b = Math.floor(bl / this.constants.L);
  const l = bl - b * this.constants.L;
  let s = 0;
  for (let k = 0; k < this.constants.K; k++) {
    const u = l + this.constants.padLeft - k; // = t · stride
    const t = Math.floor(u / this.constants.stride);
    if (u >= 0 && t * this.constants.stride === u && t < this.constants.Lout) {
      const pdy = this.constants.dyo + (b * this.constants.Lout + t) * this.constants.Co;
      const pw = this.constants.wo + (k * this.constants.Ci + c) * this.constants.Co;
      for (let o = 0; o < this.constants.Co; o++) s += dy[pdy + o] * w[pw + o];
    }
  }
  return s;
}

// dw[k, c, o] = Σ_b Σ_t x[b, t·stride + k - padLeft, c] · dy[b, t, o]: the batch is the reduction.
function conv1dWeightGradBody(this: This, x: Float32Array, dy: Float32Array): number {
  const kc = Math.floor(this.thread.x / this.constants.Co);
  const o = this.thread.x - kc * this.constants.Co;
  const k = Math.floor(kc / this.constants.Ci);
  const c = kc - k * this.constants.Ci;
  let s = 0;
  for (let bt = 0; bt < this.constants.BLout; bt++) {
    const b = Math.floor(bt / this.constants.Lout);
    const t = bt - b * this.constants.Lout;
    const l = t * this.constants.stride + k - this.constants.padLeft;
    if (l >= 0 && l < this.constants.L) {
      s += x[this.constants.xo + (b * this.constants.L + l) * this.constants.Ci + c] * dy[this.constants.dyo + bt * this.constants.Co + o];
    }
  }
  return s;
}

// argmax time index of the window of y[b, t, c]. NOTE: strict '>' keeps the lowest index at ties.
function maxPoolArgmaxBody(this: This, x: Float32Array): number {
  const bt = Math.floor(this.thread.x / this.constants.C);
  const c = this.thread.x - bt * this.constants.C;
  const b = Math.floor(bt / this.constants.Lout);
  const t = bt - b * this.constants.Lout;
  const l0 = t * this.constants.stride;
  const base = this.constants.xo + b * this.constants.L * this.constants.C + c;
  let m = x[base + l0 * this.constants.C];
  let best = l0;
  for (let p = 1; p < this.constants.pool; p++) {
    const v = x[base + (l0 + p) * this.constants.C];
    if (v > m) {
      m = v;
      best = l0 + p;
    }
  }
  return best;
}

// y[b, t, c] = x[b, argmax[b, t, c], c]
function maxPoolGatherBody(this: This, x: Float32Array, argmax: Float32Array): number {
  const bt = Math.floor(this.thread.x / this.constants.C);
  const c = this.thread.x - bt * this.constants.C;
  const b = Math.floor(bt / this.constants.Lout);
  return x[this.constants.xo + (b * this.constants.L + argmax[this.thread.x]) * this.constants.C + c];
}

// dx[b, l, c] = Σ_t dy[b, t, c] over the windows t whose argmax is l (overlapping windows add up).
// Only the windows that cover l can pick it: t·stride <= l < t·stride + pool, i.e. t = floor(l / stride) - p
// for p < ceil(pool / stride) (the constant `windows`), so a thread reads at most that many, not all L_out.
function maxPoolBackwardBody(this: This, dy: Float32Array, argmax: Float32Array): number {
  const bl = Math.floor(this.thread.x / this.constants.C);
  const c = this.thread.x - bl * this.constants.C;
  const b = Math.floor(bl / this.constants.L);
  const l = bl - b * this.constants.L;
  const base = b * this.constants.Lout * this.constants.C + c;
  const last = Math.floor(l / this.constants.stride); // the last window starting at or before l
  let s = 0;
  for (let p = 0; p < this.constants.windows; p++) {
    const t = last - p;
    // t < Lout: positions past the last window's start; l - t·stride < pool: gaps when stride > pool.
    if (t >= 0 && t < this.constants.Lout && l - t * this.constants.stride < this.constants.pool) {
      if (argmax[this.constants.ao + base + t * this.constants.C] === l) s += dy[this.constants.dyo + base + t * this.constants.C];
    }
  }
  return s;
}

type GpuConvOps = Exclude<keyof ConvOps, 'dropoutWithMask'>;

export function convGpuKernels(context: GpuContext): { [K in GpuConvOps]: Kernel<K> } {
  return {
    // x: [B, L, C_in], w: [K, C_in, C_out], bias: [C_out] -> y: [B, L_out, C_out]
    conv1d: ([x, w, bias], { stride, padLeft, outLength, activation }) => {
      const [B, L, Ci] = x.shape;
      const [K, , Co] = w.shape;
      const staging = new Staging(context);
      const [xs, ws] = staging.contiguous(x, w);
      const [bs] = bias ? staging.contiguous(bias) : [{ arg: NO_INPUT, offset: 0 }];
      const constants = { L, Ci, Co, K, Lout: outLength, stride, padLeft, xo: xs.offset, wo: ws.offset, bo: bs.offset, hasBias: bias ? 1 : 0, act: ACTIVATION_CODES[activation ?? 'none'] };
      const y = context.run('conv1d', conv1dBody, B * outLength * Co, constants, [xs.arg, ws.arg, bs.arg]);
      staging.release();
      return { outputs: [deviceTensor(y, [B, outLength, Co])] };
    },

    // dy: [B, L_out, C_out], w: [K, C_in, C_out] -> dx: [B, L, C_in]
    conv1dInputGrad: ([dy, w], { stride, padLeft, inLength }) => {
      const [B, Lout, Co] = dy.shape;
      const [K, Ci] = w.shape;
      const staging = new Staging(context);
      const [g, ws] = staging.contiguous(dy, w);
      const constants = { L: inLength, Ci, Co, K, Lout, stride, padLeft, dyo: g.offset, wo: ws.offset };
      const dx = context.run('conv1dInputGrad', conv1dInputGradBody, B * inLength * Ci, constants, [g.arg, ws.arg]);
      staging.release();
      return { outputs: [deviceTensor(dx, [B, inLength, Ci])] };
    },

    // x: [B, L, C_in], dy: [B, L_out, C_out] -> dw: [K, C_in, C_out]
    conv1dWeightGrad: ([x, dy], { stride, padLeft, kernelSize: K }) => {
      const [B, L, Ci] = x.shape;
      const [, Lout, Co] = dy.shape;
      const staging = new Staging(context);
      const [xs, g] = staging.contiguous(x, dy);
      const constants = { L, Ci, Co, Lout, BLout: B * Lout, stride, padLeft, xo: xs.offset, dyo: g.offset };
      const dw = context.run('conv1dWeightGrad', conv1dWeightGradBody, K * Ci * Co, constants, [xs.arg, g.arg]);
      staging.release();
      return { outputs: [deviceTensor(dw, [K, Ci, Co])] };
    },

    // x: [B, L, C] -> y: [B, L_out, C], argmax (saved): [B, L_out, C] int32 time indices into x
    maxPool1d: ([x], { poolSize, stride }) => {
      const [B, L, C] = x.shape;
      const Lout = Math.floor((L - poolSize) / stride) + 1;
      const staging = new Staging(context);
      const [xs] = staging.contiguous(x);
      const constants = { L, C, Lout, stride, pool: poolSize, xo: xs.offset };
      const argmax = context.run('maxPool1d', maxPoolArgmaxBody, B * Lout * C, constants, [xs.arg], 'int32');
      const y = context.run('maxPool1d', maxPoolGatherBody, B * Lout * C, constants, [xs.arg, argmax.value]);
      staging.release();
      return { outputs: [deviceTensor(y, [B, Lout, C])], saved: [deviceTensor(argmax, [B, Lout, C])] };
    },

    // dy: [B, L_out, C], argmax: [B, L_out, C] -> dx: [B, L, C]
    maxPool1dBackward: ([dy, argmax], { inLength, poolSize, stride }) => {
      const [B, Lout, C] = dy.shape;
      const staging = new Staging(context);
      const [g, am] = staging.contiguous(dy, argmax);
      const constants = { L: inLength, C, Lout, pool: poolSize, stride, windows: Math.ceil(poolSize / stride), dyo: g.offset, ao: am.offset };
      const dx = context.run('maxPool1dBackward', maxPoolBackwardBody, B * inLength * C, constants, [g.arg, am.arg]);
      staging.release();
      return { outputs: [deviceTensor(dx, [B, inLength, C])] };
    },
  };
}
