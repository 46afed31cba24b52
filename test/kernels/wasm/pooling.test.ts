// maxPool1d and its backward kernel on the wasm backend: bit-identical to the reference kernels (ties, NaN, overlapping and gapped windows, channel tails, batch 1, strided views, staged operands).

import { describe, expect, it } from 'vitest';
// The public surface first: it loads the engine in dependency order (the op table, then the kernels).
import { Rng, permute, randn, type Tensor } from '../../../src/index.ts';
import { tensorFromData } from '../../../src/tensor/tensor.ts';
import { convKernels } from '../../../src/kernels/cpu/conv.ts';
import { wasmMaxPool1d, wasmMaxPool1dBackward } from '../../../src/kernels/wasm/pooling.ts';
import { wasmSimdSupported } from '../../../src/kernels/wasm/runtime.ts';

const bits = (t: Tensor): number[] => Array.from(new Int32Array(new Float32Array(t.values as Float32Array).buffer));

/** Both kernels, forward and backward, on the same input; every output compared bit for bit. */
function check(x: Tensor, poolSize: number, stride: number, rng: Rng): void {
  const label = `x=[${x.shape}] pool ${poolSize} stride ${stride}`;
  const ref = convKernels.maxPool1d([x], { poolSize, stride });
  const got = wasmMaxPool1d([x], { poolSize, stride });
  expect(bits(got.outputs[0]), label).toEqual(bits(ref.outputs[0]));
  expect(Array.from(got.saved![0].values), label).toEqual(Array.from(ref.saved![0].values));
  const dy = randn(ref.outputs[0].shape, { rng });
  const attrs = { inLength: x.shape[1], poolSize, stride };
  const dxRef = convKernels.maxPool1dBackward([dy, ref.saved![0]], attrs).outputs[0];
  const dx = wasmMaxPool1dBackward([dy, got.saved![0]], attrs).outputs[0];
  expect(bits(dx), label).toEqual(bits(dxRef));
}

describe.skipIf(!wasmSimdSupported())('wasm maxPool1d', () => {
  it('matches the reference bit for bit (random data; channel tails; batch 1; overlapping, exact and gapped windows)', () => {
    const rng = new Rng('wasm-pool');
    for (const [B, L, C] of [[64, 38, 64], [1, 5, 1], [3, 9, 7], [2, 10, 13], [1, 4, 4]]) {
      for (const [poolSize, stride] of [[2, 2], [3, 1], [2, 3], [1, 1]]) {
        if (poolSize > L) continue;
        check(randn([B, L, C], { rng }), poolSize, stride, rng);
      }
    }
  });

  it('keeps the first maximum at ties and never picks NaN (as the strict > of the reference)', () => {
    // x: [1, 4, 5]; channels: all equal, rising, NaN first, NaN later, -0 vs 0
    const values = [
      1, 1, NaN, 2, -0,
      1, 2, 5, NaN, 0,
      1, 3, 4, 1, 0,
      1, 3, NaN, 3, -0,
    ];
    const x = tensorFromData(new Float32Array(values), [1, 4, 5], 'float32');
    check(x, 2, 1, new Rng(1));
    check(x, 4, 4, new Rng(2));
    const { outputs: [y], saved } = wasmMaxPool1d([x], { poolSize: 4, stride: 4 });
    // Channel 1: 1, 2, 3, 3 (the first 3 wins); channel 2 starts at NaN: nothing is > NaN, so it stays (index 0);
    // channel 3: 2, NaN (never >), 1, 3; channel 4: -0 then 0s (0 > -0 is false, so -0 stays).
    expect(Array.from(saved![0].values)).toEqual([0, 2, 0, 3, 0]);
    expect(Array.from(y.values)).toEqual([1, 3, NaN, 3, -0]);
  });

  it('reads strided views (a permuted input) and staged operands (arrays outside the wasm memory)', () => {
    const rng = new Rng('wasm-pool-strided');
    check(permute(randn([3, 6, 10], { rng }), [0, 2, 1]), 2, 2, rng); // [3, 10, 6], not contiguous
    check(tensorFromData(Float32Array.from({ length: 2 * 7 * 5 }, () => rng.normal()), [2, 7, 5], 'float32'), 3, 2, rng);
  });
});
