// One complete training run: build the model, train (resumable), test, and write model, metrics and report.

import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createDclModel, type DclModelKind } from '../models/dcl-moe.ts';
import { tensor } from '../tensor/creation.ts';
import { loadParameters, readCheckpoint, readTrainingState, saveCheckpoint, saveTrainingState } from './checkpoint.ts';
import { classificationReport, formatReport, type ClassificationReport } from './metrics.ts';
import { renderReport, type EpochRecord } from './report-html.ts';
import { createOptimizer, evaluate, train, type ResumeState, type TrainConfig } from './trainer.ts';
import type { PreparedData } from './prepare.ts';
import { NETMOE_VERSION, saveModelDir, type DclModelMeta } from './model-dir.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

export interface RunOptions {
  kind: DclModelKind;
  prepared: PreparedData;
  config: TrainConfig;
  dropout: number;
  /** Output folder: model/, resume/, metrics.json, report.html. */
  outDir: string;
  dataPath: string;
  resume: boolean;
  /** Print the model summary table. */
  showSummary: boolean;
  /** Keep resume/ after the run finishes (a finished run normally deletes it); lets a later run extend this one. */
  keepResumeState?: boolean;
  log: (line: string) => void;
}

/** What the resume checkpoint records besides weights: the epoch, and the settings a resume must keep. */
interface ResumeMeta {
  epoch: number;
  kind: DclModelKind;
  dataPath: string;
  seed: number;
  batchSize: number;
  optimizer: TrainConfig['optimizer'];
}

export interface RunResult {
  test: ClassificationReport;
  history: EpochRecord[];
  gateByClass: { experts: string[]; weights: number[][] } | null;
  parameterCount: number;
  trainSeconds: number;
}

/** Mean gate weight of each expert over the test flows of each true class. */
function gatesPerClass(gates: Float32Array, labels: Int32Array, C: number, E: number): number[][] {
  const sums = Array.from({ length: C }, () => new Array<number>(E).fill(0));
  const counts = new Array<number>(C).fill(0);
  labels.forEach((c, i) => {
    counts[c]++;
    for (let e = 0; e < E; e++) sums[c][e] += gates[i * E + e];
  });
  return sums.map((row, c) => row.map((s) => (counts[c] > 0 ? s / counts[c] : 0)));
}

export function runTraining(options: RunOptions): RunResult {
  const { prepared, config, outDir, log } = options;
  const { data } = prepared;
  const C = data.classNames.length;
  const model = createDclModel({ kind: options.kind, numFeatures: data.numFeatures, numClasses: C, dropout: options.dropout, seed: config.seed });
  if (options.showSummary) log(model.summary(tensor(new Float32Array(2 * data.numFeatures), { shape: [2, data.numFeatures] }), options.kind) + '\n');
  const optimizer = createOptimizer(model, config);
  const modelDir = join(outDir, 'model');
  const resumeDir = join(outDir, 'resume');
  const meta: DclModelMeta = {
    task: 'dcl-moe',
    netmoeVersion: NETMOE_VERSION,
    model: { kind: options.kind, numFeatures: data.numFeatures, numClasses: C, dropout: options.dropout, seed: config.seed },
    classNames: data.classNames,
    featureSet: prepared.featureSet,
    featureNames: prepared.featureNames,
    standardiser: prepared.standardiser,
    train: config,
    dataPath: options.dataPath,
  };

  let resume: ResumeState | undefined;
  if (options.resume) {
    const saved = readTrainingState<EpochRecord[]>(resumeDir, false);
    if (!saved) throw new Error(`--resume: no interrupted run in ${resumeDir} (train without --resume first)`);
    const last = readCheckpoint<ResumeMeta>(resumeDir);
    const was = last.manifest.meta;
    if (was.epoch !== saved.state.epoch) {
      throw new Error(`--resume: ${resumeDir} holds weights of epoch ${was.epoch} but optimiser state of epoch ${saved.state.epoch} (the run stopped while saving); start again without --resume`);
    }
    const changed = (['kind', 'dataPath', 'seed', 'batchSize', 'optimizer'] as const).filter((k) => was[k] !== { kind: options.kind, dataPath: options.dataPath, seed: config.seed, batchSize: config.batchSize, optimizer: config.optimizer }[k]);
    if (changed.length > 0) {
      throw new Error(`--resume: the interrupted run used a different ${changed.map((k) => `${k} (${was[k]})`).join(', ')}; resume with the same settings (only --epochs may grow)`);
    }
    loadParameters(model, last.manifest, last.weights);
    optimizer.loadState(saved.optimizer);
    let bestWeights: Float32Array[] | null = null;
    if (existsSync(join(modelDir, 'manifest.json'))) {
      const best = readCheckpoint(modelDir);
      bestWeights = model.namedParameters().map((p) => {
        const entry = best.manifest.parameters.find((e) => e.name === p.name);
        if (!entry) throw new Error(`--resume: ${modelDir} lacks parameter '${p.name}'`);
        return best.weights.slice(entry.byteOffset / 4, entry.byteOffset / 4 + entry.length);
      });
    }
    resume = { epoch: saved.state.epoch, history: saved.state.history, bestValLoss: saved.state.bestValLoss, epochsWithoutImprovement: saved.state.epochsWithoutImprovement, bestWeights };
    log(`resuming after epoch ${resume.epoch} (best validation loss so far ${resume.bestValLoss.toFixed(4)})`);
  } else {
    rmSync(resumeDir, { recursive: true, force: true });
  }

  const started = performance.now();
  const state = train(model, data, config, optimizer, {
    log,
    onEpochEnd: (_record, isBest, s) => {
      // Best model first, then the resume point: a crash between the two resumes one epoch early, never loses the best.
      if (isBest) saveModelDir(modelDir, model, meta);
      const resumeMeta: ResumeMeta = { epoch: s.epoch, kind: options.kind, dataPath: options.dataPath, seed: config.seed, batchSize: config.batchSize, optimizer: config.optimizer };
      saveCheckpoint(resumeDir, model, resumeMeta);
      saveTrainingState(resumeDir, { epoch: s.epoch, history: s.history, bestValLoss: s.bestValLoss, epochsWithoutImprovement: s.epochsWithoutImprovement }, optimizer.state());
    },
  }, resume);
  const trainSeconds = (performance.now() - started) / 1000;

  const result = evaluate(model, data.test, data.numFeatures, C, config.l2);
  const test = classificationReport(data.test.y, result.predictions, data.classNames);
  const gateByClass = result.gates ? { experts: [...model.expertNames], weights: gatesPerClass(result.gates, data.test.y, C, model.expertNames.length) } : null;
  meta.metrics = { accuracy: test.accuracy, macroF1: test.macroF1, weightedF1: test.weightedF1, split: 'test' };
  saveModelDir(modelDir, model, meta); // best weights (restored by train) + test metrics
  if (!options.keepResumeState) rmSync(resumeDir, { recursive: true, force: true }); // the run finished: nothing to resume

  writeFileAtomic(join(outDir, 'metrics.json'), JSON.stringify({ model: options.kind, test, history: state.history, gateByClass, config }, null, 2) + '\n');
  writeFileAtomic(
    join(outDir, 'report.html'),
    renderReport({ title: `netmoe: ${options.kind} on ${options.dataPath}`, modelKind: options.kind, history: state.history, test, gateByClass: gateByClass ?? undefined, config: { ...config, features: prepared.featureSet, data: options.dataPath } }),
  );
  log('\n' + formatReport(test));
  return { test, history: state.history, gateByClass, parameterCount: model.parameterCount(), trainSeconds };
}
