// Arena ownership: float32 tensors live in the wasm memory, and only allocateInWasm's own blocks may be freed by hand.

import { describe, expect, it } from 'vitest';
import * as nm from '../../../src/index.ts';
import { allocateInWasm, freeInWasm, isInWasmMemory, wasmSimdSupported } from '../../../src/kernels/wasm/runtime.ts';
import { enableWasmKernels } from '../../../src/kernels/wasm/backend.ts';
import { sizeClass } from '../../../src/kernels/wasm/memory.ts';

describe.skipIf(!wasmSimdSupported())('wasm arena ownership', () => {
  it('float32 tensors are allocated in the wasm memory while the backend is on', () => {
    enableWasmKernels();
    const x = nm.zeros([64, 64]);
    expect(isInWasmMemory(x.values as Float32Array)).toBe(true);
    expect(isInWasmMemory(nm.zeros([4]).values as Float32Array)).toBe(false); // tiny tensors stay on the JS heap
  });

  it("refuses to free a tensor's storage or a block twice", () => {
    enableWasmKernels();
    const x = nm.ones([128]);
    expect(() => freeInWasm(x.values as Float32Array)).toThrow(/not returned by allocateInWasm/);
    expect(x.toFlatArray().every((v) => v === 1)).toBe(true);
    const block = allocateInWasm(256);
    freeInWasm(block);
    expect(() => freeInWasm(block)).toThrow(/already freed/);
  });

  it('size classes: at most 25% slack, 64-byte steps up to 4 KiB', () => {
    expect(sizeClass(1)).toBe(64);
    expect(sizeClass(4096)).toBe(4096);
    for (const bytes of [4097, 5000, 100_000, 1_000_003, 9_999_999]) {
      const c = sizeClass(bytes);
      expect(c).toBeGreaterThanOrEqual(bytes);
      expect(c).toBeLessThanOrEqual(bytes * 1.25);
    }
  });
});
