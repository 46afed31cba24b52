// The training loop: seeded mini-batches, validation each epoch, early stopping with best-model restore, resumable; written once, driven synchronously (train) or asynchronously (trainAsync, for WebGPU).
//
// Why a generator: the same loop must run synchronously (the CLI, `--resume`, the Node tests) and
// asynchronously in a page on WebGPU, where a device value reaches the host only through a Promise. As a
// generator (trainingSteps, evaluationSteps) it pauses before every host read of a device value and a
// driver decides what the pause means: `train` / `evaluate` read on (synchronously), `trainAsync` /
// `evaluateAsync` await the values first. So the loop body exists once. The drivers, and why a pause is a
// read and never a bare flush: ./host-reads.ts.

import type { ProbabilisticClassifier } from '../models/dcl-moe.ts';
import { Rng } from '../tensor/random.ts';
import { emptyTensor, type Tensor } from '../tensor/tensor.ts';
import { tensor } from '../tensor/creation.ts';
import { tidy } from '../tensor/storage.ts';
import { noGrad } from '../autograd/grad-mode.ts';
import { nllFromProbs } from '../tensor/ops/loss.ts';
import { add, cast, equal, greaterEqual, mul, neg, sub } from '../tensor/ops/elementwise.ts';
import { max, sum } from '../tensor/ops/reduce.ts';
import { reseedDropout } from '../layers/dropout.ts';
import { Adam, AdamW, Sgd, type Optimizer } from '../optim/index.ts';
import { applyL2Penalty, clipGradNorm, l2PenaltyTensor, l2PenaltyValue } from '../optim/regularisation.ts';
import { deviceOptimizers } from '../optim/device-optimizer.ts';
import { type TabularData, type TabularSplit, splitSize } from './dataset.ts';
import { argmaxRows } from './metrics.ts';
import { ProgressBar } from './progress.ts';
import { read, runAsync, runSync, waitFor, type Steps } from './host-reads.ts';
import type { EpochRecord } from './report-html.ts';

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  /** λ of Eq. 8: λ Σ ||w||² over the weights (not biases). */
  l2: number;
  seed: number;
  optimizer: 'adam' | 'adamw' | 'sgd';
  /** Stop after this many epochs without a lower validation loss (0 = never stop early). */
  patience: number;
  /** Clip the global gradient norm (0 = off). */
  clipNorm: number;
  /** Show the progress bar (it is silent when stderr is not a TTY anyway). */
  progress: boolean;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  epochs: 30,
  batchSize: 64,
  lr: 1e-3,
  l2: 1e-4,
  seed: 42,
  optimizer: 'adam',
  patience: 5,
  clipNorm: 0,
  progress: true,
};

export interface EvaluationResult {
  loss: number;
  accuracy: number;
  /** Class probabilities [N, C]. */
  probs: Float32Array;
  /** Gate weights [N, E] (MoE models), else null. */
  gates: Float32Array | null;
  predictions: Int32Array;
}

/** Hooks the trainer calls so the CLI can checkpoint and print without the loop knowing about files. */
export interface TrainHooks {
  /**
   * After each epoch, with whether it is the best so far; save the model / the resume state here. With
   * `trainAsync` it may return a Promise, which is awaited (on webgpu: `await optimizer.stateAsync()`, and
   * `await p.toHost()` on the parameters before reading them); `train` refuses one.
   */
  onEpochEnd?(record: EpochRecord, isBest: boolean, state: ResumeState): void | Promise<void>;
  log?(line: string): void;
}

/** What a resumed run needs besides the weights: the epoch reached, history, early-stopping state. */
export interface ResumeState {
  epoch: number;
  history: EpochRecord[];
  bestValLoss: number;
  epochsWithoutImprovement: number;
  bestWeights: Float32Array[] | null;
}

/** Copy rows `indices[start..end)` of a split into a pooled batch tensor (+ labels). */
function gatherBatch(split: TabularSplit, F: number, indices: Int32Array | null, start: number, end: number): { x: Tensor; y: Tensor } {
  const n = end - start;
  const x = emptyTensor([n, F], 'float32');
  const y = emptyTensor([n], 'int32');
  const xs = x.values;
  const ys = y.values;
  for (let i = 0; i < n; i++) {
    const row = indices ? indices[start + i] : start + i;
    xs.set(split.x.subarray(row * F, row * F + F), i * F);
    ys[i] = split.y[row];
  }
  return { x, y };
}

