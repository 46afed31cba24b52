// gradCheck itself: it must fail on a wrong gradient, or every other gradient check proves nothing.

import { describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { gradCheck } from '../../src/autograd/grad-check.ts';
import { normal64, distinct64 } from '../helpers/grad-case.ts';

describe('gradCheck', () => {
  it('passes a correct gradient with a tiny error', () => {
    const result = gradCheck((x) => nm.tanh(nm.mul(x, x)), [normal64([3, 4], 1)]);
    expect(result.ok).toBe(true);
    expect(result.maxRelError).toBeLessThan(1e-6);
  });

  it('fails when the analytic gradient is wrong (x * detach(x) hides half of d(x^2)/dx)', () => {
    const result = gradCheck((x) => nm.mul(x, x.detach()), [normal64([5], 2)]);
    expect(result.ok).toBe(false);
    expect(result.failures[0]).toMatch(/analytic .* vs numeric/);
  });

  it('fails in random-directions mode too', () => {
    const result = gradCheck((x) => nm.mul(x, x.detach()), [normal64([40], 3)], { mode: 'directions', directions: 4 });
    expect(result.ok).toBe(false);
  });

  it('reports an input sampled within eps of a routing tie instead of a bogus mismatch', () => {
    const x = distinct64([1, 4], 4);
    x.values.set([0.3, 0.3 + 1e-7, -1, -2]); // the top-1 choice flips between x - eps and x + eps
    expect(() =>
      gradCheck((t) => nm.topkSoftmax(t, 1).weights, [x], { discreteState: (t) => nm.topk(t, 1).indices.toFlatArray().join() }),
    ).toThrow(/discrete decision changed/);
  });
});
