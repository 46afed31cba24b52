// Optimisers: one step against hand-computed values, state round trips, and loss decrease on a quadratic.

import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/tensor/creation.ts';
import { sub, square } from '../../src/tensor/ops/elementwise.ts';
import { sum } from '../../src/tensor/ops/reduce.ts';
import { Adam, AdamW, Sgd, applyL2Penalty, clipGradNorm, constantSchedule, warmupCosineSchedule, l2PenaltyValue } from '../../src/optim/index.ts';
import type { NamedParameter } from '../../src/layers/module.ts';
import { expectAllClose } from '../helpers/allclose.ts';

function param(values: number[], grad: number[], decay = true): NamedParameter {
  const t = tensor(values, { dtype: 'float64' }).requireGrad();
  t.grad = tensor(grad, { dtype: 'float64' });
  return { name: 'w', tensor: t, decay };
}

describe('Sgd', () => {
  it('plain step: w -= lr * g', () => {
    const p = param([1, 2], [0.5, -1]);
    new Sgd([p], { lr: 0.1 }).step();
    expectAllClose(p.tensor, [0.95, 2.1], 1e-12);
  });
  it('momentum accumulates velocity: v2 = 0.9 * g + g', () => {
    const p = param([0], [1]);
    const opt = new Sgd([p], { lr: 1, momentum: 0.9 });
    opt.step(); // v = 1, w = -1
    opt.step(); // v = 1.9, w = -2.9
    expectAllClose(p.tensor, [-2.9], 1e-12);
  });
});

describe('Adam', () => {
  it('first step moves each weight by lr * sign(g) (bias correction makes m_hat / sqrt(v_hat) = sign g)', () => {
    const p = param([1, 1, 1], [0.3, -2, 1e-3]);
    new Adam([p], { lr: 0.01, eps: 1e-12 }).step();
    expectAllClose(p.tensor, [0.99, 1.01, 0.99], 1e-9);
  });
  it('second step matches the textbook formulas', () => {
    const p = param([0.5], [0.2]);
    const opt = new Adam([p], { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    opt.step();
    p.tensor.grad = tensor([-0.4], { dtype: 'float64' });
    opt.step();
    // Hand computation of both steps (PyTorch's formulation).
    let w = 0.5;
    let m = 0;
    let v = 0;
    [0.2, -0.4].forEach((g, i) => {
      const t = i + 1;
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      w -= (0.1 * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
    });
    expectAllClose(p.tensor, [w], 1e-12);
  });
  it('state() / loadState() round-trips and continues identically', () => {
    const a = param([1, -1], [0.1, 0.2]);
    const b = param([1, -1], [0.1, 0.2]);
    const optA = new Adam([a], { lr: 0.05 });
    optA.step();
    const optB = new Adam([b], { lr: 0.05 });
    b.tensor.values.set(a.tensor.values);
    optB.loadState(optA.state());
    optA.step();
    optB.step();
    expect(b.tensor.toFlatArray()).toEqual(a.tensor.toFlatArray());
  });
  it('rejects state from another optimiser kind', () => {
    const p = param([1], [1]);
    expect(() => new Sgd([p], { lr: 0.1 }).loadState(new Adam([p], { lr: 0.1 }).state())).toThrow(/adam state/);
  });
});

describe('AdamW', () => {
  it('decays weights (not biases) by lr * weightDecay before the Adam step', () => {
    const w = param([2], [0]);
    const bias = param([2], [0], false);
    new AdamW([w, bias], { lr: 0.1, weightDecay: 0.5 }).step();
    expectAllClose(w.tensor, [2 * (1 - 0.05)], 1e-12);
    expectAllClose(bias.tensor, [2], 1e-12);
  });
});

describe('regularisation', () => {
  it('applyL2Penalty adds 2 * lambda * w to weight gradients only and returns lambda * sum w^2', () => {
    const w = param([1, -2], [0, 0]);
    const b = param([3], [0], false);
    const penalty = applyL2Penalty([w, b], 0.1);
    expect(penalty).toBeCloseTo(0.1 * 5, 12);
    expectAllClose(w.tensor.grad!, [0.2, -0.4], 1e-12);
    expectAllClose(b.tensor.grad!, [0], 1e-12);
    expect(l2PenaltyValue([w, b], 0.1)).toBeCloseTo(0.5, 12);
  });
  it('clipGradNorm scales to the max norm and returns the original norm', () => {
    const p = param([0, 0], [3, 4]);
    expect(clipGradNorm([p], 1)).toBeCloseTo(5, 12);
    expectAllClose(p.tensor.grad!, [0.6, 0.8], 1e-12);
    expect(clipGradNorm([p], 10)).toBeCloseTo(1, 12);
    expectAllClose(p.tensor.grad!, [0.6, 0.8], 1e-12);
  });
});

describe('schedules', () => {
  it('constant and warm-up + cosine', () => {
    expect(constantSchedule(0.1)(1000)).toBe(0.1);
    const s = warmupCosineSchedule({ lr: 1, warmupSteps: 4, totalSteps: 14, minLr: 0 });
    expect(s(0)).toBeCloseTo(0.25);
    expect(s(3)).toBeCloseTo(1);
    expect(s(9)).toBeCloseTo(0.5); // halfway through the cosine
    expect(s(14)).toBeCloseTo(0);
  });
});

describe('optimisers lower a loss', () => {
  for (const make of [
    (ps: NamedParameter[]) => new Sgd(ps, { lr: 0.1, momentum: 0.5 }),
    (ps: NamedParameter[]) => new Adam(ps, { lr: 0.1 }),
    (ps: NamedParameter[]) => new AdamW(ps, { lr: 0.1, weightDecay: 0.01 }),
  ]) {
    it(`${make([]).kind}: 50 steps on sum((w - t)^2)`, () => {
      const w = tensor([3, -2, 0.5]).requireGrad();
      const target = tensor([1, 1, 1]);
      const p: NamedParameter = { name: 'w', tensor: w, decay: true };
      const opt = make([p]);
      const lossOf = () => sum(square(sub(w, target)));
      const initial = lossOf().item();
      for (let i = 0; i < 50; i++) {
        w.grad = null;
        lossOf().backward();
        opt.step();
      }
      expect(lossOf().item()).toBeLessThan(initial * 0.05);
    });
  }
});
