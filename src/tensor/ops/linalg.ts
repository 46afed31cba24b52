// Linear algebra: batched matmul and the fused dense layer op (x·W + b).

import { broadcastShapes, formatShape, sizeOf } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { runOp } from '../dispatch.ts';
import { expand, reshape } from './movement.ts';

/** Activations the dense op applies in its GEMM epilogue (softmax is a separate op over the last axis). */
export type DenseActivation = 'none' | 'relu' | 'tanh' | 'sigmoid';

export interface LinalgOps {
  /**
   * y = op(a)·op(b) per batch entry: a [..., M, K] ([..., K, M] when transA), b [..., K, N] ([..., N, K]
   * when transB) -> y [..., M, N]. Both inputs have the same batch dims (the front end broadcasts them
   * with `expand`); the kernel reads transposed views and stride-0 batches without copying.
   */
  matmul: { transA: boolean; transB: boolean };
  /**
   * y = act(x·W + b) in one pass: x [N, in], w [in, out], optional bias [out] -> y [N, out]. Bias and
   * activation run in the GEMM epilogue on each block of y while it is still in cache.
   */
  dense: { activation: DenseActivation };
}

export interface MatmulOptions {
  /** Use aᵀ: a is stored [..., K, M]. */
  transA?: boolean;
  /** Use bᵀ: b is stored [..., N, K]. */
  transB?: boolean;
}

function describe(a: Tensor, b: Tensor, transA: boolean, transB: boolean): string {
  const flags = `${transA ? ', transA' : ''}${transB ? ', transB' : ''}`;
  return `(a=${formatShape(a.shape)}, b=${formatShape(b.shape)}${flags})`;
}

/**
 * Matrix product over the last two axes, with NumPy batch broadcasting over the leading axes.
 * Transposes are attributes, not copies: `matmul(dy, w, { transB: true })` is dy·wᵀ.
 *
 * NOTE: a 2-d `b` (or one whose batch dims are all 1) shared by a batched `a` is the dense-layer case: the
 * batch is folded into M, so it runs as one GEMM and b's gradient is one GEMM too (no batch of copies).
 *
 * @example
 * const y = matmul(x, w);                       // x: [B, T, 40], w: [40, 128] -> y: [B, T, 128]
 * const dx = matmul(dy, w, { transB: true });   // dy: [B, T, 128] -> dx: [B, T, 40]
 * const s = matmul(q, k, { transB: true });     // q, k: [B, H, T, D] -> s: [B, H, T, T]
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  if (a.rank < 2 || b.rank < 2) throw new Error(`matmul: expected rank >= 2 ${describe(a, b, transA, transB)}`);
  if (a.dtype !== b.dtype) throw new Error(`matmul: dtypes differ (a=${a.dtype}, b=${b.dtype})`);
  if (a.dtype === 'int32') throw new Error(`matmul: expected float tensors, got int32 ${describe(a, b, transA, transB)}`);
  const [rowsA, colsA] = a.shape.slice(-2);
  const [rowsB, colsB] = b.shape.slice(-2);
  const [M, K] = transA ? [colsA, rowsA] : [rowsA, colsA];
  const [K2, N] = transB ? [colsB, rowsB] : [rowsB, colsB];
  if (K !== K2) throw new Error(`matmul: inner dims differ ${describe(a, b, transA, transB)}`);
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  let batch: number[];
  try {
    batch = broadcastShapes('matmul', batchA, batchB);
  } catch {
    throw new Error(`matmul: batch dims do not broadcast ${describe(a, b, transA, transB)}`);
  }
  const attrs = { transA, transB };
  if (sizeOf(batchB) === 1 && !transA && (a.rank > 2 || b.rank > 2)) {
    // Fold a's batch into its rows: [..., M, K] -> [batch·M, K] is a view of a contiguous a.
    const a2 = reshape(a, [sizeOf(batchA) * M, K]);
    const b2 = reshape(b, b.shape.slice(-2));
    return reshape(runOp('matmul', [a2, b2], attrs)[0], [...batch, M, N]);
  }
  const a3 = expand(a, [...batch, ...a.shape.slice(-2)]);
  const b3 = expand(b, [...batch, ...b.shape.slice(-2)]);
  return runOp('matmul', [a3, b3], attrs)[0];
}

/**
 * The fused dense layer: act(x·W + b) for x [..., in], W [in, out], b [out] -> [..., out]. Leading axes
 * are folded into one GEMM of batch·in x in·out.
 *
 * @example
 * const h = dense(x, w1, b1, 'relu');   // x: [64, 40], w1: [40, 128], b1: [128] -> h: [64, 128]
 * const logits = dense(h, w2, b2);      // no activation
 */
export function dense(x: Tensor, w: Tensor, b?: Tensor | null, activation: DenseActivation = 'none'): Tensor {
  const shapes = `(x=${formatShape(x.shape)}, w=${formatShape(w.shape)}${b ? `, b=${formatShape(b.shape)}` : ''})`;
  if (x.rank < 1 || w.rank !== 2) throw new Error(`dense: expected x [..., in] and w [in, out] ${shapes}`);
  const [inFeatures, outFeatures] = w.shape;
  if (x.shape[x.rank - 1] !== inFeatures) throw new Error(`dense: x's last dim differs from w's rows ${shapes}`);
  if (b && (b.rank !== 1 || b.shape[0] !== outFeatures)) throw new Error(`dense: bias must be [${outFeatures}] ${shapes}`);
  if (x.dtype !== w.dtype || (b && b.dtype !== x.dtype)) throw new Error(`dense: dtypes differ (x=${x.dtype}, w=${w.dtype}${b ? `, b=${b.dtype}` : ''})`);
  if (x.dtype === 'int32') throw new Error(`dense: expected float tensors, got int32 ${shapes}`);
  const x2 = x.rank === 2 ? x : reshape(x, [sizeOf(x.shape.slice(0, -1)), inFeatures]);
  const y2 = runOp('dense', b ? [x2, w, b] : [x2, w], { activation })[0];
  return x.rank === 2 ? y2 : reshape(y2, [...x.shape.slice(0, -1), outFeatures]);
}
