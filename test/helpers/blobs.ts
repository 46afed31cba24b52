// Seeded Gaussian blobs: a small separable classification split for trainer tests.

import { Rng } from '../../src/tensor/random.ts';
import type { TabularSplit } from '../../src/train/dataset.ts';

/**
 * `n` rows of `features` standard-normal values; row i has class i mod `classes`, and class c adds 1.5 to
 * features c and c + 3 (so the classes are separable but overlap). Same (n, seed) -> same rows.
 */
export function blobs(n: number, seed: number, features: number, classes: number): TabularSplit {
  const rng = new Rng(seed);
  const x = new Float32Array(n * features);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    for (let f = 0; f < features; f++) x[i * features + f] = rng.normal() + (f === y[i] || f === y[i] + 3 ? 1.5 : 0);
  }
  return { x, y };
}
