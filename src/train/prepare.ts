// From a dataset path to standardised train / validation / test matrices (or k folds) for the DCL models.

import { loadDclInputs, stratifiedKFold, stratifiedSplit, Standardiser, type DclInputs, type StandardiserJson } from '../data/index.ts';
import type { TabularData, TabularSplit } from './dataset.ts';

export interface PreparedData {
  data: TabularData;
  /** Fitted on the training rows only; saved with the model so inference standardises the same way. */
  standardiser: StandardiserJson;
  featureSet: string;
  featureNames: readonly string[];
}

/** Rows `indices` of a row-major [N, F] matrix, and their labels. */
function subset(inputs: DclInputs, indices: Int32Array): TabularSplit {
  const F = inputs.features.cols;
  const x = new Float32Array(indices.length * F);
  const y = new Int32Array(indices.length);
  indices.forEach((row, i) => {
    x.set(inputs.features.data.subarray(row * F, row * F + F), i * F);
    y[i] = inputs.labels[row];
  });
  return { x, y };
}

/** Standardise all three splits with statistics of the training split (no leakage from validation / test). */
function standardise(inputs: DclInputs, train: Int32Array, validation: Int32Array, test: Int32Array): PreparedData {
  const F = inputs.features.cols;
  const splits = { train: subset(inputs, train), validation: subset(inputs, validation), test: subset(inputs, test) };
  const standardiser = Standardiser.fit(splits.train.x, F);
  for (const s of Object.values(splits)) standardiser.transform(s.x);
  return {
    data: { numFeatures: F, classNames: inputs.classNames, ...splits },
    standardiser: standardiser.toJSON(),
    featureSet: inputs.features.featureSet,
    featureNames: inputs.features.names,
  };
}

/** Load `path` (through the feature cache) with the named feature set. */
export async function loadInputs(path: string, featureSet?: string): Promise<DclInputs> {
  const inputs = await loadDclInputs(path, { featureSet });
  if (inputs.labels.length === 0) throw new Error(`${path}: no labelled flows found`);
  if (inputs.classNames.length < 2) throw new Error(`${path}: found only ${inputs.classNames.length} class (${inputs.classNames.join(', ')}); classification needs at least 2`);
  return inputs;
}

/** A stratified, seeded 80/10/10 split by flow (shares configurable). */
export function splitInputs(inputs: DclInputs, seed: number, shares = { train: 0.8, validation: 0.1, test: 0.1 }): PreparedData {
  const split = stratifiedSplit(inputs.labels, { seed: `netmoe-split/${seed}`, ...shares });
  return standardise(inputs, split.train, split.validation, split.test);
}

/**
 * k-fold cross-validation: fold i tests on its own flows; its other flows are split 90/10 (stratified) into
 * training and the validation set that early stopping watches.
 */
export function foldInputs(inputs: DclInputs, k: number, seed: number): PreparedData[] {
  return stratifiedKFold(inputs.labels, k, `netmoe-split/${seed}`).map((fold, i) => {
    const inner = stratifiedSplit(Int32Array.from(fold.train, (row) => inputs.labels[row]), { seed: `netmoe-fold/${seed}/${i}`, train: 0.9, validation: 0.1, test: 0 });
    const pick = (positions: Int32Array): Int32Array => Int32Array.from(positions, (p) => fold.train[p]);
    return standardise(inputs, pick(inner.train), pick(inner.validation), fold.validation);
  });
}
