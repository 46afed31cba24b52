// CPU kernels: Mixture-of-Experts routing: top-k selection, renormalised softmax over the selected experts, dispatch and combine.

import type { TypedArray } from '../../tensor/dtype.ts';
import { type Tensor, emptyTensor, viewOf } from '../../tensor/tensor.ts';
import type { RoutingOps } from '../../tensor/ops/routing.ts';
import type { KernelsFor } from '../backend.ts';
import { capacityOf, slotCount } from '../../tensor/ops/routing-capacity.ts';
import { contiguousValues } from './strided.ts';

/**
 * Top-k of each row of x [rows, E] into vals / idx [rows, k], largest first, by insertion into the sorted
 * output row: O(E * k), which beats a sort for the small k (1-4) of MoE routing.
 * NOTE: strict '>' everywhere: an equal value never overtakes one seen earlier, so ties go to the lower index.
 */
function selectTopk(xs: TypedArray, E: number, k: number, vals: TypedArray, idx: Int32Array): void {
  const rows = xs.length / E;
  for (let r = 0; r < rows; r++) {
    const xr = r * E;
    const yr = r * k;
    let filled = 0;
    for (let e = 0; e < E; e++) {
      const v = xs[xr + e];
      if (filled === k && !(v > vals[yr + k - 1])) continue; // not better than the current k-th (or NaN)
      let j = filled < k ? filled++ : k - 1;
      while (j > 0 && v > vals[yr + j - 1]) {
        vals[yr + j] = vals[yr + j - 1];
        idx[yr + j] = idx[yr + j - 1];
        j--;
      }
      vals[yr + j] = v;
      idx[yr + j] = e;
    }
  }
}

