// The chunked (two-stage, tree) reductions of src/kernels/gpu/reduce.ts: when they split, trees of several levels with a forced small chunk, ties across chunks, and device clipping over long gradients.

import { afterAll, describe, expect, it } from 'vitest';
import { cpuKernels } from '../../../src/kernels/cpu/index.ts';
import { tensor } from '../../../src/tensor/creation.ts';
import { Rng } from '../../../src/tensor/random.ts';
import type { NamedParameter } from '../../../src/layers/module.ts';
import { clipGradNorm } from '../../../src/optim/index.ts';
import { createGpuContext, gpuKernels, type GpuMode } from '../../../src/kernels/gpu/index.ts';
import { storageArg } from '../../../src/kernels/gpu/device.ts';
import { argmaxOver, chunkLength, logsumexpOver, reduceMiddle, sumOver, sumStage } from '../../../src/kernels/gpu/reduce.ts';
import { clipGradNormOnDevice, globalNormClip } from '../../../src/kernels/gpu/clip.ts';
import { RTOL, withinTolerance } from './parity-tolerance.ts';

const MODES: GpuMode[] = ['webasm', 'cpu'];

const seeded = (n: number, seed: string, grid = 0): Float32Array => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => (grid > 0 ? Math.round(rng.normal() / grid) * grid : rng.normal()));
};

/** |gpu - cpu| within the parity tolerance, atol for a sum of `reduction` terms (./parity-tolerance.ts). */
function expectClose(got: ArrayLike<number>, expected: ArrayLike<number>, reduction: number): void {
  const atol = 1e-5 * Math.sqrt(reduction);
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!withinTolerance(got[i], expected[i], atol)) expect.fail(`element ${i}: gpu ${got[i]}, cpu ${expected[i]} (rtol ${RTOL}, atol ${atol})`);
  }
}

describe('chunkLength', () => {
  it('splits a long axis into few outputs, and nothing else', () => {
    expect(chunkLength(1, 100_000)).toBeLessThan(100_000);
    expect(chunkLength(3, 20_000)).toBeLessThan(20_000);
    expect(chunkLength(1, 100)).toBe(100); // a short axis: one stage
    expect(chunkLength(4096, 100_000)).toBe(100_000); // many outputs already fill the device
  });

  it("splits the (outputs, length) of the parity cases named '(two stages)' (parity-cases.ts), so they test both stages", () => {
    for (const [outputs, R] of [[1, 70_000], [3, 20_000], [4, 4100], [2, 9000], [3, 5000], [2, 5000], [1, 5000], [6, 4100]]) expect(chunkLength(outputs, R)).toBeLessThan(R);
  });
});