function snapshot(model: ProbabilisticClassifier): Float32Array[] {
  return model.parameters().map((p) => Float32Array.from(p.values));
}

function restore(model: ProbabilisticClassifier, weights: Float32Array[]): void {
  model.parameters().forEach((p, i) => p.values.set(weights[i]));
}

/**
 * λ of the L2 term added to the gradients (Eq. 8): none with AdamW, whose decoupled decay replaces it
 * (applying both would regularise twice). The reported loss includes λ Σ ||w||² either way.
 */
function gradientL2(config: TrainConfig): number {
  return config.optimizer === 'adamw' ? 0 : config.l2;
}

/**
 * The optimiser `config` names. On the GPU backend (`useBackend('gpu')`) it runs on the device (DeviceAdam,
 * DeviceAdamW, DeviceSgd) with the L2 gradient and the gradient clipping folded into its step, so a
 * training step needs no readback.
 */
export function createOptimizer(model: ProbabilisticClassifier, config: TrainConfig): Optimizer {
  const params = model.namedParameters();
  const device = deviceOptimizers();
  // What the host path does to the gradients before the step (applyL2Penalty, clipGradNorm).
  const folds = { l2: gradientL2(config), clipNorm: config.clipNorm };
  switch (config.optimizer) {
    case 'adam': {
      const options = { lr: config.lr };
      return device ? device.adam(params, { ...options, ...folds }) : new Adam(params, options);
    }
    case 'adamw': {
      // AdamW's decay is the regulariser: λ becomes its decoupled weight decay.
      const options = { lr: config.lr, weightDecay: config.l2 };
      return device ? device.adamw(params, { ...options, ...folds }) : new AdamW(params, options);
    }
    case 'sgd': {
      const options = { lr: config.lr, momentum: 0.9 };
      return device ? device.sgd(params, { ...options, ...folds }) : new Sgd(params, options);
    }
    default:
      return config.optimizer satisfies never;
  }
}

/**
 * Loss, accuracy, probabilities and gates over a whole split, in eval mode and without a graph. The loop
 * of `evaluate` and `evaluateAsync`, pausing before each host read (./host-reads.ts).
 */
function* evaluationSteps(model: ProbabilisticClassifier, split: TabularSplit, F: number, C: number, l2: number, batchSize: number): Steps<EvaluationResult> {
  const n = splitSize(split, F);
  const probs = new Float32Array(n * C);
  let gates: Float32Array | null = null;
  let nll = 0;
  const wasTraining = model.isTraining;
  model.eval();
  try {
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      const out = tidy(() =>
        noGrad(() => {
          const batch = gatherBatch(split, F, null, start, end);
          const predicted = model.predict(batch.x);
          return { nll: nllFromProbs(predicted.probs, batch.y), probs: predicted.probs, gates: predicted.gates };
        }),
      );
      try {
        yield read(out.nll, out.probs, ...(out.gates ? [out.gates] : []));
        nll += out.nll.item() * (end - start);
        probs.set(out.probs.values, start * C);
        if (out.gates) {
          const E = out.gates.shape[1];
          gates ??= new Float32Array(n * E);
          gates.set(out.gates.values, start * E);
        }
      } finally {
        out.nll.dispose();
        out.probs.dispose();
        out.gates?.dispose();
      }
    }
  } finally {
    model.train(wasTraining);
  }
  const params = model.namedParameters();
  if (l2 > 0 && n > 0) yield read(...params.filter((p) => p.decay).map((p) => p.tensor)); // for l2PenaltyValue
  const predictions = argmaxRows(probs, n, C);
  let correct = 0;
  for (let i = 0; i < n; i++) if (predictions[i] === split.y[i]) correct++;
  return { loss: n > 0 ? nll / n + l2PenaltyValue(params, l2) : NaN, accuracy: n > 0 ? correct / n : 0, probs, gates, predictions };
}

/**
 * Loss, accuracy, probabilities and gates over a whole split, in eval mode and without a graph.
 * Reads device values synchronously: on gpu.js webgpu use `evaluateAsync`.
 *
 * @example
 * const { loss, accuracy } = evaluate(model, data.test, data.numFeatures, data.classNames.length);
 */
