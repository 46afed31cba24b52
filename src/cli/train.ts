// `npm run train`: train DCL-MoE (or one expert, or all four for the paper's comparison) and report test metrics.

import { join, resolve } from 'node:path';
import { ensureBuiltinDataset } from '../data/index.ts';
import { DCL_MODEL_KINDS, type DclModelKind } from '../models/dcl-moe.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../train/trainer.ts';
import { foldInputs, loadInputs, splitInputs } from '../train/prepare.ts';
import { runTraining, type RunResult } from '../train/run-training.ts';
import { type BackendChoice, useBackend } from '../kernels/gpu/index.ts';
import { type FlagSpec, UsageError, isPositiveInteger, numberFlag, parseFlags, runMain, usage } from './args.ts';
import { useDefaultBackends, useDefaultThreads } from '../kernels/default-backends.ts';

const SPEC = {
  data: { type: 'string', value: '<path>', description: 'dataset: capture folder (sub-folder = class), .pcap/.pcapng, .csv, CertTA json, USTC-TFC2016 idx', default: 'the built-in synthetic dataset' },
  model: { type: 'string', value: '<kind>', description: `model: ${DCL_MODEL_KINDS.join(' | ')} | all (MoE and each expert alone)`, default: 'dcl-moe' },
  features: { type: 'string', value: '<name>', description: 'feature set (packet-sequence | flow-statistics)', default: 'packet-sequence' },
  epochs: { type: 'string', value: '<n>', description: 'maximum epochs', default: String(DEFAULT_TRAIN_CONFIG.epochs) },
  'batch-size': { type: 'string', value: '<n>', description: 'mini-batch size', default: String(DEFAULT_TRAIN_CONFIG.batchSize) },
  lr: { type: 'string', value: '<x>', description: 'learning rate', default: String(DEFAULT_TRAIN_CONFIG.lr) },
  l2: { type: 'string', value: '<x>', description: 'L2 strength λ of the loss (weights only, Eq. 8); with adamw, its decoupled weight decay', default: String(DEFAULT_TRAIN_CONFIG.l2) },
  optimizer: { type: 'string', value: '<name>', description: 'adam | adamw | sgd', default: DEFAULT_TRAIN_CONFIG.optimizer },
  'clip-norm': { type: 'string', value: '<x>', description: 'clip the gradients to this global L2 norm each step (0 = off)', default: String(DEFAULT_TRAIN_CONFIG.clipNorm) },
  patience: { type: 'string', value: '<n>', description: 'early-stopping patience in epochs (0 = off)', default: String(DEFAULT_TRAIN_CONFIG.patience) },
  dropout: { type: 'string', value: '<x>', description: 'dropout rate of Table I', default: '0.3' },
  seed: { type: 'string', value: '<n>', description: 'seed of the split, initialisation, shuffling and dropout', default: String(DEFAULT_TRAIN_CONFIG.seed) },
  folds: { type: 'string', value: '<k>', description: 'k-fold cross-validation instead of one 80/10/10 split' },
  out: { type: 'string', value: '<dir>', description: 'output folder (model/, metrics.json, report.html)', default: 'runs/<model>' },
  resume: { type: 'boolean', description: 'continue the interrupted run in --out' },
  backend: { type: 'string', value: '<name>', description: 'kernels: cpu | gpu (gpu.js; fails when no mode works) | auto (a hardware gpu.js mode, else cpu)', default: 'cpu' },
  quiet: { type: 'boolean', description: 'no progress bar or model summary' },
  threads: { type: 'string', value: '<n>', description: 'CPU threads for the WebAssembly kernels (or NETMOE_THREADS)', default: 'min(2, cores)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} satisfies Record<string, FlagSpec>;

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

async function main(): Promise<void> {
  const { flags } = parseFlags(process.argv.slice(2), SPEC);
  if (flags.help) {
    console.log(usage('npm run train --', '[options]', SPEC, 'Example: npm run train -- --data ../shared/data/ustc-tfc2016 --model all --epochs 20'));
    return;
  }
  useDefaultBackends();
  const threads = await useDefaultThreads(flags.threads === undefined ? undefined : numberFlag('threads', flags.threads, 1, isPositiveInteger, 'a positive integer'));
  const modelFlag = flags.model ?? 'dcl-moe';
  const kinds: DclModelKind[] = modelFlag === 'all' ? [...DCL_MODEL_KINDS] : [modelFlag as DclModelKind];
  if (!kinds.every((k) => DCL_MODEL_KINDS.includes(k))) throw new UsageError(`--model: unknown model '${modelFlag}' (choose ${DCL_MODEL_KINDS.join(', ')} or all)`);
  const optimizer = flags.optimizer ?? DEFAULT_TRAIN_CONFIG.optimizer;
  if (!['adam', 'adamw', 'sgd'].includes(optimizer)) throw new UsageError(`--optimizer: unknown optimiser '${optimizer}' (adam, adamw or sgd)`);
  const config: TrainConfig = {
    epochs: numberFlag('epochs', flags.epochs, DEFAULT_TRAIN_CONFIG.epochs, isPositiveInteger, 'a positive integer'),
    batchSize: numberFlag('batch-size', flags['batch-size'], DEFAULT_TRAIN_CONFIG.batchSize, isPositiveInteger, 'a positive integer'),
    lr: numberFlag('lr', flags.lr, DEFAULT_TRAIN_CONFIG.lr, (v) => v > 0, 'a number > 0'),
    l2: numberFlag('l2', flags.l2, DEFAULT_TRAIN_CONFIG.l2, (v) => v >= 0, 'a number >= 0'),
    seed: numberFlag('seed', flags.seed, DEFAULT_TRAIN_CONFIG.seed, Number.isInteger, 'an integer'),
    patience: numberFlag('patience', flags.patience, DEFAULT_TRAIN_CONFIG.patience, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0'),
    optimizer: optimizer as TrainConfig['optimizer'],
    clipNorm: numberFlag('clip-norm', flags['clip-norm'], DEFAULT_TRAIN_CONFIG.clipNorm, (v) => v >= 0, 'a number >= 0'),
    progress: !flags.quiet,
  };
  const dropout = numberFlag('dropout', flags.dropout, 0.3, (v) => v >= 0 && v < 1, 'a rate in [0, 1)');
  const folds = flags.folds === undefined ? 0 : numberFlag('folds', flags.folds, 0, (v) => Number.isInteger(v) && v >= 2, 'an integer >= 2');
  if (flags.resume && (folds > 0 || kinds.length > 1)) throw new UsageError('--resume continues one model on one split; it cannot be combined with --folds or --model all');

  const backend = flags.backend ?? 'cpu';
  if (!['cpu', 'gpu', 'auto'].includes(backend)) throw new UsageError(`--backend: unknown backend '${backend}' (cpu, gpu or auto)`);
  console.log(`${useBackend(backend as BackendChoice).message}, ${threads} thread${threads > 1 ? 's' : ''}`);
  const dataPath = flags.data ?? ensureBuiltinDataset();
  const log = (line: string): void => console.log(line);
  log(`netmoe train: ${kinds.join(', ')} on ${flags.data ? dataPath : `the built-in synthetic dataset (${dataPath})`}`);
  const inputs = await loadInputs(dataPath, flags.features);
  const counts = new Map<number, number>();
  inputs.labels.forEach((c) => counts.set(c, (counts.get(c) ?? 0) + 1));
  log(`${inputs.labels.length} flows, ${inputs.classNames.length} classes, ${inputs.features.cols} features per flow ('${inputs.features.featureSet}')${inputs.cacheHit ? ' (features from cache)' : ''}`);
  log(inputs.classNames.map((name, c) => `${name} ${counts.get(c) ?? 0}`).join(' · '));

  const results = new Map<DclModelKind, RunResult[]>();
  for (const kind of kinds) {
    const baseOut = resolve(flags.out ?? join('runs', kind));
    const out = kinds.length > 1 && flags.out ? join(baseOut, kind) : baseOut;
    const splits = folds > 0 ? foldInputs(inputs, folds, config.seed) : [splitInputs(inputs, config.seed)];
    const runs: RunResult[] = [];
    splits.forEach((prepared, i) => {
      const foldOut = folds > 0 ? join(out, `fold-${i + 1}`) : out;
      const d = prepared.data;
      log(`\n== ${kind}${folds > 0 ? `, fold ${i + 1}/${folds}` : ''}: ${d.train.y.length} train / ${d.validation.y.length} validation / ${d.test.y.length} test flows ==`);
      runs.push(runTraining({ kind, prepared, config, dropout, outDir: foldOut, dataPath, resume: Boolean(flags.resume), showSummary: !flags.quiet && i === 0, log }));
      log(`\nmodel: ${join(foldOut, 'model')}\nreport: ${join(foldOut, 'report.html')}`);
    });
    results.set(kind, runs);
  }

  if (kinds.length > 1 || folds > 0) {
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = (xs: number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
    const fmt = (xs: number[]): string => (xs.length > 1 ? `${pct(mean(xs))} ± ${pct(std(xs))}` : pct(xs[0]));
    log(`\n== test results${folds > 0 ? ` (${folds}-fold cross-validation, mean ± std)` : ''} ==`);
    log(`${'model'.padEnd(8)}  ${'accuracy'.padEnd(18)}  ${'macro-F1'.padEnd(18)}  ${'weighted-F1'.padEnd(18)}  params`);
    for (const [kind, runs] of results) {
      log(`${kind.padEnd(8)}  ${fmt(runs.map((r) => r.test.accuracy)).padEnd(18)}  ${fmt(runs.map((r) => r.test.macroF1)).padEnd(18)}  ${fmt(runs.map((r) => r.test.weightedF1)).padEnd(18)}  ${runs[0].parameterCount.toLocaleString('en-US')}`);
    }
  }
}

await runMain('train', main);
