// Device optimisers (DeviceAdam, DeviceAdamW, DeviceSgd) and device gradient clipping against the host optimisers and clipGradNorm, the spec.

import { afterAll, describe, expect, it } from 'vitest';
import { tensor } from '../../../src/tensor/creation.ts';
import { transpose } from '../../../src/tensor/ops/movement.ts';
import { Rng } from '../../../src/tensor/random.ts';
import type { Tensor } from '../../../src/tensor/tensor.ts';
import type { NamedParameter } from '../../../src/layers/module.ts';
import { Adam, AdamW, Sgd, applyL2Penalty, clipGradNorm, type Optimizer } from '../../../src/optim/index.ts';
import type { DeviceOptimizerKind, DeviceOptimizerOptions } from '../../../src/optim/device-optimizer.ts';
import { createGpuContext, type GpuContext, type GpuMode } from '../../../src/kernels/gpu/index.ts';
import type { GpuArray } from '../../../src/kernels/gpu/context.ts';
import { storageArg } from '../../../src/kernels/gpu/device.ts';
import { DeviceAdam, DeviceAdamW } from '../../../src/kernels/gpu/adam.ts';
import { DeviceSgd } from '../../../src/kernels/gpu/sgd.ts';
import { clipGradNormOnDevice } from '../../../src/kernels/gpu/clip.ts';
import { expectAllClose } from '../../helpers/allclose.ts';

/** The emulated gpu.js modes every machine has: webasm, and cpu (gpu.js's own transpiled-JavaScript path). */
const MODES: GpuMode[] = ['webasm', 'cpu'];

/** Float32 tolerances after a few steps (weights ~N(0, 1)); measured differences stay below 2e-6. */
const WEIGHT_RTOL = 1e-5;
const WEIGHT_ATOL = 1e-5;
/** Optimiser state (moments ~1e-3 for v, velocity ~1) and gradients. */
const STATE_RTOL = 1e-5;
const STATE_ATOL = 1e-7;

/** Odd sizes, a bias (no decay) between two weights. */
const SHAPES: [name: string, shape: number[], decay: boolean][] = [
  ['dense.w', [7, 5], true],
  ['dense.b', [5], false],
  ['conv.w', [3, 4, 2], true],
];

/** The same seeded float32 parameters every call. */
function makeParams(): NamedParameter[] {
  const rng = new Rng(1);
  return SHAPES.map(([name, shape, decay]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = tensor(Float32Array.from({ length: n }, () => rng.normal()), { shape }).requireGrad();
    return { name, tensor: t, decay };
  });
}

/** Seeded gradients for `step` (host tensors, as a backward pass on the CPU leaves them), freeing the previous ones. */
function setGrads(params: NamedParameter[], step: number, scale = 1): void {
  const rng = new Rng(`grads/${step}`);
  for (const p of params) {
    p.tensor.grad?.dispose();
    p.tensor.grad = tensor(Float32Array.from({ length: p.tensor.size }, () => scale * rng.normal()), { shape: p.tensor.shape });
  }
}

/** A device-resident tensor's values, read without moving its storage to the host (one download). */
const onDevice = (t: Tensor): Float32Array => (t.storage.device as GpuArray).download() as Float32Array;

type Case = { [K in DeviceOptimizerKind]: { name: string; kind: K; options: DeviceOptimizerOptions[K] } }[DeviceOptimizerKind];

// Each clipped case's gradient norm (~6.7 for these shapes) is above its clipNorm, except where the name says.
const CASES: Case[] = [
  { name: 'Adam, L2 folded', kind: 'adam', options: { lr: 0.05, l2: 0.01 } },
  { name: 'Adam, L2 folded, clipped', kind: 'adam', options: { lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-6, l2: 0.01, clipNorm: 2 } },
  { name: 'AdamW, clipped', kind: 'adamw', options: { lr: 0.05, weightDecay: 0.1, clipNorm: 2 } },
  { name: 'SGD', kind: 'sgd', options: { lr: 0.1 } },
  { name: 'SGD with momentum, L2 folded, clipped', kind: 'sgd', options: { lr: 0.1, momentum: 0.9, l2: 0.01, clipNorm: 2 } },
  { name: 'SGD with Nesterov momentum, L2 folded, norm below the clip', kind: 'sgd', options: { lr: 0.1, momentum: 0.9, nesterov: true, l2: 0.01, clipNorm: 100 } },
];

