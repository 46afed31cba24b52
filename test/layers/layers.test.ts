// Layers: output shapes, Keras-like initialisation, gradient checks through each layer (float64), dropout modes.

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { Conv1D, Dense, Dropout, Flatten, Lstm, MaxPool1D, Module, Sequential } from '../../src/layers/index.ts';
import { SoftmaxGate, mixExperts } from '../../src/layers/moe/softmax-gate.ts';
import { gradCheck } from '../../src/autograd/grad-check.ts';
import { Rng } from '../../src/tensor/random.ts';
import { normal64 } from '../helpers/grad-case.ts';

const rng = (seed = 1): Rng => new Rng(seed);

/** Gradient-check a layer with respect to its input and every parameter. */
function checkLayer(layer: Module, x: nm.Tensor, mode: 'full' | 'directions' = 'full') {
  const result = gradCheck((input) => layer.call(input), [x, ...layer.parameters()], { mode, directions: 12 });
  expect(result.failures).toEqual([]);
  expect(result.ok).toBe(true);
}

describe('Dense', () => {
  it('shape, Glorot-uniform kernel range, zero bias, named parameters', () => {
    const layer = new Dense(40, 128, { activation: 'relu', rng: rng() });
    expect(layer.call(nm.zeros([5, 40])).shape).toEqual([5, 128]);
    const limit = Math.sqrt(6 / (40 + 128));
    const w = layer.kernel.toFlatArray();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.9 * limit);
    expect(layer.bias!.toFlatArray().every((v) => v === 0)).toBe(true);
    expect(layer.namedParameters().map((p) => [p.name, p.decay])).toEqual([['kernel', true], ['bias', false]]);
  });
  for (const activation of ['none', 'tanh', 'sigmoid', 'softmax'] as const) {
    it(`gradient check, activation ${activation}`, () => {
      const layer = new Dense(5, 3, { activation, rng: rng(2), dtype: 'float64' });
      checkLayer(layer, normal64([4, 5], 3));
    });
  }
  it('gradient check, relu (bias shifted away from the kink)', () => {
    const layer = new Dense(5, 3, { activation: 'relu', rng: rng(2), dtype: 'float64' });
    layer.bias!.values.set([0.3, -0.2, 0.5]);
    checkLayer(layer, normal64([1, 5], 4));
  });
});

describe('Conv1D, MaxPool1D, Flatten', () => {
  it('Table I shapes: [B, 40, 1] -> conv [B, 38, 64] -> pool [B, 19, 64] -> flatten [B, 1216]', () => {
    const body = new Sequential([new Conv1D(1, 64, 3, { activation: 'relu', rng: rng() }), new MaxPool1D(2), new Flatten()]);
    expect(body.call(nm.zeros([3, 40, 1])).shape).toEqual([3, 1216]);
  });
  it('gradient check through conv + pool + flatten (random directions)', () => {
    const body = new Sequential([new Conv1D(2, 3, 3, { rng: rng(5), dtype: 'float64' }), new MaxPool1D(2), new Flatten()]);
    checkLayer(body, normal64([2, 9, 2], 6), 'directions');
  });
});

describe('Lstm', () => {
  it('Keras initialisation: orthogonal recurrent kernel rows, forget-gate bias 1', () => {
    const layer = new Lstm(1, 4, { rng: rng() });
    expect(layer.bias.toFlatArray()).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const u = layer.recurrentKernel.toArray() as number[][];
    const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
    expect(dot(u[0], u[0])).toBeCloseTo(1, 5);
    expect(dot(u[0], u[1])).toBeCloseTo(0, 5);
  });
  it('last state vs sequence outputs, and a gradient check', () => {
    const seq = new Lstm(2, 3, { returnSequences: true, rng: rng(7), dtype: 'float64' });
    const last = new Lstm(2, 3, { rng: rng(7), dtype: 'float64' });
    const x = normal64([2, 5, 2], 8);
    const ys = seq.call(x);
    expect(ys.shape).toEqual([2, 5, 3]);
    expect(last.call(x).toFlatArray()).toEqual(nm.slice(ys, [0, 4, 0], [2, 5, 3]).reshape([2, 3]).toFlatArray());
    checkLayer(last, normal64([2, 5, 2], 9));
  });
});

describe('Dropout', () => {
  it('identity in eval mode; inverted scaling in training; seeded', () => {
    const x = nm.ones([1000]);
    const a = new Dropout(0.3, rng(1));
    const b = new Dropout(0.3, rng(1));
    const ya = a.call(x).toFlatArray();
    expect(b.call(x).toFlatArray()).toEqual(ya);
    expect(new Set(ya.map((v) => v.toFixed(5)))).toEqual(new Set(['0.00000', (1 / 0.7).toFixed(5)]));
    const kept = ya.filter((v) => v > 0).length;
    expect(kept).toBeGreaterThan(600);
    expect(kept).toBeLessThan(800);
    a.eval();
    expect(a.call(x)).toBe(x);
  });
  it('gradient check with a fixed mask', () => {
    const layer = new Dropout(0.4, rng(3));
    const x = normal64([3, 4], 10);
    const result = gradCheck((input) => {
      layer.rng = new Rng(11); // the same mask at every evaluation
      return layer.call(input);
    }, [x]);
    expect(result.ok).toBe(true);
  });
});

describe('SoftmaxGate and mixExperts', () => {
  it('gates sum to 1; the mixture of distributions is a distribution', () => {
    const gate = new SoftmaxGate(6, 8, 3, { rng: rng() });
    const x = nm.randn([4, 6], { rng: rng(2) });
    const g = gate.call(x);
    const rowSums = nm.sum(g, 1).toFlatArray();
    rowSums.forEach((s) => expect(s).toBeCloseTo(1, 6));
    const experts = [0, 1, 2].map((e) => nm.softmax(nm.randn([4, 5], { rng: rng(10 + e) }), -1));
    nm.sum(mixExperts(experts, g), 1).toFlatArray().forEach((s) => expect(s).toBeCloseTo(1, 6));
  });
  it('gradient check of the gate and the mixture together', () => {
    const gate = new SoftmaxGate(4, 5, 3, { rng: rng(4), dtype: 'float64' });
    gate.hidden.bias!.values.fill(0.2); // keep the ReLU units away from 0
    const e0 = normal64([2, 3], 1);
    const e1 = normal64([2, 3], 2);
    const e2 = normal64([2, 3], 3);
    const x = normal64([2, 4], 4);
    const result = gradCheck((input, a, b, c) => mixExperts([a, b, c], gate.call(input)), [x, e0, e1, e2, ...gate.parameters()]);
    expect(result.failures).toEqual([]);
  });
});

describe('Module', () => {
  it('summary lists layers with output shapes and parameter counts', () => {
    const model = new Sequential([new Dense(40, 128, { activation: 'relu', rng: rng() }), new Dense(128, 3, { activation: 'softmax', rng: rng() })]);
    const text = model.summary(nm.zeros([2, 40]));
    expect(text).toMatch(/0 \(Dense\)\s+\(None, 128\)\s+5248/);
    expect(text).toMatch(/1 \(Dense\)\s+\(None, 3\)\s+387/);
    expect(text).toContain('Total params: 5,635');
    expect(model.parameterCount()).toBe(5635);
  });
  it('train() / eval() reach every child', () => {
    const drop = new Dropout(0.5, rng());
    const model = new Sequential([new Dense(2, 2, { rng: rng() }), drop]);
    model.eval();
    expect(drop.isTraining).toBe(false);
    model.train();
    expect(drop.isTraining).toBe(true);
  });
});