export const routingKernels: KernelsFor<RoutingOps> = {
  topk: ([x], { k }) => {
    // x: [.., E] -> values, indices: [.., k]
    const shape = [...x.shape.slice(0, -1), k];
    const values = emptyTensor(shape, x.dtype);
    const indices = emptyTensor(shape, 'int32');
    selectTopk(contiguousValues(x), x.shape[x.rank - 1], k, values.values, indices.values as Int32Array);
    return { outputs: [values, indices] };
  },

  topkSoftmax: ([x], { k }) => {
    // x: [.., E] -> weights, indices: [.., k]; weights = softmax of the selected logits
    const shape = [...x.shape.slice(0, -1), k];
    const weights = emptyTensor(shape, x.dtype);
    const indices = emptyTensor(shape, 'int32');
    const ws = weights.values;
    selectTopk(contiguousValues(x), x.shape[x.rank - 1], k, ws, indices.values as Int32Array);
    for (let r = 0; r < ws.length; r += k) {
      const m = ws[r]; // the row's largest logit comes first: subtracting it keeps exp() <= 1
      let s = 0;
      for (let j = 0; j < k; j++) {
        const e = Math.exp(ws[r + j] - m);
        ws[r + j] = e;
        s += e;
      }
      const inv = 1 / s;
      for (let j = 0; j < k; j++) ws[r + j] *= inv;
    }
    return { outputs: [weights, indices] };
  },

  topkBackward: ([dy, indices], { size: E }) => {
    const k = dy.shape[dy.rank - 1];
    const dx = emptyTensor([...dy.shape.slice(0, -1), E], dy.dtype, true);
    const dxs = dx.values;
    const dys = contiguousValues(dy);
    const idx = contiguousValues(indices);
    for (let r = 0, p = 0; p < dys.length; r++) {
      for (let j = 0; j < k; j++, p++) dxs[r * E + idx[p]] += dys[p];
    }
    return { outputs: [dx] };
  },

  moeRoute: ([indices], { numExperts: E, capacity }) => {
    // indices: [N, k] -> tokenOfSlot, pairOfSlot: [P], slotOfPair: [N, k], counts: [E]
    const k = indices.shape[1];
    const idx = contiguousValues(indices);
    const S = idx.length;
    const P = slotCount(S, E, capacity);
    const tokenOfSlot = emptyTensor([P], 'int32');
    const pairOfSlot = emptyTensor([P], 'int32');
    const slotOfPair = emptyTensor(indices.shape, 'int32');
    const counts = emptyTensor([E], 'int32', true);
    const tokens = tokenOfSlot.values;
    const pairs = pairOfSlot.values;
    const slots = slotOfPair.values;
    const cs = counts.values;
    tokens.fill(-1); // padded slots: every slot no pair lands in
    pairs.fill(-1);
    // NOTE: an index outside [0, E) is skipped (routingPlan then finds the counts short and throws): it
    // checks device-resident indices that way, without reading them back.
    for (let p = 0; p < S; p++) if (idx[p] >= 0 && idx[p] < E) cs[idx[p]]++;
    // Counting sort: next[e] is the next free slot of expert e (its block starts after the capacities of
    // the experts before it); walking pairs in order keeps it stable.
    const next = new Int32Array(E);
    for (let e = 1; e < E; e++) next[e] = next[e - 1] + capacityOf(cs[e - 1], capacity);
    for (let p = 0; p < S; p++) {
      if (!(idx[p] >= 0 && idx[p] < E)) continue;
      const s = next[idx[p]]++;
      pairs[s] = p;
      slots[p] = s;
      tokens[s] = (p / k) | 0;
    }
    return { outputs: [tokenOfSlot, pairOfSlot, slotOfPair, counts] };
  },

  moeDispatch: ([x, tokenOfSlot], { capacities }) => {
    // x: [N, D] -> one [Σ capacities, D] buffer in slot order; each expert's output is a view of its block.
    const D = x.shape[1];
    const xs = contiguousValues(x);
    const tokens = contiguousValues(tokenOfSlot);
    const rows = capacities.reduce((a, c) => a + c, 0); // the slots after the last block are never read
    const all = emptyTensor([rows, D], x.dtype);
    const out = all.values;
    for (let s = 0; s < rows; s++) {
      const dst = s * D;
      const t = tokens[s];
      if (t < 0) {
        out.fill(0, dst, dst + D); // a padded slot: a zero row
        continue;
      }
      const src = t * D;
      for (let d = 0; d < D; d++) out[dst + d] = xs[src + d];
    }
    const outputs: Tensor[] = [];
    let start = 0;
    for (const c of capacities) {
      outputs.push(viewOf(all, [c, D], [D, 1], start * D));
      start += c;
    }
    all.dispose(); // the views keep the buffer alive; it returns to the pool when the last one goes
    return { outputs };
  },

  moeDispatchBackward: ([tokenOfSlot, slotOfPair, ...dxs]) => {
    // dxs[e]: [capacity_e, D] -> dx: [N, D], dx[token of s] += dxs[s] for every real slot s, in slot order
    const N = slotOfPair.shape[0];
    const D = dxs[0].shape[1];
    const tokens = contiguousValues(tokenOfSlot);
    const dx = emptyTensor([N, D], dxs[0].dtype, true);
    const out = dx.values;
    let s = 0;
    for (const dxe of dxs) {
      const src = contiguousValues(dxe);
      for (let r = 0; r < dxe.shape[0]; r++, s++) {
        if (tokens[s] < 0) continue; // a padded row is a constant zero: its gradient goes nowhere
        const dst = tokens[s] * D;
        for (let d = 0; d < D; d++) out[dst + d] += src[r * D + d];
      }
    }
    return { outputs: [dx] };
  },

  moeCombine: ([weights, pairOfSlot, , ...ys]) => {
    // weights: [N, k], ys[e]: [capacity_e, D] -> y: [N, D]
    const [N, k] = weights.shape;
    const D = ys[0].shape[1];
    const ws = contiguousValues(weights);
    const pairs = contiguousValues(pairOfSlot);
    const y = emptyTensor([N, D], weights.dtype, true);
    const out = y.values;
    // Walk the slots in expert order: each expert's rows are read once, in order; padded rows are skipped.
    let s = 0;
    for (const ye of ys) {
      const src = contiguousValues(ye);
      for (let r = 0; r < ye.shape[0]; r++, s++) {
        const pair = pairs[s];
        if (pair < 0) continue;
        const w = ws[pair];
        const dst = ((pair / k) | 0) * D;
        for (let d = 0; d < D; d++) out[dst + d] += w * src[r * D + d];
      }
    }
    return { outputs: [y] };
  },

  moeCombineBackward: ([dy, weights, pairOfSlot, , ...ys]) => {
    // dy: [N, D] -> dweights: [N, k], dys[e]: [capacity_e, D] (0 on padded rows: they never reached y)
    const k = weights.shape[1];
    const D = dy.shape[1];
    const dys = contiguousValues(dy);
    const ws = contiguousValues(weights);
    const pairs = contiguousValues(pairOfSlot);
    const dw = emptyTensor(weights.shape, weights.dtype, true);
    const dws = dw.values;
    const dExperts: Tensor[] = [];
    let s = 0;
    for (const ye of ys) {
      const src = contiguousValues(ye);
      const dye = emptyTensor(ye.shape, ye.dtype);
      const dst = dye.values;
      for (let r = 0; r < ye.shape[0]; r++, s++) {
        const pair = pairs[s];
        if (pair < 0) {
          dst.fill(0, r * D, (r + 1) * D);
          continue;
        }
        const w = ws[pair];
        const row = ((pair / k) | 0) * D;
        let dot = 0;
        for (let d = 0; d < D; d++) {
          const g = dys[row + d];
          dot += g * src[r * D + d]; // dw[n, j] = <dy[n], ys_e[r]>
          dst[r * D + d] = w * g; // dys_e[r] = w[n, j] * dy[n]
        }
        dws[pair] += dot;
      }
      dExperts.push(dye);
    }
    return { outputs: [dw, ...dExperts] };
  },
};