/** The host optimiser of `c` (the spec): the same options, without the folded terms. */
function hostOptimizer(c: Case, params: NamedParameter[]): Optimizer {
  switch (c.kind) {
    case 'adam':
      return new Adam(params, c.options);
    case 'adamw':
      return new AdamW(params, c.options);
    case 'sgd':
      return new Sgd(params, c.options);
  }
}

function deviceOptimizer(c: Case, params: NamedParameter[], context: GpuContext): DeviceAdam | DeviceSgd {
  switch (c.kind) {
    case 'adam':
      return new DeviceAdam(params, c.options, context);
    case 'adamw':
      return new DeviceAdamW(params, c.options, context);
    case 'sgd':
      return new DeviceSgd(params, c.options, context);
  }
}

/** The trainer's host path: the L2 gradient, then clipping, then the step. Returns the norm before clipping. */
function hostStep(c: Case, opt: Optimizer, params: NamedParameter[]): number {
  applyL2Penalty(params, c.options.l2 ?? 0);
  const norm = c.options.clipNorm ? clipGradNorm(params, c.options.clipNorm) : NaN;
  opt.step();
  return norm;
}

function expectSameWeights(device: NamedParameter[], host: NamedParameter[]): void {
  device.forEach((p, i) => {
    expect(p.tensor.storage.device, `${p.name} stays on the device`).not.toBeNull();
    expectAllClose(onDevice(p.tensor), host[i].tensor.values, WEIGHT_RTOL, WEIGHT_ATOL);
  });
}

