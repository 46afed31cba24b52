// DCL-MoE: Table I parameter counts, output contract, determinism, and a gradient check through the whole model.

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { createDclModel, DclMoe } from '../../src/models/dcl-moe.ts';
import { gradCheck } from '../../src/autograd/grad-check.ts';
import { nllFromProbs } from '../../src/tensor/ops/loss.ts';
import { Adam } from '../../src/optim/adam.ts';
import { Rng } from '../../src/tensor/random.ts';

const C = 5;
const base = { numFeatures: 40, numClasses: C, dropout: 0.3, seed: 7 } as const;

describe('DCL-MoE', () => {
  it('has exactly the parameters of Table I (m = 40)', () => {
    const dense = 40 * 128 + 128 + 128 * 64 + 64 + 64 * 32 + 32 + 32 * C + C;
    const cnn = 3 * 1 * 64 + 64 + 1216 * 64 + 64 + 64 * C + C;
    const lstm = 4 * 64 * (1 + 64) + 4 * 64 + 64 * 32 + 32 + 32 * C + C;
    const gate = 40 * 64 + 64 + 64 * 3 + 3;
    expect(createDclModel({ ...base, kind: 'dense' }).parameterCount()).toBe(dense);
    expect(createDclModel({ ...base, kind: 'cnn' }).parameterCount()).toBe(cnn);
    expect(createDclModel({ ...base, kind: 'lstm' }).parameterCount()).toBe(lstm);
    expect(createDclModel({ ...base, kind: 'dcl-moe' }).parameterCount()).toBe(dense + cnn + lstm + gate);
  });

  it('outputs a distribution per flow and gate weights that sum to 1', () => {
    const model = new DclMoe({ ...base, kind: 'dcl-moe' }).eval();
    const x = nm.randn([6, 40], { rng: new Rng(1) });
    const { probs, gates } = model.predict(x);
    expect(probs.shape).toEqual([6, C]);
    expect(gates!.shape).toEqual([6, 3]);
    nm.sum(probs, 1).toFlatArray().forEach((s) => expect(s).toBeCloseTo(1, 5));
    nm.sum(gates!, 1).toFlatArray().forEach((s) => expect(s).toBeCloseTo(1, 5));
  });

  it('the same seed gives bit-identical parameters; another seed does not', () => {
    const a = createDclModel({ ...base, kind: 'dcl-moe' }).parameters().map((p) => p.toFlatArray());
    const b = createDclModel({ ...base, kind: 'dcl-moe' }).parameters().map((p) => p.toFlatArray());
    const c = createDclModel({ ...base, kind: 'dcl-moe', seed: 8 }).parameters().map((p) => p.toFlatArray());
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('rejects an unknown model kind and too few features', () => {
    expect(() => createDclModel({ ...base, kind: 'gru' as never })).toThrow(/unknown model 'gru'/);
    expect(() => createDclModel({ ...base, kind: 'cnn', numFeatures: 2 })).toThrow(/at least 3 features/);
  });

  it('gradient check of the NLL through all three experts and the gate (float64, random directions)', () => {
    const model = new DclMoe({ ...base, numFeatures: 8, numClasses: 3, kind: 'dcl-moe', dtype: 'float64' }).eval();
    const x = nm.randn([3, 8], { rng: new Rng(2), dtype: 'float64' });
    const labels = nm.tensor([0, 2, 1], { dtype: 'int32' });
    const result = gradCheck(() => nllFromProbs(model.predict(x).probs, labels), model.parameters(), { mode: 'directions', directions: 6 });
    expect(result.failures).toEqual([]);
  });

  it('a few Adam steps lower the training loss', () => {
    const model = createDclModel({ ...base, numFeatures: 12, numClasses: 3, kind: 'dcl-moe', dropout: 0 });
    const rng = new Rng(3);
    const x = nm.randn([32, 12], { rng });
    const labels = nm.tensor(Array.from({ length: 32 }, (_, i) => i % 3), { dtype: 'int32' });
    // Make the classes learnable: shift feature c by the label.
    const xs = x.values;
    for (let i = 0; i < 32; i++) xs[i * 12 + (i % 3)] += 2;
    const opt = new Adam(model.namedParameters(), { lr: 3e-3 });
    const lossNow = () => nm.noGrad(() => nllFromProbs(model.predict(x).probs, labels).item());
    const initial = lossNow();
    for (let step = 0; step < 15; step++) {
      model.zeroGrad();
      nllFromProbs(model.predict(x).probs, labels).backward();
      opt.step();
    }
    expect(lossNow()).toBeLessThan(initial * 0.8);
  });
});