export function evaluate(model: ProbabilisticClassifier, split: TabularSplit, F: number, C: number, l2 = 0, batchSize = 1024): EvaluationResult {
  return runSync(evaluationSteps(model, split, F, C, l2, batchSize), 'evaluateAsync');
}

/**
 * `evaluate` for a device that reads back only asynchronously (gpu.js webgpu): the same loop, each read
 * awaited. Gives exactly `evaluate`'s result on every backend.
 *
 * @example
 * const { accuracy } = await evaluateAsync(model, data.test, data.numFeatures, data.classNames.length);
 */
export function evaluateAsync(model: ProbabilisticClassifier, split: TabularSplit, F: number, C: number, l2 = 0, batchSize = 1024): Promise<EvaluationResult> {
  return runAsync(evaluationSteps(model, split, F, C, l2, batchSize));
}

export class NonFiniteLossError extends Error {}

/**
 * How many rows of `probs` [B, C] have their argmax at `labels` [B], as a 0-d float tensor computed with
 * tensor ops, so on the GPU backend it stays on the device. The same decision as `argmaxRows` (ties go to
 * the lowest index): among the columns equal to the row max, C - c is largest for the first, so
 * max((p >= rowMax) · (C - c)) = C - argmax.
 *
 * @example
 * const hits = countCorrect(probs, labels).item();   // probs: [B, C] -> number of correct rows
 */
export function countCorrect(probs: Tensor, labels: Tensor): Tensor {
  return noGrad(() => {
    const C = probs.shape[1];
    const fromEnd = tensor(Array.from({ length: C }, (_, c) => C - c), { dtype: probs.dtype }); // C - c
    const first = max(mul(greaterEqual(probs, max(probs, 1, true)), fromEnd), 1); // C - argmax
    return sum(equal(first, neg(sub(cast(labels, probs.dtype), C)))); // C - label
  });
}

/** Batches between reads of the loss and accuracy sums on the device path (a read waits for the device). */
export const DEVICE_READ_EVERY = 16;

/** Rows per forward pass of the validation (evaluate's default). */
const EVALUATION_BATCH = 1024;

/**
 * The training loop of `train` and `trainAsync`, pausing before each host read (./host-reads.ts): the
 * device path's loss and accuracy sums every DEVICE_READ_EVERY batches, the host path's metrics, weights
 * and gradients every batch (on the CPU backend they are host values already: the pause costs nothing),
 * the validation, the best-weights snapshot and restore, and a hook's Promise.
 */
