// Finite-difference gradient checking in float64: the test every differentiable op and layer must pass.

import type { Tensor } from '../tensor/tensor.ts';
import { tensorFromData } from '../tensor/tensor.ts';
import { formatShape } from '../tensor/shape.ts';
import { Rng } from '../tensor/random.ts';
import { noGrad } from './grad-mode.ts';
import { backward } from './backward.ts';
import { add, mul } from '../tensor/ops/elementwise.ts';
import { sum } from '../tensor/ops/reduce.ts';

export interface GradCheckOptions {
  /** Central-difference step (PyTorch gradcheck's default). */
  eps?: number;
  /** Pass when |analytic - numeric| <= atol + rtol * |numeric|. Defaults are PyTorch's, the loosest acceptable. */
  atol?: number;
  rtol?: number;
  /** Seed of the random upstream gradient (never all-ones: it would hide a broken softmax rule). */
  seed?: number;
  /** 'full' perturbs every element; 'directions' checks `directions` random directional derivatives (big inputs). */
  mode?: 'full' | 'directions';
  directions?: number;
  /**
   * A discrete decision that must not change between x + eps and x - eps (e.g. top-k routing, argmax):
   * if it does, the input sits too close to a tie and the check reports it instead of a bogus mismatch.
   */
  discreteState?: (...inputs: Tensor[]) => string;
}

export interface GradCheckResult {
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  /** Number of derivatives compared. */
  checked: number;
  /** Human-readable lines for the worst mismatches (empty when ok). */
  failures: string[];
}

type Fn = (...inputs: Tensor[]) => Tensor | Tensor[];

/**
 * Compare the analytic gradient of `f` at `inputs` with central differences, under a random upstream
 * gradient g: the scalar checked is L = sum_i <f(inputs)_i, g_i>. Every input with `requiresGrad` is
 * checked; the others (indices, masks) are held fixed. Float inputs must be float64 and contiguous.
 *
 * @example
 * const x = randn([3, 4], { rng: new Rng(1), dtype: 'float64', requiresGrad: true });
 * expect(gradCheck((x) => x.tanh(), [x]).ok).toBe(true);
 */
