// The deferred command queue of asynchronous gpu.js modes (webgpu), exercised in Node on a gpu.js cpu context that runs deferred.
//
// Node has no WebGPU, so `{ deferred: true }` gives a cpu-mode context the webgpu contract: `run` records,
// kernels return Promises (gpu.js asyncMode), `flush()` runs them, host reads are asynchronous. The same
// queue code then runs in Chromium on real WebGPU (browser-parity.test.ts).

import { afterAll, describe, expect, it } from 'vitest';
import { GpuContext, PendingResult, createGpuContextAsync, probeGpu, probeGpuAsync } from '../../../src/kernels/gpu/context.ts';
import { deviceTensor, storageArg } from '../../../src/kernels/gpu/device.ts';
import { useBackend } from '../../../src/kernels/gpu/index.ts';
import { Storage, type DeviceData } from '../../../src/tensor/storage.ts';
import { Tensor } from '../../../src/tensor/tensor.ts';
import * as nm from '../../../src/index.ts';
import { runBrowserTraining, runParityCases, trainingFailures } from '../../browser/gpu-parity-entry.ts';
import { parityCases } from './parity-cases.ts';

type This = { thread: { x: number }; constants: Record<string, number> };

// y[i] = a[i] · s + b[i]
function axpyBody(this: This, a: Float32Array, b: Float32Array): number {
  return a[this.thread.x] * this.constants.s + b[this.thread.x];
}

function failingBody(this: This, a: Float32Array): number {
  return a[this.thread.x];
}

describe('deferred gpu.js context (the webgpu contract, on gpu.js cpu in Node)', () => {
  it('records calls, runs them in order at flush, and reads back only asynchronously', async () => {
    const ctx = await createGpuContextAsync('cpu', { deferred: true });
    expect(ctx.deferred).toBe(true);
    const a = Float32Array.of(1, 2, 3);
    const y = ctx.run('axpy', axpyBody, 3, { s: 2 }, [a, Float32Array.of(10, 20, 30)]);
    a[0] = 100; // the caller reuses its array before the flush: the call saw the values at record time
    const z = ctx.run('axpy', axpyBody, 3, { s: -1 }, [y.value, y.value]); // reads a pending value: z = y - y + ... = 0
    const w = ctx.run('axpy', axpyBody, 3, { s: 3 }, [y.value, Float32Array.of(0, 0, 1)]);
    expect(y.value).toBeInstanceOf(PendingResult);
    expect(ctx.queuedCalls).toBe(3);
    expect(ctx.stats.calls).toBe(3 + 1); // + the probe's call
    expect(() => y.download()).toThrow(/'axpy' are on the gpu.js cpu device, which reads back only asynchronously.*await tensor\.toHost\(\)/);
    await ctx.flush();
    expect(ctx.queuedCalls).toBe(0);
    expect(Array.from(await y.downloadAsync())).toEqual([12, 24, 36]);
    expect(Array.from(await z.downloadAsync())).toEqual([0, 0, 0]);
    expect(Array.from(await w.downloadAsync())).toEqual([36, 72, 109]);
    for (const t of [y, z, w]) t.dispose();
    expect(ctx.stats.liveArrays).toBe(0);
    ctx.dispose();
  });

  it('a device array disposed before the flush stays alive for the calls recorded before the dispose, and is freed after them', async () => {
    const ctx = await createGpuContextAsync('cpu', { deferred: true });
    const x = ctx.run('axpy', axpyBody, 2, { s: 1 }, [Float32Array.of(1, 2), Float32Array.of(0, 0)]);
    const y = ctx.run('axpy', axpyBody, 2, { s: 5 }, [x.value, x.value]); // 6x
    x.dispose(); // a Staging.release() right after the kernel that read it
    expect(ctx.stats.liveArrays).toBe(2); // not freed yet: y's call still has to read it
    await ctx.flush();
    expect(ctx.stats.liveArrays).toBe(1);
    expect(Array.from(await y.downloadAsync())).toEqual([6, 12]);
    y.dispose();
    expect(ctx.stats.liveArrays).toBe(0); // nothing queued: freed at once
    ctx.dispose();
  });

  it('a failing call rejects the flush with its op; calls that read its result fail with the same cause', async () => {
    const ctx = await createGpuContextAsync('cpu', { deferred: true });
    // gpu.js rejects a kernel that reads an argument it was not given (arity 1 body, 2 args is fine; here: a
    // body that cannot be compiled because it returns nothing).
    const broken = function brokenBody(this: This): number {
      return undefined as unknown as number;
    };
    const bad = ctx.run('broken', broken, 2, {}, []);
    const after = ctx.run('failing', failingBody, 2, {}, [bad.value]);
    await expect(ctx.flush()).rejects.toThrow(/gpu: 'broken' failed on gpu.js cpu/);
    await expect(after.downloadAsync()).rejects.toThrow(/'download' reads the result of 'failing', which failed: gpu: 'broken' failed/);
    bad.dispose();
    after.dispose();
    expect(ctx.stats.liveArrays).toBe(0);
    // The context still works after a failed flush.
    const ok = ctx.run('axpy', axpyBody, 1, { s: 1 }, [Float32Array.of(2), Float32Array.of(3)]);
    expect(Array.from(await ok.downloadAsync())).toEqual([5]);
    ok.dispose();
    ctx.dispose();
  });

  it('tensors: storageArg uploads once, toHost() reads, and a synchronous read throws with what to do', async () => {
    const ctx = await createGpuContextAsync('cpu', { deferred: true });
    const x = nm.tensor([1, 2, 3, 4]);
    const arg = storageArg(ctx, x);
    expect(arg).toBeInstanceOf(PendingResult);
    expect(storageArg(ctx, x)).toBe(arg); // the storage now lives on the device: no second upload
    const y = deviceTensor(ctx.run('axpy', axpyBody, 4, { s: 2 }, [arg, arg]), [2, 2]);
    expect(() => y.item()).toThrow(/item: tensor has 4 elements/);
    expect(() => y.toArray()).toThrow(/await tensor\.toHost\(\)/);
    expect((await y.toHost()).toArray()).toEqual([[3, 6], [9, 12]]);
    expect(y.storage.device).toBeNull(); // the host is now the only copy
    expect((await x.toHost()).toFlatArray()).toEqual([1, 2, 3, 4]);
    x.dispose();
    y.dispose();
    await ctx.flush();
    expect(ctx.stats.liveArrays).toBe(0);
    ctx.dispose();
  });

  describe('every parity case through the queue', () => {
    let ctx: GpuContext;
    afterAll(() => ctx?.dispose());

    it('matches the CPU kernels within the parity tolerances, and frees every device array', async () => {
      ctx = await createGpuContextAsync('cpu', { deferred: true });
      const results = await runParityCases(ctx);
      expect(results.map((r) => r.name)).toEqual(parityCases.map((c) => c.name));
      expect(results.filter((r) => r.failure !== null).map((r) => `${r.name}: ${r.failure}`)).toEqual([]);
      expect(ctx.stats.liveArrays).toBe(0);
      expect(ctx.stats.flushes).toBeGreaterThan(parityCases.length / 2);
    }, 120_000);
  });
});

