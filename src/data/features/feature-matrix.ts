// Runs a feature set over many flows into one row-major Float32Array: the DCL-MoE input matrix.
import type { Flow } from '../types.ts';
import { DEFAULT_FEATURE_SET, getFeatureSet } from './feature-set.ts';

/** Features of many flows: `data` is [rows, cols] row-major, row i from flows[i]. */
export interface FeatureMatrix {
  featureSet: string;
  rows: number;
  cols: number;
  names: readonly string[];
  data: Float32Array;
}

/**
 * Extracts the feature set `featureSet` (default 'packet-sequence') of every flow.
 *
 * @example
 *   const { data, rows, cols } = extractFeatures(dataset.flows);          // [N, 40]
 *   const stats = extractFeatures(dataset.flows, 'flow-statistics');
 */
export function extractFeatures(flows: readonly Flow[], featureSet: string = DEFAULT_FEATURE_SET): FeatureMatrix {
  const set = getFeatureSet(featureSet);
  const data = new Float32Array(flows.length * set.size);
  flows.forEach((flow, i) => set.extract(flow, data, i * set.size));
  return { featureSet: set.name, rows: flows.length, cols: set.size, names: set.featureNames, data };
}
