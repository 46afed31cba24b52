// The trainer on the GPU backend: DeviceAdam with the L2 penalty folded in, metrics summed on the device, few transfers per step.

import { afterEach, describe, expect, it } from 'vitest';
import * as nm from '../../../src/index.ts';
import { createDclModel } from '../../../src/models/dcl-moe.ts';
import { Rng } from '../../../src/tensor/random.ts';
import { useBackend } from '../../../src/kernels/gpu/index.ts';
import { DeviceAdam } from '../../../src/kernels/gpu/adam.ts';
import { DEFAULT_TRAIN_CONFIG, countCorrect, createOptimizer, train, type TrainConfig } from '../../../src/train/trainer.ts';
import type { TabularData, TabularSplit } from '../../../src/train/dataset.ts';
import { argmaxRows } from '../../../src/train/metrics.ts';

const F = 10;
const C = 3;

/** Gaussian blobs: class c shifts features c and c + 3. */
function blobs(n: number, seed: number): TabularSplit {
  const rng = new Rng(seed);
  const x = new Float32Array(n * F);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % C;
    for (let f = 0; f < F; f++) x[i * F + f] = rng.normal() + (f === y[i] || f === y[i] + 3 ? 1.5 : 0);
  }
  return { x, y };
}

const data: TabularData = { numFeatures: F, classNames: ['a', 'b', 'c'], train: blobs(160, 1), validation: blobs(40, 2), test: blobs(40, 3) };
// 5 batches of 32 per epoch; l2 on so the folded penalty is exercised.
const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, epochs: 2, batchSize: 32, lr: 3e-3, l2: 1e-3, patience: 0, progress: false, seed: 5 };

function run(): ReturnType<typeof train> {
  const model = createDclModel({ numFeatures: F, numClasses: C, dropout: 0.1, seed: 3, kind: 'dcl-moe' });
  return train(model, data, config, createOptimizer(model, config), { log: () => {} });
}

describe('trainer on the GPU backend (gpu.js webasm)', () => {
  afterEach(() => {
    useBackend('cpu');
  });

  it('gives the CPU run\'s losses and accuracies, with DeviceAdam and a handful of transfers per step', () => {
    const cpu = run();
    const { context } = useBackend('gpu', { modes: ['webasm'] });
    const model = createDclModel({ numFeatures: F, numClasses: C, dropout: 0.1, seed: 3, kind: 'dcl-moe' });
    expect(createOptimizer(model, config)).toBeInstanceOf(DeviceAdam);
    const before = { ...context!.stats };
    const gpu = run();
    const steps = 2 * Math.ceil(160 / 32);
    const downloads = (context!.stats.downloads - before.downloads) / steps;
    const uploads = (context!.stats.uploads - before.uploads) / steps;
    // Per step: the batch and its labels, dropout masks and small constants go up; the loss and hit sums
    // come down every DEVICE_READ_EVERY batches. Validation and best-weight snapshots add a few per epoch.
    console.log(`per step: ${downloads.toFixed(1)} downloads, ${uploads.toFixed(1)} uploads, ${((context!.stats.calls - before.calls) / steps).toFixed(0)} kernel calls`);
    gpu.history.forEach((h, i) => {
      const c = cpu.history[i];
      expect(Math.abs(h.trainLoss - c.trainLoss)).toBeLessThan(1e-4 * Math.max(1, c.trainLoss));
      expect(Math.abs(h.valLoss - c.valLoss)).toBeLessThan(1e-4 * Math.max(1, c.valLoss));
      expect(h.trainAccuracy).toBe(c.trainAccuracy);
      expect(h.valAccuracy).toBe(c.valAccuracy);
    });
    expect(downloads).toBeLessThan(20); // TODO(lstm kernels): tighten
    expect(uploads).toBeLessThan(30);
  });

  it('rejects a DeviceAdam whose folded L2 differs from the config', () => {
    const { context } = useBackend('gpu', { modes: ['webasm'] });
    const model = createDclModel({ numFeatures: F, numClasses: C, dropout: 0.1, seed: 3, kind: 'dense' });
    const opt = new DeviceAdam(model.namedParameters(), { lr: 1e-3 }, context!);
    expect(() => train(model, data, config, opt, { log: () => {} })).toThrow(/folds an L2 penalty of 0, the config asks for 0.001/);
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
