// Stratified train/validation/test split and k-fold: disjoint, covering, proportional, deterministic.
import { describe, expect, it } from 'vitest';
import { stratifiedKFold, stratifiedSplit } from '../../src/data/split.ts';

// 100 of class 0, 30 of class 1, 3 of class 2, 2 of class 3, interleaved.
const labels = Int32Array.from([...Array(100).fill(0), ...Array(30).fill(1), 2, 2, 2, 3, 3].map((l, i, a) => a[(i * 37) % a.length]!));
const countOf = (idx: Int32Array, c: number): number => Array.from(idx).filter((i) => labels[i] === c).length;

describe('stratifiedSplit', () => {
  const s = stratifiedSplit(labels, { seed: 'a' });

  it('puts every flow in exactly one split', () => {
    const all = [...s.train, ...s.validation, ...s.test].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: labels.length }, (_, i) => i));
  });

  it('keeps class proportions 80/10/10 and gives every class with >= 3 flows one flow per split', () => {
    expect([countOf(s.train, 0), countOf(s.validation, 0), countOf(s.test, 0)]).toEqual([80, 10, 10]);
    expect([countOf(s.train, 1), countOf(s.validation, 1), countOf(s.test, 1)]).toEqual([24, 3, 3]);
    expect([countOf(s.train, 2), countOf(s.validation, 2), countOf(s.test, 2)]).toEqual([1, 1, 1]);
    expect([countOf(s.train, 3), countOf(s.validation, 3), countOf(s.test, 3)]).toEqual([2, 0, 0]); // < 3: train only
  });

  it('is deterministic for a seed and changes with it', () => {
    expect(stratifiedSplit(labels, { seed: 'a' })).toEqual(s);
    expect(Array.from(stratifiedSplit(labels, { seed: 'b' }).test)).not.toEqual(Array.from(s.test));
  });

  it('rejects shares that do not sum to 1', () => {
    expect(() => stratifiedSplit(labels, { train: 0.7, validation: 0.1, test: 0.1 })).toThrow(/sum to 1/);
  });
});

describe('stratifiedKFold', () => {
  it('gives k disjoint validation folds covering everything, stratified', () => {
    const folds = stratifiedKFold(labels, 5, 'k');
    const all = folds.flatMap((f) => Array.from(f.validation)).sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: labels.length }, (_, i) => i));
    for (const f of folds) {
      expect(countOf(f.validation, 0)).toBe(20);
      expect(countOf(f.validation, 1)).toBe(6);
      expect(f.train.length + f.validation.length).toBe(labels.length);
      const v = new Set(f.validation);
      expect(Array.from(f.train).some((i) => v.has(i))).toBe(false);
    }
    expect(stratifiedKFold(labels, 5, 'k')).toEqual(folds);
    expect(() => stratifiedKFold(labels, 1)).toThrow(/k must be an integer >= 2/);
  });
});
