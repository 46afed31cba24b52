// Metrics against hand-computed values (derivations in comments).

import { describe, expect, it } from 'vitest';
import { argmaxRows, classificationReport, formatReport } from '../../src/train/metrics.ts';

describe('classificationReport', () => {
  // true:  a a a b b c      predicted: a a b b c c
  // a: tp 2, predicted 2 -> P 1, R 2/3, F1 0.8;  b: tp 1, predicted 2, support 2 -> P 0.5 R 0.5 F1 0.5
  // c: tp 1, predicted 2, support 1 -> P 0.5, R 1, F1 2/3
  const report = classificationReport([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], ['a', 'b', 'c']);
  it('accuracy and per-class precision / recall / F1', () => {
    expect(report.accuracy).toBeCloseTo(4 / 6, 12);
    expect(report.perClass.map((m) => m.precision)).toEqual([1, 0.5, 0.5]);
    expect(report.perClass[0].recall).toBeCloseTo(2 / 3, 12);
    expect(report.perClass[0].f1).toBeCloseTo(0.8, 12);
    expect(report.perClass[2].f1).toBeCloseTo(2 / 3, 12);
  });
  it('macro and weighted F1', () => {
    expect(report.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
    expect(report.weightedF1).toBeCloseTo((0.8 * 3 + 0.5 * 2 + (2 / 3) * 1) / 6, 12);
  });
  it('confusion matrix rows are true classes', () => {
    expect(report.confusion).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
  });
  it('rejects mismatched lengths and out-of-range classes', () => {
    expect(() => classificationReport([0], [0, 1], ['a', 'b'])).toThrow(/1 labels but 2 predictions/);
    expect(() => classificationReport([0, 5], [0, 1], ['a', 'b'])).toThrow(/out of range at 1/);
  });
  it('formats a table naming every class', () => {
    const text = formatReport(report);
    for (const name of ['a', 'b', 'c']) expect(text).toMatch(new RegExp(`^${name} `, 'm'));
    expect(text).toContain('accuracy 66.67%');
  });
});

describe('argmaxRows', () => {
  it('takes the first index on ties', () => {
    expect(Array.from(argmaxRows([1, 3, 3, 0.5, 0.2, 0.1], 2, 3))).toEqual([1, 0]);
  });
});
