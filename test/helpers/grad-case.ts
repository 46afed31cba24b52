// The gradient-check case registry: each op family lists its cases here; grad-check.test.ts runs them all.

import type { GradCheckOptions } from '../../src/autograd/grad-check.ts';
import type { OpName } from '../../src/tensor/op-table.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { Rng } from '../../src/tensor/random.ts';
import { randn, randu, tensor } from '../../src/tensor/creation.ts';
import type { Shape } from '../../src/tensor/shape.ts';

export interface GradCase {
  name: string;
  /** The differentiable ops this case exercises; the test asserts each really appears in the graph. */
  ops: OpName[];
  /** Fresh float64 inputs (those with requiresGrad are checked). */
  inputs: () => Tensor[];
  fn: (...inputs: Tensor[]) => Tensor | Tensor[];
  options?: GradCheckOptions;
}

/** A seeded float64 normal input that requires grad. */
export function normal64(shape: Shape, seed: number, scale = 1): Tensor {
  return randn(shape, { rng: new Rng(seed), dtype: 'float64', std: scale, requiresGrad: true });
}

/** A seeded float64 uniform input that requires grad. */
export function uniform64(shape: Shape, seed: number, low: number, high: number): Tensor {
  return randu(shape, { rng: new Rng(seed), dtype: 'float64', low, high, requiresGrad: true });
}

/**
 * Normal values kept at least `gap` away from 0 (so kinks like relu / abs at 0 are never straddled by eps).
 */
export function awayFromZero64(shape: Shape, seed: number, gap = 0.05): Tensor {
  const x = randn(shape, { rng: new Rng(seed), dtype: 'float64' });
  const values = x.values;
  for (let i = 0; i < values.length; i++) if (Math.abs(values[i]) < gap) values[i] = values[i] < 0 ? -gap : gap;
  return x.requireGrad();
}

/** Distinct values (a shuffled grid plus jitter): no ties for max / maxPool / top-k. */
export function distinct64(shape: Shape, seed: number, spacing = 0.1): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const values = rng.shuffle(Array.from({ length: n }, (_, i) => (i - n / 2) * spacing + rng.uniform(0, spacing / 4)));
  return tensor(values, { dtype: 'float64', shape, requiresGrad: true });
}

/** A float64 constant (no gradient), e.g. a mask. */
export function constant64(values: number[], shape: Shape): Tensor {
  return tensor(values, { dtype: 'float64', shape });
}
