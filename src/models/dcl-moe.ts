// DCL-MoE (Jisi et al.): Dense, CNN and LSTM experts over the full input, a softmax gate, and a mixture of their softmaxes.

import type { Tensor } from '../tensor/tensor.ts';
import { Rng } from '../tensor/random.ts';
import type { DType } from '../tensor/dtype.ts';
import { reshape } from '../tensor/ops/movement.ts';
import { relu } from '../tensor/ops/elementwise.ts';
import { Module } from '../layers/module.ts';
import { Dense } from '../layers/dense.ts';
import { Conv1D } from '../layers/conv1d.ts';
import { Flatten, MaxPool1D } from '../layers/pooling.ts';
import { Dropout } from '../layers/dropout.ts';
import { Lstm } from '../layers/lstm.ts';
import { Sequential } from '../layers/sequential.ts';
import { SoftmaxGate, mixExperts } from '../layers/moe/softmax-gate.ts';

export type ExpertKind = 'dense' | 'cnn' | 'lstm';
export type DclModelKind = ExpertKind | 'dcl-moe';
export const DCL_MODEL_KINDS: readonly DclModelKind[] = ['dcl-moe', 'dense', 'cnn', 'lstm'];

export interface DclMoeConfig {
  kind: DclModelKind;
  /** m, the features per flow (the paper uses 40). */
  numFeatures: number;
  numClasses: number;
  /** Dropout rate of Table I. */
  dropout: number;
  seed: number;
  /** Parameter dtype (default float32; float64 for gradient checks). */
  dtype?: DType;
}

/** What every DCL model returns: class probabilities, and the gate weights when there is a gate. */
export interface ClassifierOutput {
  probs: Tensor;
  gates: Tensor | null;
}

/** A model whose forward gives class probabilities [B, C] (softmax or mixture of softmaxes). */
export abstract class ProbabilisticClassifier extends Module {
  abstract readonly expertNames: readonly string[];
  abstract predict(x: Tensor): ClassifierOutput;
  forward(x: Tensor): Tensor {
    return this.predict(x).probs;
  }
}

/** Table I, Dense expert: 128 ReLU, Dropout, 64 ReLU, Dropout, 32 ReLU, C softmax. x: [B, m] -> [B, C]. */
export function denseExpert(m: number, C: number, rate: number, rng: Rng, dtype?: DType): Sequential {
  return new Sequential([
    new Dense(m, 128, { activation: 'relu', rng, dtype }),
    new Dropout(rate, rng.fork('dense-dropout-1')),
    new Dense(128, 64, { activation: 'relu', rng, dtype }),
    new Dropout(rate, rng.fork('dense-dropout-2')),
    new Dense(64, 32, { activation: 'relu', rng, dtype }),
    new Dense(32, C, { activation: 'softmax', rng, dtype }),
  ]);
}

/** Table I, CNN expert over the m features as m steps x 1 channel. x: [B, m] -> [B, C]. */
export class CnnExpert extends Module {
  private readonly body: Sequential;
  constructor(m: number, C: number, rate: number, rng: Rng, dtype?: DType) {
    super();
    const convLength = m - 2; // Conv1D kernel 3, stride 1, valid: (38, 64) for m = 40
    const pooledLength = Math.floor(convLength / 2); // MaxPool 2: (19, 64)
    this.body = this.addModule(
      'body',
      new Sequential([
        new Conv1D(1, 64, 3, { activation: 'relu', rng, dtype }),
        new MaxPool1D(2),
        new Dropout(rate, rng.fork('cnn-dropout')),
        new Flatten(), // 19 x 64 = 1216
        new Dense(pooledLength * 64, 64, { activation: 'relu', rng, dtype }),
        new Dense(64, C, { activation: 'softmax', rng, dtype }),
      ]),
    );
  }
  forward(x: Tensor): Tensor {
    // x: [B, m] -> [B, m, 1] -> probs: [B, C]
    return this.body.call(reshape(x, [x.shape[0], x.shape[1], 1]));
  }
}