function* trainingSteps(
  model: ProbabilisticClassifier,
  data: TabularData,
  config: TrainConfig,
  optimizer: Optimizer,
  hooks: TrainHooks,
  resume: ResumeState | undefined,
): Steps<ResumeState> {
  const F = data.numFeatures;
  const C = data.classNames.length;
  const n = splitSize(data.train, F);
  const params = model.namedParameters();
  const log = hooks.log ?? ((line: string) => console.log(line));
  const state: ResumeState = resume ?? { epoch: 0, history: [], bestValLoss: Infinity, epochsWithoutImprovement: 0, bestWeights: null };
  const batches = Math.ceil(n / config.batchSize);
  const order = new Int32Array(n);
  // With a device optimiser (the gpu.js DeviceAdam, DeviceAdamW, DeviceSgd) weights, gradients and
  // optimiser state stay on the device: the L2 gradient and the clipping are folded into its step, and the
  // loss and accuracy accumulate on the device, read every DEVICE_READ_EVERY batches.
  const onDevice = optimizer.foldedL2 !== null;
  if (onDevice && optimizer.foldedL2 !== gradientL2(config)) {
    throw new Error(`train: the device ${optimizer.kind} folds an L2 penalty of ${optimizer.foldedL2}, the config asks for ${gradientL2(config)} (build it with createOptimizer)`);
  }
  if (onDevice && optimizer.foldedClipNorm !== config.clipNorm) {
    throw new Error(`train: the device ${optimizer.kind} clips the gradient norm at ${optimizer.foldedClipNorm}, the config asks for ${config.clipNorm} (build it with createOptimizer)`);
  }
  const parameters = params.map((p) => p.tensor);

  for (let epoch = state.epoch + 1; epoch <= config.epochs; epoch++) {
    model.train();
    reseedDropout(model, config.seed, epoch);
    for (let i = 0; i < n; i++) order[i] = i;
    new Rng(`${config.seed}/shuffle/${epoch}`).shuffle(order);
    // NOTE: the bar writes to process.stderr; a page has none and gets the log line instead.
    const bar = config.progress && globalThis.process?.stderr ? new ProgressBar(`epoch ${String(epoch).padStart(String(config.epochs).length)}/${config.epochs}`, batches) : null;
    const started = performance.now();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    // Device path: sums of (loss · rows) and hits since the last read, as device scalars.
    let pending: { loss: Tensor; hits: Tensor } | null = null;
    let pendingFrom = 0;
    for (let b = 0; b < batches; b++) {
      const start = b * config.batchSize;
      const end = Math.min(n, start + config.batchSize);
      if (onDevice) {
        const previous = pending as { loss: Tensor; hits: Tensor } | null;
        pending = tidy(() => {
          const batch = gatherBatch(data.train, F, order, start, end);
          model.zeroGrad();
          const { probs } = model.predict(batch.x);
          const nll = nllFromProbs(probs, batch.y);
          nll.backward();
          const penalty = l2PenaltyTensor(params, config.l2); // of the weights before the step, as the host path
          // Steps with g + 2λw (not with AdamW) scaled to the clipped global norm, as applyL2Penalty and
          // clipGradNorm on the host path, all on the device (the gradient tensors themselves are left as they are).
          optimizer.step();
          return noGrad(() => {
            const loss = mul(penalty ? add(nll, penalty) : nll, end - start);
            const hits = countCorrect(probs, batch.y);
            return previous ? { loss: add(previous.loss, loss), hits: add(previous.hits, hits) } : { loss, hits };
          });
        });
        previous?.loss.dispose();
        previous?.hits.dispose();
        if ((b + 1) % DEVICE_READ_EVERY !== 0 && b !== batches - 1) continue;
        const sums: { loss: Tensor; hits: Tensor } = pending;
        pending = null;
        let loss: number;
        try {
          yield read(sums.loss, sums.hits); // on webgpu: the queued steps run here
          loss = sums.loss.item();
          correct += sums.hits.item();
        } finally {
          sums.loss.dispose();
          sums.hits.dispose();
        }
        if (!Number.isFinite(loss)) {
          throw new NonFiniteLossError(
            `training stopped: the loss became ${loss} at epoch ${epoch}, within batches ${pendingFrom + 1}-${b + 1}/${batches}. ` +
              `Try a lower learning rate (--lr, now ${config.lr}) or check the input features for extreme values.`,
          );
        }
        pendingFrom = b + 1;
        lossSum += loss;
        seen = end;
        bar?.update(b + 1, seen, { loss: lossSum / seen, accuracy: correct / seen });
        continue;
      }
      const step = tidy(() => {
        const batch = gatherBatch(data.train, F, order, start, end);
        model.zeroGrad();
        const { probs } = model.predict(batch.x);
        const nll = nllFromProbs(probs, batch.y);
        nll.backward();
        return { nll, probs, labels: batch.y };
      });
      let loss: number;
      let hits = 0;
      try {
        // The host optimiser and regularisers read the weights and gradients, the metrics nll and probs.
        yield read(step.nll, step.probs, ...parameters, ...parameters.flatMap((w) => (w.grad ? [w.grad] : [])));
        // Eq. 8's L2 term goes into the gradient, except with AdamW, whose decoupled decay replaces it
        // (applying both would regularise twice); the reported loss includes λ Σ ||w||² either way.
        const penalty = config.optimizer === 'adamw' ? l2PenaltyValue(params, config.l2) : applyL2Penalty(params, config.l2);
        if (config.clipNorm > 0) clipGradNorm(params, config.clipNorm);
        optimizer.step();
        const predicted = argmaxRows(step.probs.values, end - start, C);
        const labels = step.labels.values;
        for (let i = 0; i < end - start; i++) if (predicted[i] === labels[i]) hits++;
        loss = step.nll.item() + penalty;
      } finally {
        step.nll.dispose();
        step.probs.dispose();
        step.labels.dispose();
      }
      if (!Number.isFinite(loss)) {
        throw new NonFiniteLossError(
          `training stopped: the loss became ${loss} at epoch ${epoch}, batch ${b + 1}/${batches}. ` +
            `Try a lower learning rate (--lr, now ${config.lr}) or check the input features for extreme values.`,
        );
      }
      lossSum += loss * (end - start);
      correct += hits;
      seen += end - start;
      bar?.update(b + 1, seen, { loss: lossSum / seen, accuracy: correct / seen });
    }
    const seconds = (performance.now() - started) / 1000;
    const val = yield* evaluationSteps(model, data.validation, F, C, config.l2, EVALUATION_BATCH);
    const record: EpochRecord = {
      epoch,
      trainLoss: lossSum / seen,
      trainAccuracy: correct / seen,
      valLoss: val.loss,
      valAccuracy: val.accuracy,
      seconds,
      samplesPerSecond: seen / seconds,
    };
    state.history.push(record);
    state.epoch = epoch;
    const isBest = val.loss < state.bestValLoss;
    if (isBest) {
      state.bestValLoss = val.loss;
      state.epochsWithoutImprovement = 0;
      yield read(...parameters);
      state.bestWeights = snapshot(model);
    } else {
      state.epochsWithoutImprovement++;
    }
    const extra = `  | val loss ${val.loss.toFixed(4)}  val acc ${(100 * val.accuracy).toFixed(2)}%${isBest ? '  *' : ''}`;
    if (bar) bar.done(seen, { loss: record.trainLoss, accuracy: record.trainAccuracy }, extra);
    else log(`epoch ${epoch}/${config.epochs} loss ${record.trainLoss.toFixed(4)}  acc ${(100 * record.trainAccuracy).toFixed(2)}%  ${Math.round(record.samplesPerSecond)} samples/s  ${seconds.toFixed(1)}s${extra}`);
    const saving = waitFor(hooks.onEpochEnd?.(record, isBest, state), 'onEpochEnd');
    if (saving) yield saving;
    if (config.patience > 0 && state.epochsWithoutImprovement >= config.patience) {
      log(`early stopping: validation loss has not improved for ${config.patience} epochs`);
      break;
    }
  }
  if (state.bestWeights) {
    // Read before the overwrite: a host write goes through `values`, which on a device first downloads
    // (the same download the synchronous loop always made).
    yield read(...parameters);
    restore(model, state.bestWeights);
  }
  return state;
}

