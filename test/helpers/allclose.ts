// Numeric comparison helpers for tests: allclose on nested arrays / tensors with a readable failure message.

import { expect } from 'vitest';
import type { NestedArray, Tensor } from '../../src/tensor/tensor.ts';

function flatten(v: NestedArray | ArrayLike<number> | Tensor): number[] {
  if (typeof v === 'number') return [v];
  if (typeof (v as Tensor).toFlatArray === 'function') return (v as Tensor).toFlatArray();
  if (Array.isArray(v)) return (v as NestedArray[]).flatMap((x) => flatten(x));
  return Array.from(v as ArrayLike<number>);
}

/** Assert |actual - expected| <= atol + rtol * |expected| elementwise (and equal sizes). */
export function expectAllClose(actual: NestedArray | ArrayLike<number> | Tensor, expected: NestedArray | ArrayLike<number> | Tensor, rtol = 1e-6, atol = 1e-6): void {
  const a = flatten(actual);
  const e = flatten(expected);
  expect(a.length, 'number of elements').toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    const ok = Number.isNaN(e[i]) ? Number.isNaN(a[i]) : a[i] === e[i] || Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]);
    if (!ok) expect.fail(`element ${i}: got ${a[i]}, expected ${e[i]} (rtol ${rtol}, atol ${atol})`);
  }
}
