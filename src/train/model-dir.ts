// A trained model on disk: checkpoint + everything needed to apply it to new traffic (classes, features, scaling).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDclModel, type DclMoeConfig, type ProbabilisticClassifier } from '../models/dcl-moe.ts';
import { Standardiser, type StandardiserJson } from '../data/index.ts';
import { loadParameters, readCheckpoint, saveCheckpoint } from './checkpoint.ts';
import type { TrainConfig } from './trainer.ts';

/** The `meta` of a DCL model's checkpoint manifest. */
export interface DclModelMeta {
  task: 'dcl-moe';
  netmoeVersion: string;
  model: DclMoeConfig;
  classNames: string[];
  featureSet: string;
  featureNames: readonly string[];
  standardiser: StandardiserJson;
  train: TrainConfig;
  dataPath: string;
  metrics?: { accuracy: number; macroF1: number; weightedF1: number; split: string };
}

export const NETMOE_VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
})();

export function saveModelDir(dir: string, model: ProbabilisticClassifier, meta: DclModelMeta): void {
  saveCheckpoint(dir, model, meta);
}

/** A run folder (`runs/dcl-moe`) or its `model/` folder, whichever holds the manifest. */
export function resolveModelDir(path: string): string {
  return existsSync(join(path, 'manifest.json')) ? path : join(path, 'model');
}

/**
 * Load a model written by `npm run train` (the run folder or its model/ folder): the model, its metadata
 * and its feature scaling.
 */
export function loadModelDir(path: string): { model: ProbabilisticClassifier; meta: DclModelMeta; standardiser: Standardiser } {
  const dir = resolveModelDir(path);
  const { manifest, weights } = readCheckpoint<DclModelMeta>(dir);
  const meta = manifest.meta;
  if (meta?.task !== 'dcl-moe') throw new Error(`${dir}: not a DCL model directory (task '${meta?.task}')`);
  const model = createDclModel(meta.model);
  loadParameters(model, manifest, weights);
  model.eval();
  return { model, meta, standardiser: Standardiser.fromJSON(meta.standardiser) };
}
