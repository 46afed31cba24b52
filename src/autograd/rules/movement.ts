// Gradient rules for movement and indexing ops: each undoes the movement on the upstream gradient.

import type { MovementOps } from '../../tensor/ops/movement.ts';
import { expand, gather, permute, reshape, scatterAdd, slice, sliceBackward, sumToShape } from '../../tensor/ops/movement.ts';
import { emptyTensor } from '../../tensor/tensor.ts';
import { type GradRulesFor, notDifferentiable } from './types.ts';

export const movementRules: GradRulesFor<MovementOps> = {
  // reshape: dx = reshape(dy, x.shape)
  reshape: ([dy], { inputs: [x] }) => [reshape(dy!, x.shape)],
  // permute: dx = permute(dy, inverse permutation)
  permute: ([dy], { attrs: { axes } }) => {
    const inverse = new Array<number>(axes.length);
    axes.forEach((a, i) => (inverse[a] = i));
    return [permute(dy!, inverse)];
  },
  // expand: dx = sum of dy over the repeated axes (the one place broadcasting is undone)
  expand: ([dy], { inputs: [x] }) => [sumToShape(dy!, x.shape)],
  // copy: dx = dy
  copy: ([dy]) => [dy],
  // sumToShape: dx = expand(dy, x.shape)
  sumToShape: ([dy], { inputs: [x] }) => [expand(dy!, x.shape)],

  // slice: dx = dy placed back where the slice came from, zeros elsewhere
  slice: ([dy], { inputs: [x], attrs: { begin, step } }) => [sliceBackward(dy!, x.shape, begin, step)],
  sliceBackward: notDifferentiable('backward kernel: netmoe computes first-order gradients only'),
  // concat: dx_k = the slice of dy that input k filled
  concat: ([dy], { inputs, attrs: { axis }, needsGrad }) => {
    let start = 0;
    return inputs.map((x, k) => {
      const begin = x.shape.map((_, a) => (a === axis ? start : 0));
      start += x.shape[axis];
      if (!needsGrad[k]) return null;
      return slice(dy!, begin, x.shape.map((d, a) => (a === axis ? begin[a] + d : d)));
    });
  },
  // pad: dx = the interior of dy (the slice that covers x)
  pad: ([dy], { inputs: [x], attrs: { padding } }) => [
    slice(dy!, padding.map((p) => p[0]), x.shape.map((d, a) => padding[a][0] + d)),
  ],
  // gather: dx = scatterAdd(0, indices, dy): rows picked twice receive both gradients
  // (the index check does not read device-resident indices back: see checkIndices)
  gather: ([dy], { inputs: [x, indices], attrs: { axis } }) => [scatterAdd(emptyTensor(x.shape, x.dtype, true), indices, dy!, axis)],
  // scatterAdd: dbase = dy, dsrc = gather(dy, indices) (gather and scatterAdd are adjoint)
  scatterAdd: ([dy], { inputs: [, indices], attrs: { axis }, needsGrad }) => [
    needsGrad[0] ? dy! : null,
    null,
    needsGrad[2] ? gather(dy!, indices, axis) : null,
  ],
};
