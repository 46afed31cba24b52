// Model inputs for a whole dataset path, computed once and then read from the on-disk feature cache.
import {
  DEFAULT_FEATURE_SET,
  extractFeatures,
  extractTrafficMoeInputs,
  trafficMoeLayout,
  type FeatureMatrix,
  type TrafficMoeByteOptions,
  type TrafficMoeInputs,
} from '../features/index.ts';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FeatureCache, cacheKey, fingerprintInput } from '../cache.ts';
import { loadDataset, type LoadDatasetOptions } from './load-dataset.ts';

/**
 * Fingerprint of everything a load reads: the path itself plus the files beside it that some formats pull in (a
 * capture's label file, CertTA's labels.json next to a valid.json, the labels .gz next to an idx images file), so
 * editing any of them invalidates the cached features.
 */
export function datasetFingerprint(path: string, load: LoadDatasetOptions = {}): string {
  const companions: string[] = [];
  if (load.labels) companions.push(load.labels);
  if (path.endsWith('.json')) companions.push(join(dirname(path), 'labels.json'));
  if (path.endsWith('-images-idx3-ubyte.gz')) companions.push(path.replace(/-images-idx3-ubyte\.gz$/, '-labels-idx1-ubyte.gz'));
  return [path, ...companions.filter((f) => f === load.labels || existsSync(f))].map(fingerprintInput).join(':');
}

export interface CachedInputOptions {
  /** How to read the dataset (flow options, label file...). Part of the cache key. */
  load?: LoadDatasetOptions;
  /** The cache to use (default: `.cache/features/` in the project); false to always recompute. */
  cache?: FeatureCache | false;
}

/** DCL-MoE inputs of a dataset: features [rows, cols] and labels. */
export interface DclInputs {
  classNames: string[];
  labels: Int32Array;
  features: FeatureMatrix;
  /** True when the features came from the cache. */
  cacheHit: boolean;
}

// Bump when extraction changes meaning for the same configuration, to orphan old entries.
const EXTRACTION_VERSION = 1;

/**
 * Loads `path` and extracts a DCL-MoE feature set (default 'packet-sequence'), through the cache. A CSV table's own
 * columns are its features (asking for a named set then is an error).
 *
 * @example
 *   const { features, labels, classNames } = await loadDclInputs(ensureBuiltinDataset());
 */
export async function loadDclInputs(path: string, options: CachedInputOptions & { featureSet?: string } = {}): Promise<DclInputs> {
  const config = { kind: 'dcl', version: EXTRACTION_VERSION, featureSet: options.featureSet ?? DEFAULT_FEATURE_SET, load: options.load ?? {} };
  const compute = async (): Promise<{ classNames: string[]; labels: Int32Array; features: FeatureMatrix }> => {
    const data = await loadDataset(path, options.load);
    if (data.kind === 'features') {
      if (options.featureSet) throw new Error(`${path}: a CSV table brings its own features; feature set "${options.featureSet}" does not apply`);
      return data;
    }
    return { classNames: data.classNames, labels: data.labels, features: extractFeatures(data.flows, config.featureSet) };
  };
  if (options.cache === false) return { ...(await compute()), cacheHit: false };
  const cache = options.cache ?? new FeatureCache();
  const { entry, hit } = await cache.getOrCompute(cacheKey(datasetFingerprint(path, options.load), config), async () => {
    const { classNames, labels, features } = await compute();
    const { data, ...shape } = features;
    return { meta: { classNames, ...shape }, arrays: { x: data, labels } };
  });
  const meta = entry.meta as { classNames: string[]; featureSet: string; names: string[]; rows: number; cols: number };
  return {
    classNames: meta.classNames,
    labels: entry.arrays.labels as Int32Array,
    features: { featureSet: meta.featureSet, names: meta.names, rows: meta.rows, cols: meta.cols, data: entry.arrays.x as Float32Array },
    cacheHit: hit,
  };
}

/** TrafficMoE inputs of a dataset: token tensors and labels. */
export interface TrafficMoeDatasetInputs {
  classNames: string[];
  labels: Int32Array;
  inputs: TrafficMoeInputs;
  cacheHit: boolean;
}

/**
 * Loads `path` and builds TrafficMoE's byte tokens, through the cache. Needs packet bytes: CSV tables are refused;
 * CertTA flows have none, so their tokens are all padding.
 */
export async function loadTrafficMoeInputs(path: string, options: CachedInputOptions & { bytes?: TrafficMoeByteOptions } = {}): Promise<TrafficMoeDatasetInputs> {
  const layout = trafficMoeLayout(options.bytes); // fail on a bad layout before reading anything
  const config = { kind: 'traffic-moe', version: EXTRACTION_VERSION, bytes: { ...options.bytes, ...layout }, load: options.load ?? {} };
  const compute = async (): Promise<{ classNames: string[]; labels: Int32Array; inputs: TrafficMoeInputs }> => {
    const data = await loadDataset(path, options.load);
    if (data.kind === 'features') throw new Error(`${path}: a CSV feature table has no packet bytes for TrafficMoE`);
    return { classNames: data.classNames, labels: data.labels, inputs: extractTrafficMoeInputs(data.flows, options.bytes) };
  };
  if (options.cache === false) return { ...(await compute()), cacheHit: false };
  const cache = options.cache ?? new FeatureCache();
  const { entry, hit } = await cache.getOrCompute(cacheKey(datasetFingerprint(path, options.load), config), async () => {
    const { classNames, labels, inputs } = await compute();
    const { tokens, segment, packetIndex, packetCount, ...shape } = inputs;
    return { meta: { classNames, shape }, arrays: { tokens, segment, packetIndex, packetCount, labels } };
  });
  const meta = entry.meta as { classNames: string[]; shape: Omit<TrafficMoeInputs, 'tokens' | 'segment' | 'packetIndex' | 'packetCount'> };
  const a = entry.arrays;
  return {
    classNames: meta.classNames,
    labels: a.labels as Int32Array,
    inputs: {
      ...meta.shape,
      tokens: a.tokens as Float32Array,
      segment: a.segment as Int32Array,
      packetIndex: a.packetIndex as Int32Array,
      packetCount: a.packetCount as Int32Array,
    },
    cacheHit: hit,
  };
}
