// trainAsync and evaluateAsync drive the same loop as train and evaluate: the same history, early stopping, best weights, checkpoints and evaluation, on the CPU, on gpu.js webasm, and on a deferred gpu.js context (the webgpu contract) where any synchronous device read throws.

import { afterEach, describe, expect, it } from 'vitest';
import { createDclModel } from '../../src/models/dcl-moe.ts';
import type { TabularData, TabularSplit } from '../../src/train/dataset.ts';
import type { EpochRecord } from '../../src/train/report-html.ts';
import type { OptimizerState } from '../../src/optim/optimizer.ts';
import {
  DEFAULT_TRAIN_CONFIG, createOptimizer, evaluate, evaluateAsync, train, trainAsync,
  type EvaluationResult, type ResumeState, type TrainConfig,
} from '../../src/train/trainer.ts';
import { activeGpuContext, useBackend } from '../../src/kernels/gpu/index.ts';
import { probeGpuAsync } from '../../src/kernels/gpu/context.ts';
import { blobs as gaussianBlobs } from '../helpers/blobs.ts';

const F = 10;
const C = 3;

const blobs = (n: number, seed: number): TabularSplit => gaussianBlobs(n, seed, F, C);

// 3 batches of 32 per epoch. lr 3e-2 overshoots: the validation loss rises after the first epoch and
// patience 1 stops the run early (asserted below, so the early-stopping path is really compared).
const data: TabularData = { numFeatures: F, classNames: ['a', 'b', 'c'], train: blobs(96, 1), validation: blobs(45, 2), test: blobs(30, 3) };
const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, epochs: 5, batchSize: 32, lr: 3e-2, l2: 1e-3, patience: 1, progress: false, seed: 5 };

/** What a run decided and produced, for an exact comparison. */
interface Run {
  state: ResumeState;
  /** Per epoch: best so far, the optimiser state and the weights the checkpoint hook saw. */
  checkpoints: { isBest: boolean; optimizer: OptimizerState; weights: Float32Array[] }[];
  /** The weights after the run (the best epoch's, restored). */
  weights: Float32Array[];
  test: EvaluationResult;
}

function model() {
  return createDclModel({ numFeatures: F, numClasses: C, dropout: 0.1, seed: 3, kind: 'dcl-moe' });
}

function runSync(): Run {
  const m = model();
  const optimizer = createOptimizer(m, config);
  const checkpoints: Run['checkpoints'] = [];
  const state = train(m, data, config, optimizer, {
    log: () => {},
    onEpochEnd: (_record, isBest) => {
      checkpoints.push({ isBest, optimizer: optimizer.state(), weights: m.parameters().map((p) => Float32Array.from(p.values)) });
    },
  });
  return { state, checkpoints, weights: m.parameters().map((p) => Float32Array.from(p.values)), test: evaluate(m, data.test, F, C, config.l2) };
}

/** The same run through trainAsync, checkpointing as a page on webgpu must: weights and optimiser state awaited. */
async function runAsync(): Promise<Run> {
  const m = model();
  const optimizer = createOptimizer(m, config);
  const checkpoints: Run['checkpoints'] = [];
  const state = await trainAsync(m, data, config, optimizer, {
    log: () => {},
    onEpochEnd: async (_record, isBest) => {
      await Promise.all(m.parameters().map((p) => p.toHost()));
      checkpoints.push({ isBest, optimizer: await optimizer.stateAsync(), weights: m.parameters().map((p) => Float32Array.from(p.values)) });
    },
  });
  await Promise.all(m.parameters().map((p) => p.toHost()));
  const weights = m.parameters().map((p) => Float32Array.from(p.values));
  return { state, checkpoints, weights, test: await evaluateAsync(m, data.test, F, C, config.l2) };
}

/** The history without the wall-clock fields. */
function decisions(history: EpochRecord[]) {
  return history.map(({ seconds: _s, samplesPerSecond: _r, ...rest }) => rest);
}

