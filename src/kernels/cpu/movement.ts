// CPU kernels for movement and indexing ops. reshape / permute / expand / slice only build views; the rest copy.

import { type Tensor, emptyTensor, tensorFromData, viewOf } from '../../tensor/tensor.ts';
import type { TypedArray } from '../../tensor/dtype.ts';
import { type Shape, contiguousStrides, sizeOf } from '../../tensor/shape.ts';
import type { MovementOps } from '../../tensor/ops/movement.ts';
import type { KernelsFor } from '../backend.ts';
import { collapseAxes, contiguousValues, forEachRow, gatherStrided } from './strided.ts';

/**
 * Write every element of the view `x` into the row-major array `out` (of shape `outShape`) at
 * begin + i * step on each axis: the shared body of pad (step 1) and slice's backward.
 */
function placeInto(out: TypedArray, outShape: Shape, x: Tensor, begin: readonly number[], step: readonly number[]): void {
  if (x.size === 0) return;
  const outStrides = contiguousStrides(outShape);
  let base = 0;
  for (let a = 0; a < outShape.length; a++) base += begin[a] * outStrides[a];
  const layout = collapseAxes(x.shape, [x.strides, outStrides.map((s, a) => s * step[a])]);
  const last = layout.shape.length - 1;
  const sx = layout.strides[0][last];
  const so = layout.strides[1][last];
  const src = x.storage.data;
  forEachRow(layout, [x.offset, base], (offsets, n) => {
    for (let i = 0, px = offsets[0], po = offsets[1]; i < n; i++, px += sx, po += so) out[po] = src[px];
  });
}

/** Sizes of `shape` before, at and after `axis`: any gather / concat along an axis is a walk over [O, A, I]. */
function aroundAxis(shape: Shape, axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

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

  slice: ([x], { begin, end, step }) => {
    // A view: start at `begin`, and stride `step` times further on each axis.
    let offset = x.offset;
    for (let a = 0; a < x.rank; a++) offset += begin[a] * x.strides[a];
    const shape = x.shape.map((_, a) => Math.ceil((end[a] - begin[a]) / step[a]));
    return { outputs: [viewOf(x, shape, x.strides.map((s, a) => s * step[a]), offset)] };
  },

  sliceBackward: ([dy], { shape, begin, step }) => {
    const dx = emptyTensor(shape, dy.dtype, true);
    placeInto(dx.values, shape, dy, begin, step);
    return { outputs: [dx] };
  },

  concat: (xs, { axis }) => {
    const shape = [...xs[0].shape];
    shape[axis] = xs.reduce((n, x) => n + x.shape[axis], 0);
    const y = emptyTensor(shape, xs[0].dtype);
    const out = y.values;
    const [O, , I] = aroundAxis(shape, axis);
    const sources = xs.map((x) => contiguousValues(x));
    const chunks = xs.map((x) => x.shape[axis] * I); // elements each input contributes per outer index
    // Row o of the output is row o of every input, one after the other.
    let p = 0;
    for (let o = 0; o < O; o++) {
      for (let k = 0; k < xs.length; k++) {
        const n = chunks[k];
        out.set(sources[k].subarray(o * n, o * n + n), p);
        p += n;
      }
    }
    return { outputs: [y] };
  },

  pad: ([x], { padding, value }) => {
    const shape = x.shape.map((d, a) => padding[a][0] + d + padding[a][1]);
    const y = emptyTensor(shape, x.dtype);
    y.values.fill(value);
    placeInto(y.values, shape, x, padding.map((p) => p[0]), shape.map(() => 1));
    return { outputs: [y] };
  },

  gather: ([x, indices], { axis }) => {
    // x: [O, A, I], indices: n values -> y: [O, n, I]
    const [O, A, I] = aroundAxis(x.shape, axis);
    const idx = contiguousValues(indices);
    const n = idx.length;
    const y = emptyTensor([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
    const xs = contiguousValues(x);
    const out = y.values;
    for (let o = 0; o < O; o++) {
      for (let j = 0; j < n; j++) {
        const src = (o * A + idx[j]) * I;
        const dst = (o * n + j) * I;
        for (let i = 0; i < I; i++) out[dst + i] = xs[src + i];
      }
    }
    return { outputs: [y] };
  },

  scatterAdd: ([base, indices, src], { axis }) => {
    // y = base; src: [O, n, I] is added into y: [O, A, I] at rows indices[j]
    const [O, A, I] = aroundAxis(base.shape, axis);
    const idx = contiguousValues(indices);
    const n = idx.length;
    const y = emptyTensor(base.shape, base.dtype);
    const out = y.values;
    out.set(contiguousValues(base));
    const ss = contiguousValues(src);
    for (let o = 0; o < O; o++) {
      for (let j = 0; j < n; j++) {
        const dst = (o * A + idx[j]) * I;
        const from = (o * n + j) * I;
        for (let i = 0; i < I; i++) out[dst + i] += ss[from + i];
      }
    }
    return { outputs: [y] };
  },
};
