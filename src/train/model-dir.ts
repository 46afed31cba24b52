// A trained model on disk: checkpoint + everything needed to apply it to new traffic (classes, features, scaling).

import { readFileSync } from 'node:fs';
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

/** Load a model directory written by `npm run train`: the model, its metadata and its feature scaling. */
export function loadModelDir(dir: string): { model: ProbabilisticClassifier; meta: DclModelMeta; standardiser: Standardiser } {
  const { manifest, weights } = readCheckpoint<DclModelMeta>(dir);
  const meta = manifest.meta;
  if (meta?.task !== 'dcl-moe') throw new Error(`${dir}: not a DCL model directory (task '${meta?.task}')`);
  const model = createDclModel(meta.model);
  loadParameters(model, manifest, weights);
  model.eval();
  return { model, meta, standardiser: Standardiser.fromJSON(meta.standardiser) };
}
