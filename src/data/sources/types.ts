// What the dataset sources return: labelled flows (captures, CertTA, USTC-TFC2016) or a labelled feature table (CSV).
import type { CaptureStats } from '../capture/index.ts';
import type { FeatureMatrix } from '../features/index.ts';
import type { CaptureWarning, LabelledFlows } from '../types.ts';

/** One capture that was read, for inspection (link types, protocols, skipped frames). */
export interface CaptureSummary {
  /** File path, or "<file>#<row>" style names for in-memory captures (merged per set for USTC-TFC2016). */
  file: string;
  /** The class the capture's flows were labelled with, when one class owns the whole capture. */
  classIndex: number | null;
  stats: CaptureStats;
}

export type FlowDatasetFormat = 'capture-folder' | 'capture' | 'certta' | 'ustc-idx';

/** Flows with labels, from captures or flow-sequence files. */
export interface FlowDataset extends LabelledFlows {
  kind: 'flows';
  format: FlowDatasetFormat;
  path: string;
  /** Captures read (empty for CertTA, which has no captures). */
  captures: CaptureSummary[];
}

/** A table of precomputed per-flow features with labels (CSV). */
export interface FeatureDataset {
  kind: 'features';
  format: 'csv';
  path: string;
  classNames: string[];
  labels: Int32Array;
  features: FeatureMatrix;
  warnings: CaptureWarning[];
}

export type Dataset = FlowDataset | FeatureDataset;

/** Maps label strings to class indices in first-seen or sorted order. */
export function indexLabels(values: readonly string[], order: 'sorted' | 'first-seen' = 'sorted'): { classNames: string[]; labels: Int32Array } {
  const distinct = [...new Set(values)];
  // NOTE plain code-unit order, not localeCompare: class indices must not depend on the machine's locale.
  const classNames = order === 'sorted' ? distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) : distinct;
  const index = new Map(classNames.map((name, i) => [name, i]));
  return { classNames, labels: Int32Array.from(values, (v) => index.get(v)!) };
}
