// Stratified, seeded splits of a labelled dataset by flow: train/validation/test and k-fold.
import seedrandom from 'seedrandom';

export interface SplitOptions {
  /** Seed of the shuffles (default 'netmoe-split'). */
  seed?: string;
  /** Shares of each class (default 0.8 / 0.1 / 0.1); they must sum to 1. */
  train?: number;
  validation?: number;
  test?: number;
}

/** Row indices of each split, ascending. Every index is in exactly one split. */
export interface DatasetSplit {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/** Indices of each class, in index order. */
function byClass(labels: ArrayLike<number>): Map<number, number[]> {
  const classes = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0) throw new Error(`split: label ${c} at index ${i} is not a class index`);
    let list = classes.get(c);
    if (!list) classes.set(c, (list = []));
    list.push(i);
  }
  return classes;
}

/** Fisher-Yates with a stream seeded per class, so adding a class does not reshuffle the others. */
function shuffled(indices: number[], seed: string, classIndex: number): number[] {
  const rng = seedrandom(`${seed}/class-${classIndex}`);
  const out = [...indices];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const sortedInt32 = (xs: number[]): Int32Array => Int32Array.from(xs).sort();

/**
 * Splits flow indices per class: each class is shuffled with the seed and cut by the shares, so each split keeps the
 * class proportions. A class with at least 3 flows gets at least one in validation and one in test (taken from
 * train's share when rounding would leave them empty); a class with fewer than 3 flows goes to train only.
 * NOTE the unit is the flow: flows are independent rows here. Related flows (the same session in several rows, as
 * USTC-TFC2016 duplicates have) can still land in different splits.
 *
 * @example
 *   const { train, validation, test } = stratifiedSplit(data.labels, { seed: 'run-1' });
 */
export function stratifiedSplit(labels: ArrayLike<number>, options: SplitOptions = {}): DatasetSplit {
  const seed = options.seed ?? 'netmoe-split';
  const shares = [options.train ?? 0.8, options.validation ?? 0.1, options.test ?? 0.1];
  if (shares.some((s) => !(s >= 0)) || Math.abs(shares[0]! + shares[1]! + shares[2]! - 1) > 1e-9) {
    throw new Error(`stratifiedSplit: train/validation/test shares must be >= 0 and sum to 1 (got ${shares.join(' / ')})`);
  }
  const train: number[] = [];
  const validation: number[] = [];
  const test: number[] = [];
  for (const [c, indices] of byClass(labels)) {
    const order = shuffled(indices, seed, c);
    const n = order.length;
    if (n < 3) {
      train.push(...order);
      continue;
    }
    let nValidation = Math.round(n * shares[1]!);
    let nTest = Math.round(n * shares[2]!);
    if (shares[1]! > 0) nValidation = Math.max(1, nValidation);
    if (shares[2]! > 0) nTest = Math.max(1, nTest);
    // Keep one for training whatever the shares say, unless training was asked to be empty.
    while (nValidation + nTest > n - (shares[0]! > 0 ? 1 : 0)) {
      if (nValidation >= nTest && nValidation > 1) nValidation--;
      else nTest--;
    }
    validation.push(...order.slice(0, nValidation));
    test.push(...order.slice(nValidation, nValidation + nTest));
    train.push(...order.slice(nValidation + nTest));
  }
  return { train: sortedInt32(train), validation: sortedInt32(validation), test: sortedInt32(test) };
}

/** One fold of k-fold cross-validation. */
export interface Fold {
  train: Int32Array;
  validation: Int32Array;
}

/**
 * Stratified k-fold: each class is shuffled with the seed and dealt round-robin into k folds, so fold sizes per class
 * differ by at most one. Fold i validates on its own indices and trains on the others.
 *
 * @example
 *   for (const { train, validation } of stratifiedKFold(labels, 5)) { ... }
 */
export function stratifiedKFold(labels: ArrayLike<number>, k: number, seed = 'netmoe-split'): Fold[] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`stratifiedKFold: k must be an integer >= 2 (got ${k})`);
  const folds: number[][] = Array.from({ length: k }, () => []);
  let start = 0;
  for (const [c, indices] of byClass(labels)) {
    // Rotate the starting fold per class, so small classes do not all pile into fold 0.
    shuffled(indices, seed, c).forEach((index, position) => folds[(start + position) % k]!.push(index));
    start = (start + indices.length) % k;
  }
  return folds.map((fold, i) => ({
    validation: sortedInt32(fold),
    train: sortedInt32(folds.flatMap((other, j) => (j === i ? [] : other))),
  }));
}
