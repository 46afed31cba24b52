// CPU kernels for movement and indexing ops. reshape / permute / expand only build views; the rest copy.

import { emptyTensor, tensorFromData, viewOf } from '../../tensor/tensor.ts';
import { contiguousStrides } from '../../tensor/shape.ts';
import type { MovementOps } from '../../tensor/ops/movement.ts';
import type { KernelsFor } from '../backend.ts';
import { collapseAxes, forEachRow, gatherStrided } from './strided.ts';

export const movementKernels: KernelsFor<MovementOps> = {
  reshape: ([x], { shape }) => {
    if (x.isContiguous) return { outputs: [viewOf(x, shape, contiguousStrides(shape), x.offset)] };
    return { outputs: [tensorFromData(gatherStrided(x), shape, x.dtype)] };
  },

  permute: ([x], { axes }) => ({
    outputs: [viewOf(x, axes.map((a) => x.shape[a]), axes.map((a) => x.strides[a]), x.offset)],
  }),

  expand: ([x], { shape }) => {
    const lead = shape.length - x.rank;
    const strides = shape.map((d, i) => (i < lead || x.shape[i - lead] !== d ? 0 : x.strides[i - lead]));
    return { outputs: [viewOf(x, shape, strides, x.offset)] };
  },

  copy: ([x]) => ({ outputs: [tensorFromData(gatherStrided(x), x.shape, x.dtype)] }),

  sumToShape: ([x], { shape }) => {
    // Walk x once; the output pointer uses stride 0 on every axis being summed away, so `+=` folds it.
    const y = emptyTensor(shape, x.dtype, true);
    const out = y.values;
    const lead = x.rank - shape.length;
    const yStrides = contiguousStrides(shape);
    const yWalk = x.shape.map((d, i) => (i < lead || shape[i - lead] !== d ? 0 : yStrides[i - lead]));
    const src = x.storage.data;
    const layout = collapseAxes(x.shape, [x.strides, yWalk]);
    const last = layout.shape.length - 1;
    const sx = layout.strides[0][last];
    const sy = layout.strides[1][last];
    forEachRow(layout, [x.offset, 0], (offsets, n) => {
      let px = offsets[0];
      let py = offsets[1];
      if (sy === 0) {
        let acc = 0;
        for (let i = 0; i < n; i++, px += sx) acc += src[px];
        out[py] += acc;
      } else {
        for (let i = 0; i < n; i++, px += sx, py += sy) out[py] += src[px];
      }
    });
    return { outputs: [y] };
  },
};

