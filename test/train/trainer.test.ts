// The trainer: learns a separable problem, resumes exactly, stops clearly on a non-finite loss.

import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TabularData, TabularSplit } from '../../src/train/dataset.ts';
import { runTraining } from '../../src/train/run-training.ts';
import { loadModelDir } from '../../src/train/model-dir.ts';
import { createDclModel } from '../../src/models/dcl-moe.ts';
import { createOptimizer, DEFAULT_TRAIN_CONFIG, train, type TrainConfig } from '../../src/train/trainer.ts';
import type { PreparedData } from '../../src/train/prepare.ts';
import { blobs as gaussianBlobs } from '../helpers/blobs.ts';

const F = 8;
const C = 3;

const blobs = (n: number, seed: number): TabularSplit => gaussianBlobs(n, seed, F, C);

function prepared(): PreparedData {
  const data: TabularData = { numFeatures: F, classNames: ['a', 'b', 'c'], train: blobs(240, 1), validation: blobs(60, 2), test: blobs(60, 3) };
  return { data, standardiser: { kind: 'standardiser', mean: new Array(F).fill(0), std: new Array(F).fill(1) }, featureSet: 'test', featureNames: Array.from({ length: F }, (_, i) => `f${i}`) };
}

const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, epochs: 4, batchSize: 32, lr: 3e-3, patience: 0, progress: false, seed: 5 };
const quiet = () => {};

describe('trainer', () => {
  it('learns separable blobs and writes model, metrics and report', () => {
    const out = mkdtempSync(join(tmpdir(), 'netmoe-train-'));
    const result = runTraining({ kind: 'dcl-moe', prepared: prepared(), config, dropout: 0.1, outDir: out, dataPath: 'blobs', resume: false, showSummary: false, log: quiet });
    expect(result.history).toHaveLength(4);
    expect(result.test.accuracy).toBeGreaterThan(0.75);
    expect(result.gateByClass!.weights).toHaveLength(C);
    const { meta } = loadModelDir(join(out, 'model'));
    expect(meta.classNames).toEqual(['a', 'b', 'c']);
    expect(meta.metrics!.accuracy).toBeCloseTo(result.test.accuracy, 12);
  });

  it('a run interrupted after 2 epochs and resumed ends exactly where an uninterrupted run ends', () => {
    const full = mkdtempSync(join(tmpdir(), 'netmoe-full-'));
    const split = mkdtempSync(join(tmpdir(), 'netmoe-resume-'));
    const common = { kind: 'dense' as const, prepared: prepared(), dropout: 0.3, dataPath: 'blobs', showSummary: false, log: quiet };
    const straight = runTraining({ ...common, config, outDir: full, resume: false });
    // Simulate the interruption: stop after epoch 2 but keep the resume state (what a crash leaves behind).
    runTraining({ ...common, config: { ...config, epochs: 2 }, outDir: split, resume: false, keepResumeState: true });
    const resumed = runTraining({ ...common, config, outDir: split, resume: true });
    expect(resumed.history.map((h) => h.trainLoss)).toEqual(straight.history.map((h) => h.trainLoss));
    expect(resumed.test.accuracy).toBe(straight.test.accuracy);
  });

  it('refuses to resume with different settings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netmoe-resume-'));
    const common = { kind: 'dense' as const, prepared: prepared(), dropout: 0.3, dataPath: 'blobs', showSummary: false, log: quiet };
    runTraining({ ...common, config: { ...config, epochs: 1 }, outDir: dir, resume: false, keepResumeState: true });
    expect(() => runTraining({ ...common, config: { ...config, seed: 6 }, outDir: dir, resume: true })).toThrow(/different seed \(5\)/);
  });

  it('stops with a clear message when the loss is not finite', () => {
    const p = prepared();
    p.data.train.x[5] = Number.NaN;
    const model = createDclModel({ kind: 'dense', numFeatures: F, numClasses: C, dropout: 0, seed: 1 });
    expect(() => train(model, p.data, config, createOptimizer(model, config), { log: quiet })).toThrow(/loss became NaN at epoch 1, batch \d+\/8\. Try a lower learning rate/);
  });
});
