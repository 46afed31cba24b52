// A leaf's gradient buffer is owned by the leaf: accumulating into it frees the partial sum it replaces.

import { afterAll, describe, expect, it } from 'vitest';
import * as nm from '../../src/index.ts';
import { useBackend } from '../../src/kernels/gpu/index.ts';

describe('leaf gradient accumulation', () => {
  afterAll(() => void useBackend('cpu'));

  it('a leaf used twice gets both uses (2x + 1) and frees the replaced partial gradient (no device array leaks per step)', () => {
    // The gpu.js backend counts live device arrays exactly, so a leaked gradient buffer shows as growth per step.
    const { context } = useBackend('gpu', { modes: ['webasm'] });
    const rng = new nm.Rng('leaf-gradient');
    const x = nm.randn([3, 5], { rng }).keep();
    x.requiresGrad = true;
    const live: number[] = [];
    for (let step = 0; step < 4; step++) {
      x.grad?.dispose();
      x.grad = null;
      nm.tidy(() => {
        // y = Σ (x·x + x): x reaches the loss through two uses, so its gradient is accumulated twice: 2x + 1.
        nm.sum(nm.add(nm.mul(x, x), x)).backward();
      });
      const expected = x.toFlatArray().map((v) => 2 * v + 1);
      x.grad!.toFlatArray().forEach((g, i) => expect(g).toBeCloseTo(expected[i], 5));
      live.push(context!.stats.liveArrays);
    }
    expect(new Set(live.slice(1)).size, `live device arrays per step: ${live}`).toBe(1);
  });
});
