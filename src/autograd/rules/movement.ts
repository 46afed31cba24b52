// Gradient rules for movement and indexing ops: each undoes the movement on the upstream gradient.

import type { MovementOps } from '../../tensor/ops/movement.ts';
import { expand, permute, reshape, sumToShape } from '../../tensor/ops/movement.ts';
import type { GradRulesFor } from './types.ts';

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
};
