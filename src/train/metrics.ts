// Classification metrics: accuracy, per-class precision / recall / F1 / support, macro and weighted F1, confusion matrix.

export interface ClassMetrics {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationReport {
  accuracy: number;
  macroF1: number;
  weightedF1: number;
  macroPrecision: number;
  macroRecall: number;
  perClass: ClassMetrics[];
  /** confusion[trueClass][predictedClass] = count. */
  confusion: number[][];
  total: number;
}

/**
 * Metrics from true and predicted class indices. Precision of a class never predicted is 0 (and so is its
 * F1), as scikit-learn does with zero_division=0.
 */
export function classificationReport(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classNames: readonly string[]): ClassificationReport {
  if (yTrue.length !== yPred.length) throw new Error(`classificationReport: ${yTrue.length} labels but ${yPred.length} predictions`);
  const C = classNames.length;
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    const p = yPred[i];
    if (!(t >= 0 && t < C && p >= 0 && p < C)) throw new Error(`classificationReport: class index out of range at ${i} (true ${t}, predicted ${p}, ${C} classes)`);
    confusion[t][p]++;
    if (t === p) correct++;
  }
  const total = yTrue.length;
  const perClass = classNames.map((name, c) => {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[c], 0);
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { name, precision, recall, f1, support };
  });
  // Macro averages over classes present in the data (a class with no support would count as F1 0 otherwise).
  const present = perClass.filter((m) => m.support > 0);
  const avg = (f: (m: ClassMetrics) => number): number => (present.length ? present.reduce((a, m) => a + f(m), 0) / present.length : 0);
  return {
    accuracy: total > 0 ? correct / total : 0,
    macroF1: avg((m) => m.f1),
    macroPrecision: avg((m) => m.precision),
    macroRecall: avg((m) => m.recall),
    weightedF1: total > 0 ? perClass.reduce((a, m) => a + m.f1 * m.support, 0) / total : 0,
    perClass,
    confusion,
    total,
  };
}

/** Index of the largest value in each row of a [N, C] row-major array. Ties go to the lowest index. */
export function argmaxRows(values: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (values[r * cols + c] > values[r * cols + best]) best = c;
    out[r] = best;
  }
  return out;
}

/** Aligned plain-text tables of a report: the summary, per-class metrics and the confusion matrix. */
export function formatReport(report: ClassificationReport): string {
  const pct = (x: number): string => (100 * x).toFixed(2);
  const nameWidth = Math.max(5, ...report.perClass.map((m) => m.name.length));
  const lines = [
    `accuracy ${pct(report.accuracy)}%   macro-F1 ${pct(report.macroF1)}%   weighted-F1 ${pct(report.weightedF1)}%   (${report.total} flows)`,
    '',
    `${'class'.padEnd(nameWidth)}  precision  recall     f1  support`,
    ...report.perClass.map(
      (m) => `${m.name.padEnd(nameWidth)}  ${pct(m.precision).padStart(9)}  ${pct(m.recall).padStart(6)}  ${pct(m.f1).padStart(5)}  ${String(m.support).padStart(7)}`,
    ),
    '',
    'confusion matrix (rows: true class, columns: predicted, in class order)',
  ];
  const cellWidth = Math.max(3, ...report.confusion.flat().map((v) => String(v).length));
  report.confusion.forEach((row, i) => {
    lines.push(`${report.perClass[i].name.padEnd(nameWidth)}  ${row.map((v) => String(v).padStart(cellWidth)).join(' ')}`);
  });
  return lines.join('\n');
}
