// dropoutWithMask on the wasm backend: bit-identical to the reference kernel (0/1 masks, arbitrary masks, rates, tails, strided and staged operands).

import { describe, expect, it } from 'vitest';
// The public surface first: it loads the engine in dependency order (the op table, then the kernels).
import { Rng, permute, randn, type Tensor } from '../../../src/index.ts';
import { tensorFromData } from '../../../src/tensor/tensor.ts';
import { convKernels } from '../../../src/kernels/cpu/conv.ts';
import { wasmDropoutWithMask } from '../../../src/kernels/wasm/dropout.ts';
import { wasmSimdSupported } from '../../../src/kernels/wasm/runtime.ts';

const bits = (t: Tensor): number[] => Array.from(new Int32Array(new Float32Array(t.values as Float32Array).buffer));

function check(x: Tensor, mask: Tensor, rate: number): void {
  const want = convKernels.dropoutWithMask([x, mask], { rate }).outputs[0];
  const got = wasmDropoutWithMask([x, mask], { rate }).outputs[0];
  expect(got.shape).toEqual(x.shape);
  expect(bits(got), `x=[${x.shape}] rate ${rate}`).toEqual(bits(want));
}

describe.skipIf(!wasmSimdSupported())('wasm dropoutWithMask', () => {
  it('matches the reference bit for bit (0/1 and arbitrary masks; rates whose scale is inexact; vector tails)', () => {
    const rng = new Rng('wasm-dropout');
    for (const n of [1, 3, 4, 7, 64, 1216 * 3 + 1]) {
      const x = randn([n], { rng });
      const keep = tensorFromData(Float32Array.from({ length: n }, () => (rng.next() < 0.7 ? 1 : 0)), [n], 'float32');
      for (const rate of [0, 0.3, 0.1, 1 / 3]) {
        check(x, keep, rate);
        check(x, randn([n], { rng }), rate); // any mask: the f32·f32 product is exact in f64 on both paths
      }
    }
  });

  it('reads strided views and arrays outside the wasm memory; by hand: [2, 4, 6] · [1, 0, 1] / 0.5 = [4, 0, 12]', () => {
    const rng = new Rng('wasm-dropout-strided');
    check(permute(randn([3, 5], { rng }), [1, 0]), randn([5, 3], { rng }), 0.3);
    const x = tensorFromData(new Float32Array([2, 4, 6]), [3], 'float32');
    const mask = tensorFromData(new Float32Array([1, 0, 1]), [3], 'float32');
    expect(Array.from(wasmDropoutWithMask([x, mask], { rate: 0.5 }).outputs[0].values)).toEqual([4, 0, 12]);
  });
});
