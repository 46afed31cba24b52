// The WebAssembly emitter: LEB128 encodings, module validity, and small emitted functions run by the engine.

import { describe, expect, it } from 'vitest';
import { ModuleBuilder, ValType, control, f32, f32x4, i32, local, seq, sleb, uleb, v128 } from '../../../src/kernels/wasm/emitter.ts';
import { DEFAULT_TILING, emitGemmModule } from '../../../src/kernels/wasm/gemm-module.ts';
import { wasmSimdSupported } from '../../../src/kernels/wasm/runtime.ts';

const memoryLimits = { module: 'env', name: 'memory', initialPages: 1, maximumPages: 1, shared: false };

function instantiate(m: ModuleBuilder): { exports: Record<string, (...args: number[]) => number>; heap: Float32Array } {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(m.encode()), { env: { memory } });
  return { exports: instance.exports as unknown as Record<string, (...args: number[]) => number>, heap: new Float32Array(memory.buffer) };
}

describe('LEB128', () => {
  it('encodes unsigned values (spec examples: 624485 -> e5 8e 26)', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb(2 ** 32 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it('encodes signed values (-123456 -> c0 bb 78; 64 needs two bytes: bit 6 would read as a sign)', () => {
    expect(sleb(0)).toEqual([0]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });
});

describe('emitted modules', () => {
  it('runs integer arithmetic, loops and calls', () => {
    const m = new ModuleBuilder(memoryLimits);
    const add = m.func('add', [ValType.i32, ValType.i32], [ValType.i32], (_f, [a, b]) => i32.add(local.get(a), local.get(b)));
    // sum of i for i in [0, n), by a `for` loop that calls add.
    m.func('triangle', [ValType.i32], [ValType.i32], (f, [n]) => {
      const i = f.local(ValType.i32), s = f.local(ValType.i32);
      return seq(
        local.set(s, i32.const(0)),
        control.for(i, i32.const(0), local.get(n), i32.const(1), local.set(s, control.call(add, local.get(s), local.get(i)))),
        local.get(s),
      );
    });
    const { exports } = instantiate(m);
    expect(exports.add(2, 40)).toBe(42);
    expect(exports.triangle(10)).toBe(45); // 0 + 1 + ... + 9
    expect(exports.triangle(0)).toBe(0);
  });

  it('encodes large and negative i32 constants', () => {
    const m = new ModuleBuilder(memoryLimits);
    for (const [name, value] of [['big', 2 ** 31 - 1], ['neg', -(2 ** 31)], ['mask', -4]] as const) {
      m.func(name, [], [ValType.i32], () => i32.const(value));
    }
    const { exports } = instantiate(m);
    expect(exports.big()).toBe(2 ** 31 - 1);
    expect(exports.neg()).toBe(-(2 ** 31));
    expect(exports.mask()).toBe(-4);
  });

  it.skipIf(!wasmSimdSupported())('runs f32x4 ops on memory (a·x + y over 4 lanes, lane extract)', () => {
    const m = new ModuleBuilder(memoryLimits);
    m.func('axpy4', [ValType.f32, ValType.i32, ValType.i32], [], (_f, [a, x, y]) =>
      v128.store(local.get(y), f32x4.add(f32x4.mul(f32x4.splat(local.get(a)), v128.load(local.get(x))), v128.load(local.get(y)))));
    m.func('lane2', [ValType.i32], [ValType.f32], (_f, [x]) => f32x4.extract_lane(v128.load(local.get(x)), 2));
    m.func('bcast', [ValType.i32, ValType.i32], [], (_f, [x, y]) => v128.store(local.get(y), v128.load32_splat(local.get(x), 4)));
    const { exports, heap } = instantiate(m);
    heap.set([1, 2, 3, 4], 0);
    heap.set([10, 20, 30, 40], 4);
    exports.axpy4(2, 0, 16); // y = 2x + y
    expect(Array.from(heap.subarray(4, 8))).toEqual([12, 24, 36, 48]);
    expect(exports.lane2(16)).toBe(36);
    exports.bcast(0, 32); // broadcast x[1] (offset 4 bytes)
    expect(Array.from(heap.subarray(8, 12))).toEqual([2, 2, 2, 2]);
    expect(f32.const(1.5)).toEqual([0x43, 0x00, 0x00, 0xc0, 0x3f]);
  });

  it.skipIf(!wasmSimdSupported())('the GEMM module validates for several tilings, shared and not', () => {
    for (const tiling of [DEFAULT_TILING, { MR: 5, NR: 12, KU: 2, MC: 60, KC: 64, NC: 96 }, { MR: 1, NR: 4, KU: 4, MC: 4, KC: 8, NC: 8 }]) {
      for (const shared of [false, true]) {
        expect(WebAssembly.validate(emitGemmModule(tiling, { initialPages: 16, maximumPages: 64, shared }))).toBe(true);
      }
    }
    expect(() => emitGemmModule({ ...DEFAULT_TILING, NR: 6 }, { initialPages: 1, maximumPages: 1, shared: false })).toThrow(/tiling/);
  });
});