describe('DCL-MoE trained with trainAsync through the queue (the browser webgpu run, on a deferred gpu.js cpu context)', () => {
  it("gives the CPU train history within float32 tolerance, with no synchronous read on the way", async () => {
    // The page's own code (test/browser/gpu-parity-entry.ts), one epoch: a synchronous host read of any
    // device value throws in a deferred context, so a passing run means the loop, DeviceAdam and the
    // evaluation read the device only at trainAsync's awaited pauses.
    const report = await runBrowserTraining('cpu', 1, { deferred: true });
    expect(trainingFailures(report, 1)).toEqual([]);
    expect(report.calls).toBeGreaterThan(500); // the model really ran on the device
  }, 120_000);
});

describe('probes', () => {
  it('the synchronous probe declines webgpu and says which entry point to use; in Node the async one finds no WebGPU', async () => {
    expect(probeGpu(['webgpu']).attempts[0].error).toMatch(/asynchronously: probe it with probeGpuAsync \(useBackendAsync\)/);
    const { context, attempts } = await probeGpuAsync(['webgpu', 'cpu']);
    expect(attempts[0].error).toMatch(/no navigator\.gpu: it needs a browser with WebGPU and a secure context/);
    expect(context?.mode).toBe('cpu');
    expect(context?.deferred).toBe(false);
    context?.dispose();
    expect(() => useBackend('gpu', { modes: ['webgpu'] })).toThrow(/webgpu: webgpu runs kernels asynchronously.*useBackendAsync/);
  });
});

describe('Storage.dataAsync', () => {
  /** A device copy that reads back only asynchronously. */
  function asyncDevice(values: number[]): DeviceData & { reads: number; disposed: number } {
    return {
      reads: 0,
      disposed: 0,
      download() {
        throw new Error('asynchronous only');
      },
      async downloadAsync() {
        this.reads++;
        await Promise.resolve();
        return Float32Array.from(values);
      },
      dispose() {
        this.disposed++;
      },
    };
  }

  it('brings device values to the host once; concurrent reads agree; a write while waiting is read instead', async () => {
    const device = asyncDevice([1, 2]);
    const storage = Storage.onDevice(device, new Float32Array(0));
    const [a, b] = await Promise.all([storage.dataAsync(), storage.dataAsync()]);
    expect(Array.from(a)).toEqual([1, 2]);
    expect(b).toBe(a);
    expect(device.disposed).toBe(1);
    expect(storage.device).toBeNull();

    const first = asyncDevice([3, 3]);
    const second = asyncDevice([7, 8]);
    const written = new Tensor(Storage.onDevice(first, new Float32Array(0)), [2], 'float32');
    const reading = written.toHost();
    written.storage.setDevice(second, new Float32Array(0)); // a device-side write (an optimiser step) meanwhile
    expect((await reading).toFlatArray()).toEqual([7, 8]);
    expect(first.disposed).toBe(1);
    expect(second.disposed).toBe(1);
  });

  it('the same with real device arrays, whose read fails once a write or another read disposed them', async () => {
    const ctx = await createGpuContextAsync('cpu', { deferred: true });
    const upload = (values: number[]) => ctx.run('axpy', axpyBody, 2, { s: 1 }, [Float32Array.from(values), Float32Array.of(0, 0)]);
    const read = deviceTensor(upload([1, 2]), [2]);
    const [a, b] = await Promise.all([read.toHost(), read.toHost()]); // the second read's array is disposed by the first
    expect(a.toFlatArray()).toEqual([1, 2]);
    expect(b.toFlatArray()).toEqual([1, 2]);
    const written = deviceTensor(upload([3, 3]), [2]);
    const reading = written.toHost();
    written.storage.setDevice(upload([7, 8]), new Float32Array(0)); // disposes the array being read
    expect((await reading).toFlatArray()).toEqual([7, 8]);
    for (const t of [read, written]) t.dispose();
    expect(ctx.stats.liveArrays).toBe(0);
    ctx.dispose();
  });
});