/** Table I, LSTM expert: LSTM 64 over the m steps (last state), ReLU, Dropout, 32 ReLU, C softmax. */
export class LstmExpert extends Module {
  private readonly lstm: Lstm;
  private readonly head: Sequential;
  constructor(C: number, rate: number, rng: Rng, dtype?: DType) {
    super();
    this.lstm = this.addModule('lstm', new Lstm(1, 64, { rng, dtype }));
    this.head = this.addModule(
      'head',
      new Sequential([new Dropout(rate, rng.fork('lstm-dropout')), new Dense(64, 32, { activation: 'relu', rng, dtype }), new Dense(32, C, { activation: 'softmax', rng, dtype })]),
    );
  }
  forward(x: Tensor): Tensor {
    // x: [B, m] -> [B, m, 1] -> h_T: [B, 64] -> probs: [B, C]
    const h = this.lstm.call(reshape(x, [x.shape[0], x.shape[1], 1]));
    return this.head.call(relu(h));
  }
}

function makeExpert(kind: ExpertKind, m: number, C: number, rate: number, rng: Rng, dtype?: DType): Module {
  switch (kind) {
    case 'dense':
      return denseExpert(m, C, rate, rng, dtype);
    case 'cnn':
      return new CnnExpert(m, C, rate, rng, dtype);
    case 'lstm':
      return new LstmExpert(C, rate, rng, dtype); // the LSTM runs over however many steps x has
    default:
      return kind satisfies never;
  }
}

/**
 * The full model: y = g1·α_dense + g2·α_cnn + g3·α_lstm with g = SoftmaxGate(x) (Eqs. 1-9, Table I).
 *
 * @example
 * const model = new DclMoe({ kind: 'dcl-moe', numFeatures: 40, numClasses: 14, dropout: 0.3, seed: 1 });
 * const { probs, gates } = model.predict(x);    // x: [B, 40] -> probs: [B, 14], gates: [B, 3]
 */
export class DclMoe extends ProbabilisticClassifier {
  readonly expertNames: readonly ExpertKind[] = ['dense', 'cnn', 'lstm'];
  private readonly experts: Module[];
  private readonly gate: SoftmaxGate;

  constructor(readonly config: DclMoeConfig) {
    super();
    const rng = new Rng(`${config.seed}/init`);
    const { numFeatures: m, numClasses: C, dropout: rate } = config;
    this.experts = this.expertNames.map((kind) => this.addModule(kind, makeExpert(kind, m, C, rate, rng.fork(kind), config.dtype)));
    this.gate = this.addModule('gate', new SoftmaxGate(m, 64, this.expertNames.length, { rng: rng.fork('gate'), dtype: config.dtype }));
  }

  predict(x: Tensor): ClassifierOutput {
    // x: [B, m] -> each expert: [B, C]; gates: [B, 3]; probs: [B, C]
    const gates = this.gate.call(x);
    const probs = mixExperts(this.experts.map((e) => e.call(x)), gates);
    return { probs, gates };
  }
}

/** One expert trained alone (the paper's baselines). */
export class SingleExpert extends ProbabilisticClassifier {
  readonly expertNames: readonly string[];
  private readonly expert: Module;

  constructor(readonly config: DclMoeConfig & { kind: ExpertKind }) {
    super();
    this.expertNames = [config.kind];
    const rng = new Rng(`${config.seed}/init`);
    this.expert = this.addModule(config.kind, makeExpert(config.kind, config.numFeatures, config.numClasses, config.dropout, rng.fork(config.kind), config.dtype));
  }

  predict(x: Tensor): ClassifierOutput {
    return { probs: this.expert.call(x), gates: null };
  }
}

/** Build the model `config.kind` names. */
export function createDclModel(config: DclMoeConfig): ProbabilisticClassifier {
  if (!DCL_MODEL_KINDS.includes(config.kind)) throw new Error(`unknown model '${config.kind}' (choose one of: ${DCL_MODEL_KINDS.join(', ')})`);
  if (!(config.numFeatures >= 3)) throw new Error(`DCL-MoE needs at least 3 features per flow (the CNN's kernel is 3), got ${config.numFeatures}`);
  return config.kind === 'dcl-moe' ? new DclMoe(config) : new SingleExpert({ ...config, kind: config.kind });
}
