// The trainer on the GPU backend: device optimisers with the L2 penalty and clipping folded in, metrics summed on the device, few transfers per step.

import { afterEach, describe, expect, it } from 'vitest';
import * as nm from '../../../src/index.ts';
import { createDclModel } from '../../../src/models/dcl-moe.ts';
import { useBackend } from '../../../src/kernels/gpu/index.ts';
import { DeviceAdam, DeviceAdamW } from '../../../src/kernels/gpu/adam.ts';
import { DeviceSgd } from '../../../src/kernels/gpu/sgd.ts';
import type { Optimizer } from '../../../src/optim/optimizer.ts';
import { DEFAULT_TRAIN_CONFIG, countCorrect, createOptimizer, train, type TrainConfig } from '../../../src/train/trainer.ts';
import type { TabularData, TabularSplit } from '../../../src/train/dataset.ts';
import { argmaxRows } from '../../../src/train/metrics.ts';
import { blobs as gaussianBlobs } from '../../helpers/blobs.ts';

const F = 10;
const C = 3;

const blobs = (n: number, seed: number): TabularSplit => gaussianBlobs(n, seed, F, C);

const data: TabularData = { numFeatures: F, classNames: ['a', 'b', 'c'], train: blobs(160, 1), validation: blobs(40, 2), test: blobs(40, 3) };
// 5 batches of 32 per epoch; l2 on so the folded penalty is exercised.
const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, epochs: 2, batchSize: 32, lr: 3e-3, l2: 1e-3, patience: 0, progress: false, seed: 5 };

function run(runConfig = config): ReturnType<typeof train> {
  const model = createDclModel({ numFeatures: F, numClasses: C, dropout: 0.1, seed: 3, kind: 'dcl-moe' });
  return train(model, data, runConfig, createOptimizer(model, runConfig), { log: () => {} });
}

/** The GPU run's history matches the CPU run's: losses to float32 tolerance, the same accuracies. */
function expectSameHistory(gpu: ReturnType<typeof train>, cpu: ReturnType<typeof train>): void {
  expect(gpu.history).toHaveLength(cpu.history.length);
  gpu.history.forEach((h, i) => {
    const c = cpu.history[i];
    expect(Math.abs(h.trainLoss - c.trainLoss)).toBeLessThan(1e-4 * Math.max(1, c.trainLoss));
    expect(Math.abs(h.valLoss - c.valLoss)).toBeLessThan(1e-4 * Math.max(1, c.valLoss));
    expect(h.trainAccuracy).toBe(c.trainAccuracy);
    expect(h.valAccuracy).toBe(c.valAccuracy);
  });
}

/** Wrap `opt.step` to record the transfer counters before each step. */
function recordSteps(opt: Optimizer, stats: { downloads: number; uploads: number; calls: number }): { downloads: number; uploads: number; calls: number }[] {
  const marks: { downloads: number; uploads: number; calls: number }[] = [];
  const step = opt.step.bind(opt);
  opt.step = () => {
    marks.push({ downloads: stats.downloads, uploads: stats.uploads, calls: stats.calls });
    step();
  };
  return marks;
}

describe('trainer on the GPU backend (gpu.js webasm)', () => {
  afterEach(() => {
    useBackend('cpu');
  });

  it("gives the CPU run's losses and accuracies, with DeviceAdam and a handful of transfers per step", () => {
    const cpu = run();
    const { context } = useBackend('gpu', { modes: ['webasm'] });
    const stats = context!.stats;
    // Transfers between consecutive optimiser steps of one epoch: the steady state of a training step.
    const marks: { downloads: number; uploads: number; calls: number }[] = [];
    class RecordingAdam extends DeviceAdam {
      override step(): void {
        marks.push({ downloads: stats.downloads, uploads: stats.uploads, calls: stats.calls });
        super.step();
      }
    }
    const model = createDclModel({ numFeatures: F, numClasses: C, dropout: 0.1, seed: 3, kind: 'dcl-moe' });
    expect(createOptimizer(model, config)).toBeInstanceOf(DeviceAdam);
    const gpu = train(model, data, config, new RecordingAdam(model.namedParameters(), { lr: config.lr, l2: config.l2 }, context!), { log: () => {} });
    gpu.history.forEach((h, i) => {
      const c = cpu.history[i];
      expect(Math.abs(h.trainLoss - c.trainLoss)).toBeLessThan(1e-4 * Math.max(1, c.trainLoss));
      expect(Math.abs(h.valLoss - c.valLoss)).toBeLessThan(1e-4 * Math.max(1, c.valLoss));
      expect(h.trainAccuracy).toBe(c.trainAccuracy);
      expect(h.valAccuracy).toBe(c.valAccuracy);
    });
    // Steps 7..10 (epoch 2, after its first step, which re-uploads the weights the epoch-1 validation read).
    const steady = marks.slice(6);
    const per = (key: 'downloads' | 'uploads' | 'calls'): number => (steady.at(-1)![key] - steady[0][key]) / (steady.length - 1);
    // Up: the batch, its labels, dropout masks, h0 / c0 and a few scalars; down: nothing (sums are read every 16 batches).
    expect(per('downloads')).toBe(0);
    expect(per('uploads')).toBeLessThanOrEqual(16);
    expect(per('calls')).toBeGreaterThan(200); // the whole step runs as gpu.js kernels
  });

  it('rejects a DeviceAdam whose folded L2 differs from the config', () => {
    const { context } = useBackend('gpu', { modes: ['webasm'] });
    const model = createDclModel({ numFeatures: F, numClasses: C, dropout: 0.1, seed: 3, kind: 'dense' });
    const opt = new DeviceAdam(model.namedParameters(), { lr: 1e-3 }, context!);
    expect(() => train(model, data, config, opt, { log: () => {} })).toThrow(/folds an L2 penalty of 0, the config asks for 0.001/);
  });
});

