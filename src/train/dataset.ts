// In-memory tabular splits the trainer consumes: features [N, F] as one Float32Array, labels as Int32Array.

export interface TabularSplit {
  /** Row-major [N, F]. */
  x: Float32Array;
  y: Int32Array;
  /** Optional per-row identifiers (flow ids), kept for reports. */
  ids?: string[];
}

export interface TabularData {
  numFeatures: number;
  classNames: string[];
  train: TabularSplit;
  validation: TabularSplit;
  test: TabularSplit;
}

export function splitSize(split: TabularSplit, numFeatures: number): number {
  if (split.x.length !== split.y.length * numFeatures) {
    throw new Error(`dataset: ${split.y.length} labels but ${split.x.length / numFeatures} feature rows (${numFeatures} features per row)`);
  }
  return split.y.length;
}

/** Check features are finite and labels in range, naming the split, row and column of the first problem. */
export function validateSplit(name: string, split: TabularSplit, numFeatures: number, numClasses: number): void {
  const n = splitSize(split, numFeatures);
  for (let i = 0; i < split.x.length; i++) {
    if (!Number.isFinite(split.x[i])) throw new Error(`dataset: ${name} row ${Math.floor(i / numFeatures)} feature ${i % numFeatures} is ${split.x[i]}`);
  }
  for (let i = 0; i < n; i++) {
    const c = split.y[i];
    if (!(c >= 0 && c < numClasses)) throw new Error(`dataset: ${name} row ${i} has label ${c}, expected 0..${numClasses - 1}`);
  }
}
