// The 'wasm-simd' backend: float32 matmul / dense / conv1d through the op table agree with the reference backend, forward and backward; small or float64 calls stay on the reference.

import { afterEach, describe, expect, it } from 'vitest';
// The public surface first: it loads the engine in dependency order (the op table, then the kernels).
import { Rng, conv1d, dense, lstm, matmul, mul, permute, randn, sum, type DenseActivation, type Tensor } from '../../../src/index.ts';
import { pickKernel } from '../../../src/kernels/backend.ts';
import { disableWasmKernels, enableWasmKernels, wasmBackend, wasmKernelsEnabled, WASM_MIN_MACS } from '../../../src/kernels/wasm/backend.ts';
import { simulateNoWasmSimd, wasmSimdSupported } from '../../../src/kernels/wasm/runtime.ts';
import { expectAllClose } from '../../helpers/allclose.ts';

/** Run `fn` on the reference kernels and on the wasm backend; returns [reference, wasm] results. */
function both<T>(fn: () => T): [T, T] {
  disableWasmKernels();
  const reference = fn();
  enableWasmKernels();
  const wasm = fn();
  return [reference, wasm];
}

afterEach(() => disableWasmKernels());

describe.skipIf(!wasmSimdSupported())('wasm-simd backend', () => {
  it('registers in front of the reference and unregisters', () => {
    expect(enableWasmKernels()).toBe(true);
    expect(wasmKernelsEnabled()).toBe(true);
    disableWasmKernels();
    expect(wasmKernelsEnabled()).toBe(false);
  });

  it('accepts float32 products from WASM_MIN_MACS up; float64 and tiny ones go to the reference', () => {
    const rng = new Rng(1);
    matmul(randn([2, 2], { rng }), randn([2, 2], { rng })); // the first op registers the reference backend
    enableWasmKernels();
    const big = [randn([16, 16], { rng }), randn([16, 16], { rng })];
    const tiny = [randn([2, 3], { rng }), randn([3, 2], { rng })];
    const f64 = [randn([8, 8], { rng, dtype: 'float64' }), randn([8, 8], { rng, dtype: 'float64' })];
    const attrs = { transA: false, transB: false };
    expect(16 * 16 * 16).toBeGreaterThanOrEqual(WASM_MIN_MACS);
    expect(pickKernel('matmul', big, attrs)).toBe(wasmBackend.kernels.matmul);
    expect(pickKernel('matmul', tiny, attrs)).not.toBe(wasmBackend.kernels.matmul);
    expect(pickKernel('matmul', f64, attrs)).not.toBe(wasmBackend.kernels.matmul);
    const x = randn([64, 40, 3], { rng }), w = randn([5, 3, 16], { rng });
    expect(pickKernel('dense', [randn([64, 40], { rng }), randn([40, 128], { rng })], { activation: 'relu' })).toBe(wasmBackend.kernels.dense);
    expect(pickKernel('conv1d', [x, w], { stride: 1, padLeft: 2, outLength: 40, activation: 'none' })).toBe(wasmBackend.kernels.conv1d);
  });

  it('matmul matches the reference: 2-d, batched, broadcast b, transposes and transposed views', () => {
    const rng = new Rng(2);
    const cases: [Tensor, Tensor, { transA?: boolean; transB?: boolean }][] = [
      [randn([64, 40], { rng }), randn([40, 128], { rng }), {}],
      [randn([3, 17, 9], { rng }), randn([9, 33], { rng }), {}], // batch folded into M
      [randn([2, 3, 9, 17], { rng }), randn([2, 3, 33, 17], { rng }), { transB: true }],
      [randn([5, 31, 12], { rng }), randn([5, 31, 20], { rng }), { transA: true }],
      [permute(randn([40, 64], { rng }), [1, 0]), randn([40, 24], { rng }), {}], // a transposed view
      [randn([1, 50], { rng }), randn([50, 30], { rng }), {}], // batch 1
    ];
    for (const [a, b, options] of cases) {
      const [reference, wasm] = both(() => matmul(a, b, options));
      expectAllClose(wasm, reference, 1e-5, 1e-5);
    }
  });

  it('dense matches the reference for every activation, with and without bias', () => {
    const rng = new Rng(3);
    const x = randn([64, 40], { rng });
    const w = randn([40, 129], { rng, std: 0.2 });
    const b = randn([129], { rng });
    for (const activation of ['none', 'relu', 'tanh', 'sigmoid'] as DenseActivation[]) {
      for (const bias of [b, null]) {
        const [reference, wasm] = both(() => dense(x, w, bias, activation));
        expectAllClose(wasm, reference, 1e-5, 2e-6);
      }
    }
  });

  it('gradients through dense and matmul agree with the reference (float32)', () => {
    const rng = new Rng(4);
    const x = randn([32, 24], { rng }).requireGrad();
    const w = randn([24, 48], { rng, std: 0.3 }).requireGrad();
    const b = randn([48], { rng }).requireGrad();
    const v = randn([48, 16], { rng }).requireGrad();
    const up = randn([32, 16], { rng });
    const grads = (): Tensor[] => {
      for (const t of [x, w, b, v]) t.grad = null;
      sum(mul(matmul(dense(x, w, b, 'tanh'), v), up)).backward();
      return [x.grad!, w.grad!, b.grad!, v.grad!];
    };
    const [reference, wasm] = both(grads);
    for (let i = 0; i < 4; i++) expectAllClose(wasm[i], reference[i], 1e-4, 1e-5);
  });

  it('conv1d and its gradient kernels agree with the reference (float32, same and valid padding, stride 2)', () => {
    const rng = new Rng(6);
    const x = randn([4, 40, 3], { rng }).requireGrad();
    const w = randn([5, 3, 16], { rng, std: 0.3 }).requireGrad();
    const b = randn([16], { rng }).requireGrad();
    for (const options of [{ padding: 'same' as const }, { padding: 'valid' as const, stride: 2 }]) {
      const up = randn(conv1d(x, w, b, options).shape, { rng });
      const run = (): Tensor[] => {
        for (const t of [x, w, b]) t.grad = null;
        const y = conv1d(x, w, b, options);
        sum(mul(y, up)).backward();
        return [y, x.grad!, w.grad!, b.grad!];
      };
      const [reference, wasm] = both(run);
      for (let i = 0; i < 4; i++) expectAllClose(wasm[i], reference[i], 1e-4, 1e-5);
    }
  });

  it('the fused LSTM (wasm GEMMs + wasm cell) agrees with the reference, forward and BPTT (float32)', () => {
    const rng = new Rng(7);
    const [B, T, F, H] = [5, 7, 3, 6]; // H = 6: vector lanes plus a scalar tail in the cell
    const x = randn([B, T, F], { rng }).requireGrad();
    const wIh = randn([F, 4 * H], { rng, std: 0.4 }).requireGrad();
    const wHh = randn([H, 4 * H], { rng, std: 0.4 }).requireGrad();
    const b = randn([4 * H], { rng }).requireGrad();
    const up = randn([B, T, H], { rng });
    const run = (): Tensor[] => {
      for (const t of [x, wIh, wHh, b]) t.grad = null;
      const { y } = lstm(x, wIh, wHh, b);
      sum(mul(y, up)).backward();
      return [y, x.grad!, wIh.grad!, wHh.grad!, b.grad!];
    };
    const [reference, wasm] = both(run);
    // The wasm cell's sigmoid / tanh are within 5e-7 of exact; errors compound mildly over T steps.
    for (let i = 0; i < reference.length; i++) expectAllClose(wasm[i], reference[i], 1e-4, 2e-5);
  });

  it('is not registered where WebAssembly SIMD is missing (simulated)', () => {
    simulateNoWasmSimd(true);
    try {
      expect(enableWasmKernels()).toBe(false);
      expect(wasmKernelsEnabled()).toBe(false);
      // Ops keep working on the reference kernels.
      const rng = new Rng(5);
      expect(matmul(randn([16, 16], { rng }), randn([16, 16], { rng })).shape).toEqual([16, 16]);
    } finally {
      simulateNoWasmSimd(false);
    }
  });
});
