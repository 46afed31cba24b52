// The registry of per-flow feature sets for the DCL-MoE model: a feature set turns one flow into a fixed-length vector.
import type { Flow } from '../types.ts';
import { flowStatistics } from './flow-statistics.ts';
import { packetSequence } from './packet-sequence.ts';

/** A named recipe that maps one flow to `size` numbers. */
export interface FeatureSet {
  readonly name: string;
  readonly description: string;
  /** Vector length (40 for DCL-MoE's m = 40). */
  readonly size: number;
  /** One short name per position, for inspection and error messages ("size_0", "c2s_iat_mean"...). */
  readonly featureNames: readonly string[];
  /** Writes the flow's features into `out[offset, offset + size)`. Must not read outside the flow. */
  extract(flow: Flow, out: Float32Array | Float64Array, offset: number): void;
}

/** What the DCL-MoE pipeline uses unless told otherwise. */
export const DEFAULT_FEATURE_SET = 'packet-sequence';

// The built-in sets import only this file's types, so there is no runtime import cycle.
const registry = new Map<string, FeatureSet>([
  [packetSequence.name, packetSequence],
  [flowStatistics.name, flowStatistics],
]);

/**
 * Adds a feature set under its name (a later registration with the same name is an error, not an override).
 *
 * @example
 *   registerFeatureSet({ name: 'sizes-only', description: '...', size: 20, featureNames, extract });
 *   const x = extractFeatures(flows, 'sizes-only');
 */
export function registerFeatureSet(set: FeatureSet): void {
  if (registry.has(set.name)) throw new Error(`registerFeatureSet: "${set.name}" is already registered`);
  if (set.featureNames.length !== set.size) {
    throw new Error(`registerFeatureSet: "${set.name}" has size ${set.size} but ${set.featureNames.length} feature names`);
  }
  registry.set(set.name, set);
}

/** The feature set called `name`; the error lists the known ones. */
export function getFeatureSet(name: string = DEFAULT_FEATURE_SET): FeatureSet {
  const set = registry.get(name);
  if (!set) throw new Error(`unknown feature set "${name}" (known: ${[...registry.keys()].join(', ')})`);
  return set;
}

export function listFeatureSets(): FeatureSet[] {
  return [...registry.values()];
}