/**
 * Train `model` on `data.train`, validating on `data.validation` after every epoch; stop early when the
 * validation loss has not improved for `patience` epochs and restore the best weights.
 *
 * Determinism: the shuffle of epoch e and the dropout masks of epoch e come from streams derived from
 * (seed, e), so a run resumed at epoch e continues exactly as the uninterrupted run would have.
 * Reads device values synchronously: on gpu.js webgpu (`useBackendAsync`) use `trainAsync`.
 *
 * @example
 * const optimizer = createOptimizer(model, config);
 * const { history } = train(model, data, config, optimizer, { log: console.log });
 */
export function train(
  model: ProbabilisticClassifier,
  data: TabularData,
  config: TrainConfig,
  optimizer: Optimizer,
  hooks: TrainHooks = {},
  resume?: ResumeState,
): ResumeState {
  return runSync(trainingSteps(model, data, config, optimizer, hooks, resume), 'trainAsync');
}

/**
 * `train` for a device that reads back only asynchronously (gpu.js webgpu in a browser): the same loop,
 * each host read awaited, so on webgpu the queued steps run at each read. `hooks.onEpochEnd` may return
 * a Promise (it is awaited): checkpoint there with `await optimizer.stateAsync()`. On every backend it
 * gives exactly `train`'s history and weights.
 *
 * @example
 * await useBackendAsync('gpu');                              // webgpu where the page has it
 * const optimizer = createOptimizer(model, config);          // DeviceAdam: state stays on the device
 * const { history } = await trainAsync(model, data, { ...config, progress: false }, optimizer);
 */
export function trainAsync(
  model: ProbabilisticClassifier,
  data: TabularData,
  config: TrainConfig,
  optimizer: Optimizer,
  hooks: TrainHooks = {},
  resume?: ResumeState,
): Promise<ResumeState> {
  return runAsync(trainingSteps(model, data, config, optimizer, hooks, resume));
}