export function gradCheck(f: Fn, inputs: Tensor[], options: GradCheckOptions = {}): GradCheckResult {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, seed = 1234, mode = 'full', directions = 8 } = options;
  const checkedInputs = inputs.filter((x) => x.requiresGrad);
  if (checkedInputs.length === 0) throw new Error('gradCheck: no input has requiresGrad');
  for (const x of checkedInputs) {
    if (x.dtype !== 'float64') throw new Error(`gradCheck: input ${formatShape(x.shape)} is ${x.dtype}; gradient checks run in float64`);
    if (!x.isContiguous) throw new Error(`gradCheck: input ${formatShape(x.shape)} must be contiguous`);
  }
  const rng = new Rng(seed);
  const asList = (y: Tensor | Tensor[]): Tensor[] => (Array.isArray(y) ? y : [y]);

  // Analytic gradients: forward, then backward of sum_i <y_i, g_i>.
  let upstream: Tensor[] = [];
  const analyticGradients = (): Float64Array[] => {
    for (const x of checkedInputs) x.grad = null;
    const outputs = asList(f(...inputs));
    if (upstream.length === 0) {
      upstream = outputs.map((y) => {
        const g = new Float64Array(y.size);
        for (let i = 0; i < g.length; i++) g[i] = rng.normal();
        return tensorFromData(g, y.shape, 'float64');
      });
    }
    const differentiable = outputs.map((y) => y.requiresGrad);
    if (!differentiable.some(Boolean)) throw new Error('gradCheck: no output depends on a checked input');
    if (outputs.length === 1) backward(outputs[0], upstream[0]);
    else {
      let total: Tensor | null = null;
      outputs.forEach((y, i) => {
        if (!differentiable[i]) return;
        const term = sum(mul(y, upstream[i]));
        total = total ? add(total, term) : term;
      });
      backward(total!);
    }
    return checkedInputs.map((x) => (x.grad ? Float64Array.from(x.grad.contiguous().values) : new Float64Array(x.size)));
  };
  const analytic = analyticGradients();
  // A second forward + backward must give bit-identical gradients (as PyTorch's gradcheck checks): a rule
  // that reads stale pooled memory or mutates saved tensors shows up here.
  const again = analyticGradients();
  const nondeterministic = analytic.findIndex((g, k) => g.some((v, j) => !Object.is(v, again[k][j])));

  // L(inputs) = sum_i <f(inputs)_i, g_i>, without recording a graph.
  const loss = (): number =>
    noGrad(() => {
      let total = 0;
      asList(f(...inputs)).forEach((y, i) => {
        const ys = y.contiguous().values;
        const g = upstream[i].values;
        for (let k = 0; k < ys.length; k++) total += ys[k] * g[k];
      });
      return total;
    });
  const state = options.discreteState;
  const baseState = state ? noGrad(() => state(...inputs)) : '';
  const checkState = (where: string): void => {
    if (state && noGrad(() => state(...inputs)) !== baseState) {
      throw new Error(`gradCheck: the discrete decision changed at ${where}: the input is within eps of a tie; sample it further away`);
    }
  };

  const result: GradCheckResult = { ok: true, maxAbsError: 0, maxRelError: 0, checked: 0, failures: [] };
  if (nondeterministic >= 0) {
    result.ok = false;
    result.failures.push(`input ${nondeterministic}: a second backward gave different gradients`);
  }
  const compare = (label: string, a: number, n: number): void => {
    const absError = Math.abs(a - n);
    const relError = absError / Math.max(Math.abs(n), 1e-12);
    result.checked++;
    result.maxAbsError = Math.max(result.maxAbsError, absError);
    if (Math.abs(n) > 1e-8) result.maxRelError = Math.max(result.maxRelError, relError);
    if (!(absError <= atol + rtol * Math.abs(n))) {
      result.ok = false;
      if (result.failures.length < 10) result.failures.push(`${label}: analytic ${a} vs numeric ${n} (abs error ${absError.toExponential(2)})`);
    }
  };

  if (mode === 'full') {
    checkedInputs.forEach((x, k) => {
      const data = x.storage.data;
      for (let j = 0; j < x.size; j++) {
        const p = x.offset + j;
        const original = data[p];
        data[p] = original + eps;
        checkState(`input ${k} element ${j} + eps`);
        const plus = loss();
        data[p] = original - eps;
        checkState(`input ${k} element ${j} - eps`);
        const minus = loss();
        data[p] = original;
        compare(`input ${k} ${formatShape(x.shape)} element ${j}`, analytic[k][j], (plus - minus) / (2 * eps));
      }
    });
  } else {
    for (let d = 0; d < directions; d++) {
      const dirs = checkedInputs.map((x) => Float64Array.from({ length: x.size }, () => rng.normal()));
      const shift = (scale: number): void =>
        checkedInputs.forEach((x, k) => {
          const data = x.storage.data;
          for (let j = 0; j < x.size; j++) data[x.offset + j] += scale * dirs[k][j];
        });
      const originals = checkedInputs.map((x) => Float64Array.from(x.values));
      const restore = (): void => checkedInputs.forEach((x, k) => x.storage.data.set(originals[k], x.offset));
      shift(eps);
      checkState(`direction ${d} + eps`);
      const plus = loss();
      restore();
      shift(-eps);
      checkState(`direction ${d} - eps`);
      const minus = loss();
      restore();
      let predicted = 0;
      checkedInputs.forEach((_, k) => {
        for (let j = 0; j < dirs[k].length; j++) predicted += analytic[k][j] * dirs[k][j];
      });
      compare(`direction ${d}`, predicted, (plus - minus) / (2 * eps));
    }
  }
  for (const x of checkedInputs) x.grad = null;
  return result;
}
