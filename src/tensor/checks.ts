// Runtime guards the trainer and loaders use: finite values, expected shapes.

import { formatShape, shapesEqual, type Shape } from './shape.ts';
import type { Tensor } from './tensor.ts';

/** Throw when `x` holds NaN or +-Infinity, naming what it is and the first bad index. */
export function assertFinite(x: Tensor, what = 'tensor'): void {
  const values = x.contiguous().values;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new Error(`${what} ${formatShape(x.shape)} has a non-finite value (${values[i]}) at flat index ${i}`);
    }
  }
}

/** Throw unless `x` has exactly `shape` (-1 matches any size). */
export function assertShape(x: Tensor, shape: Shape, what = 'tensor'): void {
  const ok = x.rank === shape.length && shape.every((d, i) => d === -1 || d === x.shape[i]);
  if (!ok && !shapesEqual(x.shape, shape)) throw new Error(`${what}: expected shape ${formatShape(shape)}, got ${formatShape(x.shape)}`);
}