for (const mode of MODES) {
  describe(`device optimisers (gpu.js ${mode}) against the host optimisers`, () => {
    const context = createGpuContext(mode);
    afterAll(() => context.dispose());

    it.each(CASES)('$name: matches the host step for step, keeps parameters on the device, and checkpoints its state', (c) => {
      const host = makeParams();
      const device = makeParams();
      const hostOpt = hostOptimizer(c, host);
      const deviceOpt = deviceOptimizer(c, device, context);
      expect(deviceOpt.kind).toBe(hostOpt.kind);
      expect(deviceOpt.foldedL2).toBe(c.options.l2 ?? 0);
      expect(deviceOpt.foldedClipNorm).toBe(c.options.clipNorm ?? 0);
      const { stats } = context;
      let live = 0;
      for (let s = 0; s < 4; s++) {
        if (s === 3) hostOpt.lr = deviceOpt.lr = c.options.lr / 2; // a schedule between steps
        setGrads(host, s);
        setGrads(device, s);
        const norm = hostStep(c, hostOpt, host);
        if (c.options.clipNorm) expect(norm > c.options.clipNorm).toBe(!c.name.includes('below the clip'));
        const downloads = stats.downloads;
        deviceOpt.step();
        expect(stats.downloads, `downloads in step ${s + 1}`).toBe(downloads);
        expectSameWeights(device, host);
        // Parameters, gradients and optimiser state are the only device arrays that outlive a step.
        if (s === 1) live = stats.liveArrays;
        if (s > 1) expect(stats.liveArrays).toBe(live);
      }

      // The checkpoint holds the host optimiser's state: same kind, step, buffers and values.
      const state = deviceOpt.state();
      const hostState = hostOpt.state();
      expect(state.kind).toBe(hostState.kind);
      expect(state.step).toBe(4);
      expect(Object.keys(state.buffers).sort()).toEqual(Object.keys(hostState.buffers).sort());
      for (const [name, buffers] of Object.entries(hostState.buffers)) {
        expect(Object.keys(state.buffers[name]).sort()).toEqual(Object.keys(buffers).sort());
        for (const [key, b] of Object.entries(buffers)) expectAllClose(state.buffers[name][key], b, STATE_RTOL, STATE_ATOL);
      }
      if (c.kind === 'sgd' && !c.options.momentum) expect(state.buffers).toEqual({});
      else expect(Object.keys(state.buffers)).toHaveLength(SHAPES.length);

      // A fresh device optimiser restored from it (over the host's weights) continues as the host does.
      const restored = makeParams();
      restored.forEach((p, i) => p.tensor.values.set(host[i].tensor.values));
      const restoredOpt = deviceOptimizer(c, restored, context);
      restoredOpt.loadState(state);
      restoredOpt.lr = hostOpt.lr;
      for (let s = 4; s < 6; s++) {
        setGrads(host, s);
        setGrads(restored, s);
        hostStep(c, hostOpt, host);
        restoredOpt.step();
        expectSameWeights(restored, host);
      }
      expect(restoredOpt.stepCount).toBe(6);
      for (const params of [device, restored]) for (const p of params) p.tensor.grad?.dispose();
    });

    it('a float64 parameter is refused with its name (gpu.js computes in float32 only)', () => {
      const p = { name: 'w64', tensor: tensor([1, 2], { dtype: 'float64' }).requireGrad(), decay: true };
      expect(() => new DeviceSgd([p], { lr: 0.1 }, context)).toThrow(/device sgd: parameter 'w64' is float64/);
    });

    it('a parameter that is a view of a larger storage is refused before anything runs', () => {
      const base = tensor([1, 2, 3, 4], { dtype: 'float32' });
      const p = { name: 'half', tensor: base.slice([0], [2]).requireGrad(), decay: true };
      p.tensor.grad = tensor([1, 1], { dtype: 'float32' });
      const opt = new DeviceAdamW([p], { lr: 0.1 }, context);
      expect(() => opt.step()).toThrow(/device adamw: 'half' must own its whole storage/);
    });
  });

  describe(`clipGradNormOnDevice (gpu.js ${mode}) against clipGradNorm`, () => {
    const context = createGpuContext(mode);
    afterAll(() => context.dispose());

    it.each([
      { side: 'above', maxNorm: 2 },
      { side: 'below', maxNorm: 100 },
    ])('with the norm $side the max: the same gradients and norm, nothing read back', ({ side, maxNorm }) => {
      const host = makeParams();
      const device = makeParams();
      setGrads(host, 0);
      setGrads(device, 0);
      // Device-resident gradients, as a backward pass on the GPU backend leaves them.
      for (const p of device) storageArg(context, p.tensor.grad!);
      const downloads = context.stats.downloads;
      const norm = clipGradNormOnDevice(context, device, maxNorm);
      expect(context.stats.downloads).toBe(downloads);
      const hostNorm = clipGradNorm(host, maxNorm);
      expect(hostNorm > maxNorm).toBe(side === 'above');
      device.forEach((p, i) => {
        expect(p.tensor.grad!.storage.device).not.toBeNull();
        expectAllClose(onDevice(p.tensor.grad!), host[i].tensor.grad!.values, STATE_RTOL, STATE_ATOL);
      });
      expect(norm.shape).toEqual([]);
      expect(Math.abs(norm.item() - hostNorm)).toBeLessThan(1e-5 * hostNorm);
      for (const p of device) p.tensor.grad?.dispose();
    });

    it('all-zero gradients stay zero (norm 0 divides nothing), as on the host', () => {
      const device = makeParams();
      setGrads(device, 0, 0);
      const norm = clipGradNormOnDevice(context, device, 1);
      expect(norm.item()).toBe(0);
      for (const p of device) expect(p.tensor.grad!.values.every((g) => g === 0)).toBe(true);
    });

    it('a gradient that is a strided view is refused with its name', () => {
      const p = makeParams()[0];
      p.tensor.grad = transpose(tensor(new Float32Array(35).fill(1), { shape: [5, 7] }));
      expect(() => clipGradNormOnDevice(context, [p], 1)).toThrow(/clipGradNormOnDevice: 'dense.w.grad' must own its whole storage/);
    });
  });
}