/** Every number the two runs produced is the same (toEqual compares floats exactly). */
function expectSameRun(got: Run, expected: Run): void {
  expect(decisions(got.state.history)).toEqual(decisions(expected.state.history));
  expect(got.state.bestValLoss).toBe(expected.state.bestValLoss);
  expect(got.state.epochsWithoutImprovement).toBe(expected.state.epochsWithoutImprovement);
  expect(got.state.bestWeights).toEqual(expected.state.bestWeights);
  expect(got.checkpoints).toEqual(expected.checkpoints);
  expect(got.weights).toEqual(expected.weights);
  expect(got.test).toEqual(expected.test);
}

/** The reference run really stops early and restores an earlier epoch's weights. */
function expectEarlyStop(run: Run): void {
  expect(run.state.history.length).toBeLessThan(config.epochs);
  expect(run.checkpoints.map((c) => c.isBest)).toContain(false);
  const best = run.checkpoints.map((c) => c.isBest).lastIndexOf(true);
  expect(best).toBeLessThan(run.checkpoints.length - 1);
  expect(run.weights).toEqual(run.checkpoints[best].weights);
  expect(run.weights).not.toEqual(run.checkpoints.at(-1)!.weights);
}

describe('trainAsync / evaluateAsync give exactly what train / evaluate give', () => {
  afterEach(() => {
    useBackend('cpu');
  });

  it('on the CPU backend (host Adam)', async () => {
    const expected = runSync();
    expectEarlyStop(expected);
    expectSameRun(await runAsync(), expected);
  });

  it('on gpu.js webasm (DeviceAdam: sums read every DEVICE_READ_EVERY batches)', async () => {
    useBackend('gpu', { modes: ['webasm'] });
    const expected = runSync();
    expectEarlyStop(expected);
    expect(expected.checkpoints[0].optimizer.kind).toBe('adam');
    expectSameRun(await runAsync(), expected);
  }, 60_000);

  // NOTE: gpu.js cpu mode, as test/kernels/gpu/deferred.test.ts: under the asynchronous contract gpu.js runs
  // webasm kernels of 4096+ cells on a worker pool, which measured 3-4x slower on this 2-core machine and is
  // not what is under test here (the queue and the loop's pauses are).
  it('on a deferred gpu.js context (the webgpu contract: a synchronous device read throws)', async () => {
    useBackend('gpu', { modes: ['cpu'] });
    const expected = runSync();
    expectEarlyStop(expected);
    // The same kernels, recorded and run at each awaited read: every read of the loop, the checkpoint hook
    // and the evaluation must be a pause, or it throws here.
    useBackend('gpu', { probed: await probeGpuAsync(['cpu'], { deferred: true }) });
    const context = activeGpuContext()!;
    expect(context.deferred).toBe(true);
    const m = model();
    expect(() => train(m, data, config, createOptimizer(m, config), { log: () => {} })).toThrow(/reads back only asynchronously/);
    const got = await runAsync();
    expectSameRun(got, expected);
    expect(context.queuedCalls).toBe(0); // nothing recorded was left unrun
    expect(context.stats.calls).toBeGreaterThan(1000);
  }, 60_000);
});

describe('trainAsync errors', () => {
  it('rejects with the loop\'s own errors (a non-finite loss), and train refuses an asynchronous hook', async () => {
    const broken: TabularData = { ...data, train: { x: data.train.x.slice(), y: data.train.y } };
    broken.train.x[5] = Number.NaN;
    const m = model();
    await expect(trainAsync(m, broken, config, createOptimizer(m, config), { log: () => {} })).rejects.toThrow(/loss became NaN at epoch 1, batch \d+\/3\. Try a lower learning rate/);
    const hook = { log: () => {}, onEpochEnd: async () => {} };
    const fresh = model();
    expect(() => train(fresh, data, config, createOptimizer(fresh, config), hook)).toThrow(/onEpochEnd returned a Promise, which the synchronous loop cannot wait for: use trainAsync/);
  });
});
