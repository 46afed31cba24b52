// The package is importable by its name (the "exports" map points at the TypeScript sources).

import { describe, expect, it } from 'vitest';
import { Rng, Tensor, randn, tensor } from 'netmoe';

describe("import from 'netmoe'", () => {
  it('exposes tensor, randn and Tensor', () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(x).toBeInstanceOf(Tensor);
    expect(randn([2, 3], { rng: new Rng(1) }).shape).toEqual([2, 3]);
    expect(x.sum().item()).toBe(10);
  });
});
