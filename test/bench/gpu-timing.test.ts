// The GPU benchmark's timing helpers (bench/gpu-timing.ts): the crossover sweep (which batches it measures, the crossover it reports, when it stops) and waiting for a deferred device.

import { describe, expect, it } from 'vitest';
import { SWEEP_CALL_BUDGET_MS, settleDevice, sweepMode, timeGpu, type Measured } from '../../bench/gpu-timing.ts';
import { BATCH_CASES } from '../../bench/gpu-ops-cases.ts';
import { GpuContext } from '../../src/kernels/gpu/context.ts';
import { gpuKernels } from '../../src/kernels/gpu/index.ts';
import { deviceTensor } from '../../src/kernels/gpu/device.ts';

const BATCHES = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

/** A mode whose time per call is `f(B)` (callMs the same), recording the batches asked for. */
function mode(f: (B: number) => number | string) {
  const asked: number[] = [];
  const measure = async (B: number): Promise<Measured> => {
    asked.push(B);
    const ms = f(B);
    return typeof ms === 'string' ? { error: ms } : { ms, callMs: ms };
  };
  return { asked, measure };
}
const cpu = async (B: number): Promise<number> => B / 100; // the CPU: linear in B

describe('sweepMode', () => {
  it('reports the smallest batch from which the mode wins, measuring every batch', async () => {
    const m = mode((B) => 2 + B / 1000); // fixed cost 2 ms, beats B/100 from B > 222
    const s = await sweepMode(BATCHES, 1024, cpu, m.measure);
    expect(s.crossover).toBe(256);
    expect(m.asked).toEqual(BATCHES);
    expect(s.ms[64]).toBeCloseTo(2.064);
    expect(s.upTo).toBe(4096);
    expect(s.stopped).toBeNull();
  });

  it('a win followed by a loss is not a crossover', async () => {
    const s = await sweepMode(BATCHES, 1024, cpu, mode((B) => (B === 32 || B >= 2048 ? B / 200 : B / 50)).measure);
    expect(s.crossover).toBe(2048);
    const never = await sweepMode(BATCHES, 1024, cpu, mode((B) => (B === 16 ? 0.01 : B / 50)).measure);
    expect(never.crossover).toBeNull();
  });

  it('never wins: every batch measured, no crossover', async () => {
    const s = await sweepMode(BATCHES, 1024, cpu, mode((B) => B / 10).measure);
    expect(s.crossover).toBeNull();
    expect(s.upTo).toBe(4096);
    expect(s.stopped).toBeNull();
  });

  it('a mode that wins only at the largest batch', async () => {
    const s = await sweepMode(BATCHES, 1024, cpu, mode((B) => 30 + B / 1000).measure); // wins from B > 3030
    expect(s.crossover).toBe(4096);
  });

  it('stops above the table batches once a losing call exceeds the budget, and says so', async () => {
    const m = mode((B) => (B >= 2048 ? SWEEP_CALL_BUDGET_MS + 1 : B)); // slower than the CPU everywhere
    const s = await sweepMode(BATCHES, 1024, cpu, m.measure);
    expect(m.asked.at(-1)).toBe(2048);
    expect(s.crossover).toBeNull();
    expect(s.upTo).toBe(2048);
    expect(s.stopped).toMatch(/one call took .* at batch 2048/);
  });

  it('stops at a failing batch and names it', async () => {
    const s = await sweepMode(BATCHES, 1024, cpu, mode((B) => (B === 128 ? 'texture too large' : B)).measure);
    expect(s.upTo).toBe(64);
    expect(s.stopped).toBe('batch 128: texture too large');
    expect(s.ms[128]).toBeUndefined();
  });
});

describe('settleDevice and timeGpu on a deferred context (the webgpu path, on webasm in Node)', () => {
  it('settling runs the recorded calls', async () => {
    const context = new GpuContext('webasm', { deferred: true });
    const y = deviceTensor(context.run('ramp', function ramp(this: { thread: { x: number } }) { return this.thread.x; }, 8, {}, []), [8]);
    expect(context.queuedCalls).toBe(1);
    await settleDevice(context, [y]);
    expect(context.queuedCalls).toBe(0);
    expect(Array.from(await y.toHost().then((t) => t.toFlatArray()))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    y.dispose();
    context.dispose();
  });

  it('times a case and leaves no device array behind', async () => {
    const context = new GpuContext('webasm', { deferred: true });
    const softmax = BATCH_CASES.find((c) => c.op === 'softmax')!;
    const m = await timeGpu(context, gpuKernels(context), softmax, 16);
    expect('error' in m ? m.error : null).toBeNull();
    if (!('error' in m)) expect(m.ms).toBeGreaterThan(0);
    expect(context.queuedCalls).toBe(0);
    expect(context.stats.liveArrays).toBe(0);
    context.dispose();
  });
});
