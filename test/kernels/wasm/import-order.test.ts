// Importing the wasm kernels before anything else must leave the engine whole (they sit next to an import cycle in src/kernels/cpu).

// NOTE: this import must stay first: it is what the test is about.
import { enableWasmKernels, disableWasmKernels } from '../../../src/kernels/wasm/index.ts';
import { describe, expect, it } from 'vitest';
import { Rng, conv1d, matmul, randn } from '../../../src/index.ts';

describe('src/kernels/wasm imported first', () => {
  it('leaves every reference kernel registered (conv1d in float64 runs on the reference backend)', () => {
    enableWasmKernels();
    try {
      const rng = new Rng(1);
      const y = conv1d(randn([2, 9, 3], { rng, dtype: 'float64' }), randn([3, 3, 4], { rng, dtype: 'float64' }));
      expect(y.shape).toEqual([2, 7, 4]);
      expect(matmul(randn([16, 16], { rng }), randn([16, 16], { rng })).shape).toEqual([16, 16]);
    } finally {
      disableWasmKernels();
    }
  });
});