describe('trainer with AdamW and SGD on the GPU backend, gradient clipping on (gpu.js webasm)', () => {
  afterEach(() => {
    useBackend('cpu');
  });

  // The first batches' gradient norm is ~0.47 (l2 included): clipping at 0.25 changes the steps.
  const CLIP = 0.25;

  it.each(['adamw', 'sgd'] as const)("%s: the CPU run's losses, with the device optimiser and no download between the periodic reads", (optimizer) => {
    const clipped: TrainConfig = { ...config, optimizer, clipNorm: CLIP, lr: optimizer === 'sgd' ? 3e-2 : config.lr };
    const cpu = run(clipped);
    // Clipping is active: without it SGD's losses differ far beyond the tolerance. (Adam's steps hardly
    // change under a gradient scale, so AdamW's clipping is checked step by step in optimizers.test.ts.)
    if (optimizer === 'sgd') expect(Math.abs(run({ ...clipped, clipNorm: 0 }).history[1].trainLoss - cpu.history[1].trainLoss)).toBeGreaterThan(1e-2);
    const { context } = useBackend('gpu', { modes: ['webasm'] });
    const stats = context!.stats;
    const model = createDclModel({ numFeatures: F, numClasses: C, dropout: 0.1, seed: 3, kind: 'dcl-moe' });
    const opt = createOptimizer(model, clipped);
    expect(opt).toBeInstanceOf(optimizer === 'adamw' ? DeviceAdamW : DeviceSgd);
    // AdamW's decay replaces the L2 gradient (as on the host path); SGD folds it in.
    expect(opt.foldedL2).toBe(optimizer === 'adamw' ? 0 : clipped.l2);
    expect(opt.foldedClipNorm).toBe(CLIP);
    const marks = recordSteps(opt, stats);
    const gpu = train(model, data, clipped, opt, { log: () => {} });
    expectSameHistory(gpu, cpu);
    // Steps 7..10: epoch 2 after its first step (which re-uploads the weights the epoch-1 validation read).
    const steady = marks.slice(6);
    expect(steady).toHaveLength(4);
    const per = (key: 'downloads' | 'uploads' | 'calls'): number => (steady.at(-1)![key] - steady[0][key]) / (steady.length - 1);
    expect(per('downloads')).toBe(0);
    expect(per('uploads')).toBeLessThanOrEqual(16);
    expect(per('calls')).toBeGreaterThan(200);
    // The optimiser state checkpoints in the host format after a device run.
    const state = opt.state();
    expect(state.kind).toBe(optimizer);
    expect(state.step).toBe(10);
    const key = optimizer === 'adamw' ? 'v' : 'velocity';
    expect(Object.values(state.buffers).every((b) => b[key].some((x) => x !== 0))).toBe(true);
  });

  it('rejects a device optimiser whose clip norm differs from the config', () => {
    const { context } = useBackend('gpu', { modes: ['webasm'] });
    const model = createDclModel({ numFeatures: F, numClasses: C, dropout: 0.1, seed: 3, kind: 'dense' });
    const opt = new DeviceSgd(model.namedParameters(), { lr: 1e-3, l2: config.l2 }, context!);
    expect(() => train(model, data, { ...config, optimizer: 'sgd', clipNorm: 1 }, opt, { log: () => {} })).toThrow(/device sgd clips the gradient norm at 0, the config asks for 1/);
  });
});

describe('countCorrect (argmax hits as tensor ops)', () => {
  afterEach(() => {
    useBackend('cpu');
  });

  // Rows with ties: the first maximal column is the prediction, as argmaxRows decides.
  const probs = [
    [0.2, 0.5, 0.3],
    [0.4, 0.4, 0.2], // tie: predicts 0
    [0.1, 0.45, 0.45], // tie: predicts 1
    [0.3, 0.3, 0.3], // all tied: predicts 0
    [0.1, 0.2, 0.7],
  ];
  const labels = [1, 1, 1, 0, 0];

  it.each(['cpu', 'gpu'] as const)('matches argmaxRows with ties on the %s backend', (backend) => {
    if (backend === 'gpu') useBackend('gpu', { modes: ['webasm'] });
    const p = nm.tensor(probs);
    const expected = argmaxRows(p.toFlatArray(), 5, 3).filter((c, i) => c === labels[i]).length;
    expect(expected).toBe(3); // rows 0, 2 and 3
    const hits = countCorrect(p, nm.tensor(labels, { dtype: 'int32' }));
    if (backend === 'gpu') expect(hits.storage.device).not.toBeNull();
    expect(hits.item()).toBe(expected);
  });
});
