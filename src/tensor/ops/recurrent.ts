// Recurrent ops: the fused whole-sequence LSTM and its hand-written BPTT.
//
// Why one op for the whole sequence: unrolled into elementwise ops, an LSTM of T steps records ~15 T graph
// nodes and allocates as many tensors per batch; fused, it is one node whose input side is one GEMM over all
// B·T rows, with one small recurrent GEMM per step and no allocation inside the time loop (forward or backward).

import { formatShape, shapesEqual } from '../shape.ts';
import { type Tensor, emptyTensor } from '../tensor.ts';
import { isFloat } from '../dtype.ts';
import { runOp } from '../dispatch.ts';

type NoAttrs = Record<string, never>;

export interface RecurrentOps {
  /**
   * The whole-sequence LSTM. Inputs [x, wIh, wHh, b, h0, c0] -> outputs [y, hT, cT]; saves [gates, c, tanhC].
   * x: [B, T, F], wIh: [F, 4H], wHh: [H, 4H], b: [4H], h0 / c0: [B, H] -> y: [B, T, H], hT / cT: [B, H].
   * NOTE: gate order along the 4H axis is Keras' (i, f, c, o); see `lstm`.
   */
  lstm: NoAttrs;
  /**
   * Backward kernel (BPTT) of lstm. Inputs [dy, dhT, dcT, x, wIh, wHh, h0, c0, y, gates, c, tanhC]
   * -> outputs [dx, dwIh, dwHh, db, dh0, dc0]. NOTE: with `needsDx` false (x is data, as in a first layer),
   * dx is returned as zeros and its GEMM (as costly as a forward pass when F ≈ H) is skipped.
   */
  lstmBackward: { needsDx: boolean };
}

export interface LstmOptions {
  /** Initial hidden state [B, H] (default zeros). */
  h0?: Tensor;
  /** Initial cell state [B, H] (default zeros). */
  c0?: Tensor;
}

/** The results of `lstm`: every hidden state, plus the final hidden and cell states (Keras' return_state). */
export interface LstmResult {
  /** All hidden states h_1..h_T: [B, T, H] (Keras' return_sequences=True). */
  y: Tensor;
  /** The last hidden state h_T: [B, H] (what return_sequences=False returns; equals y[:, T-1, :]). */
  hT: Tensor;
  /** The last cell state c_T: [B, H]. */
  cT: Tensor;
}

/**
 * Run an LSTM over a whole sequence in one fused op (forward: a GEMM for the input projection of all steps,
 * then per step a recurrent GEMM and one fused cell pass; backward: hand-written BPTT).
 *
 * Per step, with z = x_t·W_ih + h_{t-1}·W_hh + b split along 4H into four blocks of H in Keras' order
 * (i, f, c, o) (PyTorch uses the same order, with its weights transposed and two biases):
 *   i = σ(z_i), f = σ(z_f), g = tanh(z_c), o = σ(z_o);  c_t = f·c_{t-1} + i·g;  h_t = o·tanh(c_t).
 * σ is the logistic sigmoid (Keras 2+'s default recurrent_activation; Keras 1 used hard_sigmoid).
 * NOTE: Keras' `unit_forget_bias=True` (forget-gate bias initialised to 1) is the layer's job, not this op's.
 *
 * @example
 * // x: [B, T, F] -> y: [B, T, H]
 * const { y, hT } = lstm(x, wIh, wHh, b);                  // wIh: [F, 4H], wHh: [H, 4H], b: [4H]
 * const next = lstm(x2, wIh, wHh, b, { h0: hT, c0: cT });   // carry state across chunks
 */
export function lstm(x: Tensor, wIh: Tensor, wHh: Tensor, b: Tensor, options: LstmOptions = {}): LstmResult {
  const shapes = `x=${formatShape(x.shape)}, wIh=${formatShape(wIh.shape)}, wHh=${formatShape(wHh.shape)}, b=${formatShape(b.shape)}`;
  if (x.rank !== 3) throw new Error(`lstm: x must be [B, T, F] (${shapes})`);
  const [B, T, F] = x.shape;
  if (wHh.rank !== 2 || wHh.shape[1] !== 4 * wHh.shape[0] || wHh.shape[0] === 0) {
    throw new Error(`lstm: wHh must be [H, 4H] with H > 0 (${shapes})`);
  }
  const H = wHh.shape[0];
  if (T === 0) throw new Error(`lstm: the sequence is empty (${shapes})`);
  if (!shapesEqual(wIh.shape, [F, 4 * H])) throw new Error(`lstm: wIh must be [F, 4H] = [${F},${4 * H}] (${shapes})`);
  if (!shapesEqual(b.shape, [4 * H])) throw new Error(`lstm: b must be [4H] = [${4 * H}] (${shapes})`);
  for (const t of [wIh, wHh, b]) {
    if (t.dtype !== x.dtype) throw new Error(`lstm: dtypes differ (x=${x.dtype}, got ${t.dtype}${formatShape(t.shape)}) (${shapes})`);
  }
  if (!isFloat(x.dtype)) throw new Error(`lstm: expected float tensors, got ${x.dtype} (${shapes})`);
  const state = (name: 'h0' | 'c0'): Tensor => {
    const s = options[name];
    // NOTE: a missing state is a pooled zero tensor, so the kernel has one code path; it needs no gradient.
    if (s === undefined) return emptyTensor([B, H], x.dtype, true);
    if (!shapesEqual(s.shape, [B, H]) || s.dtype !== x.dtype) {
      throw new Error(`lstm: ${name} must be ${x.dtype}[B, H] = [${B},${H}], got ${s.dtype}${formatShape(s.shape)} (${shapes})`);
    }
    return s;
  };
  const [y, hT, cT] = runOp('lstm', [x, wIh, wHh, b, state('h0'), state('c0')], {});
  return { y, hT, cT };
}

/**
 * BPTT for `lstm` (used by its gradient rule): from the upstream gradients of y, hT, cT (zeros where none),
 * the op's inputs and what its forward saved, returns [dx, dwIh, dwHh, db, dh0, dc0] (dx zeros unless `needsDx`).
 */
export function lstmBackward(
  dy: Tensor, dhT: Tensor, dcT: Tensor,
  x: Tensor, wIh: Tensor, wHh: Tensor, h0: Tensor, c0: Tensor,
  y: Tensor, gates: Tensor, c: Tensor, tanhC: Tensor,
  needsDx = true,
): Tensor[] {
  return runOp('lstmBackward', [dy, dhT, dcT, x, wIh, wHh, h0, c0, y, gates, c, tanhC], { needsDx });
}