for (const mode of MODES) {
  describe(`chunked reductions on gpu.js ${mode}`, () => {
    const context = createGpuContext(mode);
    afterAll(() => context.dispose());
    /** A chunk of 4 whatever the sizes: a tree of several levels on small inputs. */
    const tiny = (): number => 4;

    it('a forced chunk of 4 builds a tree (79 -> 20 -> 5 -> 2 -> 1) whose sums match the CPU', () => {
      const [O, R, I] = [2, 79, 3];
      const x = seeded(O * R * I, 'chunked/sum');
      const calls = context.stats.calls;
      const y = reduceMiddle(context, 'sum', [O, R, I], sumStage(x, 0), (p) => sumStage(p, 0), 'float32', tiny);
      expect(context.stats.calls - calls).toBe(4);
      const expected = cpuKernels.sum([tensor(x, { shape: [O, R, I] })], {}).outputs[0].values;
      expectClose(y.download(), expected, R);
      y.dispose();
      expect(context.stats.liveArrays).toBe(0); // every level's partials were freed
    });

    it('frees the partials of the levels before a stage that throws', () => {
      const x = seeded(2 * 79 * 3, 'chunked/throw');
      let level = 0;
      const failing = (p: Parameters<typeof sumStage>[0]) => {
        if (++level === 2) throw new Error('stage failed');
        return sumStage(p, 0);
      };
      expect(() => reduceMiddle(context, 'sum', [2, 79, 3], sumStage(x, 0), failing, 'float32', tiny)).toThrow('stage failed');
      expect(context.stats.liveArrays).toBe(0);
    });

    it('argmax over a tree of chunks keeps the lowest index at ties, as the CPU', () => {
      const [O, R, I] = [3, 61, 2];
      const x = seeded(O * R * I, 'chunked/ties', 0.5); // a coarse grid: ties everywhere
      const plant = (o: number, i: number, rs: number[]): void => rs.forEach((r) => (x[(o * R + r) * I + i] = 10));
      plant(0, 0, [60, 8, 7]); // across a chunk boundary (chunks of 4): 7
      plant(1, 1, [33, 32, 48]); // a first-level chunk's first element, and a later second-level chunk
      plant(2, 0, [0, 16, 17]); // index 0
      const kernels = gpuKernels(context);
      const { outputs, saved } = kernels.max!([tensor(x, { shape: [O, R, I] })], {});
      const cpu = cpuKernels.max([tensor(x, { shape: [O, R, I] })], {});
      expect(Array.from(saved![0].values)).toEqual(Array.from(cpu.saved![0].values));
      expect(Array.from(outputs[0].values)).toEqual(Array.from(cpu.outputs[0].values));
      // The same through a tree of chunks of 4 (61 -> 16 -> 4 -> 1 candidates).
      const argmax = argmaxOver(context, 'max', [O, R, I], x, 0, tiny);
      const picked = Array.from(argmax.download());
      expect(picked).toEqual(Array.from(cpu.saved![0].values));
      expect([picked[0], picked[3], picked[4]]).toEqual([7, 32, 0]); // the planted ties (cells (o, i) = (0, 0), (1, 1), (2, 0))
      argmax.dispose();
    });

    it('logsumexp over a tree of chunks, with a +300 offset and a masked (-inf) chunk, matches the CPU', () => {
      const [O, R, I] = [2, 70, 1];
      const x = seeded(O * R * I, 'chunked/lse');
      for (let r = 0; r < R; r++) x[R + r] += 300; // row 1: exp(x) overflows float32 unless the max comes first
      for (let r = 8; r < 16; r++) x[r] = -Infinity; // row 0: chunks 2 and 3 (of 4) fully masked
      const y = logsumexpOver(context, 'logsumexp', [O, R, I], x, 0, tiny);
      const expected = cpuKernels.logsumexp([tensor(x, { shape: [O, R, I] })], {}).outputs[0].values;
      expect(Number.isFinite(expected[0]) && Number.isFinite(expected[1])).toBe(true);
      expectClose(y.download(), expected, R);
      y.dispose();
    });

    it('sumOver and logsumexpOver split a long axis into few outputs in two kernels, and keep one for many outputs', () => {
      const x = seeded(50_000, 'chunked/long');
      const count = (f: () => { dispose(): void }): number => {
        const calls = context.stats.calls;
        f().dispose();
        return context.stats.calls - calls;
      };
      expect(count(() => sumOver(context, 'sum', [1, 50_000, 1], x, 0))).toBe(2);
      expect(count(() => logsumexpOver(context, 'logsumexp', [2, 25_000, 1], x, 0))).toBe(2);
      expect(count(() => sumOver(context, 'sum', [5000, 10, 1], x, 0))).toBe(1);
    });

    it('clipGradNormOnDevice over long gradients (the DCL-MoE CNN kernel, 1216 x 64) matches clipGradNorm', () => {
      const shapes = [[1216, 64], [64], [64, 256]];
      const make = (): NamedParameter[] =>
        shapes.map((shape, k) => {
          const n = shape.reduce((a, b) => a * b, 1);
          const t = tensor(seeded(n, `chunked/w${k}`), { shape }).requireGrad();
          t.grad = tensor(seeded(n, `chunked/g${k}`), { shape });
          return { name: `p${k}`, tensor: t, decay: true };
        });
      const host = make();
      const device = make();
      for (const p of device) storageArg(context, p.tensor.grad!);
      const calls = context.stats.calls;
      const norm = clipGradNormOnDevice(context, device, 1);
      // Two kernels for each long gradient, one for the short bias, the scale, three rescales.
      expect(context.stats.calls - calls).toBe(2 + 1 + 2 + 1 + 3);
      const hostNorm = clipGradNorm(host, 1);
      expect(Math.abs(norm.item() - hostNorm)).toBeLessThan(1e-5 * hostNorm);
      device.forEach((p, i) => expectClose(p.tensor.grad!.values, host[i].tensor.grad!.values, 1));
    });

    it('the folded L2 term (g + 2λw) of a long gradient at an offset is summed in chunks like the rest', () => {
      const n = 5000;
      const grad = seeded(n + 7, 'chunked/fold-g');
      const w = seeded(n + 3, 'chunked/fold-w');
      const fold = { go: 7, wo: 3, l2x2: 0.25 };
      let expected = 0;
      for (let i = 0; i < n; i++) expected += (grad[fold.go + i] + fold.l2x2 * w[fold.wo + i]) ** 2;
      const calls = context.stats.calls;
      const clip = globalNormClip(context, [{ n, grad, w, fold }, { n, grad, w, fold }], 1e9);
      expect(context.stats.calls - calls).toBe(2 * 2 + 1);
      const [norm, scale] = clip.download();
      expect(Math.abs(norm - Math.sqrt(2 * expected))).toBeLessThan(1e-5 * Math.sqrt(2 * expected));
      expect(scale).toBe(1);
      clip.dispose();
    });
  });
}
