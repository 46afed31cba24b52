// The GPU backend end to end: DCL-MoE trains to the same losses as on the CPU, no device array leaks, the probe and useBackend.

import { afterEach, describe, expect, it } from 'vitest';
import * as nm from '../../../src/index.ts';
import { createDclModel } from '../../../src/models/dcl-moe.ts';
import { nllFromProbs } from '../../../src/tensor/ops/loss.ts';
import { Adam } from '../../../src/optim/adam.ts';
import { Rng } from '../../../src/tensor/random.ts';
import { reseedDropout } from '../../../src/layers/dropout.ts';
import { registeredBackends } from '../../../src/kernels/backend.ts';
import { activeGpuContext, probeGpu, useBackend } from '../../../src/kernels/gpu/index.ts';
import { DeviceAdam } from '../../../src/kernels/gpu/adam.ts';
import { gpuTestModes } from './gpu-modes.ts';

const F = 16;
const C = 4;
const B = 24;

/** A few seeded Adam steps of DCL-MoE (dropout on: masks come from the engine's Rng on either backend). */
function trainLosses(steps: number): number[] {
  const model = createDclModel({ numFeatures: F, numClasses: C, dropout: 0.2, seed: 11, kind: 'dcl-moe' });
  reseedDropout(model, 11, 1);
  const rng = new Rng(5);
  const x = nm.randn([B, F], { rng }).keep();
  const labels = nm.tensor(Array.from({ length: B }, (_, i) => i % C), { dtype: 'int32' }).keep();
  const opt = new Adam(model.namedParameters(), { lr: 3e-3 });
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    losses.push(
      nm.tidy(() => {
        model.zeroGrad();
        const loss = nllFromProbs(model.predict(x).probs, labels);
        loss.backward();
        opt.step();
        return loss.item();
      }),
    );
  }
  // Free the inputs too: on the GPU backend they were uploaded once and hold device arrays until disposed.
  x.dispose();
  labels.dispose();
  return losses;
}

// Training runs on webasm everywhere and on headless-gl where the probe finds it (scripts/headlessgl.sh), or on
// exactly the modes NETMOE_GPU_MODES names (see gpu-modes.ts).
const MODES = gpuTestModes(['webasm']);
const skipNote = (skip: string | null): string => (skip === null ? '' : ` (skipped: ${skip})`);

describe('GPU backend: probe and useBackend', () => {
  afterEach(() => {
    useBackend('cpu');
  });

  it('the probe reports the mode that really ran, and headless-gl is skipped with its reason when absent', () => {
    const { context, attempts } = probeGpu(['headlessgl', 'webasm']);
    const headless = attempts[0];
    expect(context?.mode).toBe(headless.error === null ? 'headlessgl' : 'webasm');
    if (headless.error !== null) {
      expect(headless.error).toMatch(/headless-gl/);
      expect(attempts.at(-1)).toEqual({ mode: 'webasm', error: null, renderer: null }); // webasm has no device: the host
    }
    context?.dispose();
  });

  it("useBackend: 'gpu' registers the backend, 'cpu' removes it, 'auto' stays on the CPU without a hardware mode", () => {
    const gpu = useBackend('gpu', { modes: ['webasm'] });
    expect(gpu.backend).toBe('webasm');
    expect(registeredBackends()[0]).toBe('gpu');
    expect(activeGpuContext()).toBe(gpu.context);
    useBackend('cpu');
    expect(registeredBackends()).not.toContain('gpu');
    const auto = useBackend('auto', { modes: ['webasm'] });
    expect(auto.backend).toBe('cpu');
    expect(auto.message).toMatch(/auto: only gpu.js 'webasm' works/);
    expect(() => useBackend('gpu', { modes: ['webgpu'] })).toThrow(/--backend gpu: no gpu.js mode works here \(webgpu: /);
  });
});

for (const { mode, skip } of MODES) describe.skipIf(skip !== null)(`GPU backend (gpu.js ${mode})${skipNote(skip)}`, () => {
  afterEach(() => {
    useBackend('cpu');
  });

  it('DCL-MoE training steps give the same losses as on the CPU (float32 tolerance)', () => {
    const cpu = trainLosses(4);
    const { context } = useBackend('gpu', { modes: [mode] });
    const gpu = trainLosses(4);
    expect(context!.stats.calls).toBeGreaterThan(100); // the model really ran on gpu.js
    gpu.forEach((loss, i) => expect(Math.abs(loss - cpu[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpu[i]))));
    expect(gpu.at(-1)).toBeLessThan(gpu[0]);
  });

  it('no device array leaks over many training steps', () => {
    const { context } = useBackend('gpu', { modes: [mode] });
    trainLosses(2);
    const live = context!.stats.liveArrays;
    trainLosses(12);
    // The second run holds no more device arrays than the first: every intermediate was freed.
    expect(context!.stats.liveArrays).toBeLessThanOrEqual(live);
  });
});

for (const { mode, skip } of MODES) describe.skipIf(skip !== null)(`DeviceAdam (the Adam update on the gpu.js ${mode} device)${skipNote(skip)}`, () => {
  afterEach(() => {
    useBackend('cpu');
  });

  it('matches the host Adam step for step, keeps parameters on the device, and checkpoints its moments', () => {
    const cpu = trainLosses(4);
    const { context } = useBackend('gpu', { modes: [mode] });
    const model = createDclModel({ numFeatures: F, numClasses: C, dropout: 0.2, seed: 11, kind: 'dcl-moe' });
    reseedDropout(model, 11, 1);
    const rng = new Rng(5);
    const x = nm.randn([B, F], { rng }).keep();
    const labels = nm.tensor(Array.from({ length: B }, (_, i) => i % C), { dtype: 'int32' }).keep();
    const opt = new DeviceAdam(model.namedParameters(), { lr: 3e-3 }, context!);
    const losses: number[] = [];
    let live = 0;
    for (let s = 0; s < 4; s++) {
      if (s === 2) live = context!.stats.liveArrays;
      losses.push(
        nm.tidy(() => {
          model.zeroGrad();
          const loss = nllFromProbs(model.predict(x).probs, labels);
          loss.backward();
          opt.step();
          return loss.item();
        }),
      );
      // Every parameter is device-resident after the step (the Dense / Conv1D weights are read by GPU kernels).
      for (const p of model.namedParameters()) expect(p.tensor.storage.device, p.name).not.toBeNull();
    }
    losses.forEach((loss, i) => expect(Math.abs(loss - cpu[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpu[i]))));
    // Parameters and moments are the only device arrays that outlive a step: the count is flat.
    expect(context!.stats.liveArrays).toBe(live);
    const state = opt.state();
    expect(state.step).toBe(4);
    const name = model.namedParameters()[0].name;
    expect(state.buffers[name].v.some((v) => v > 0)).toBe(true);
    opt.releaseMoments();
  });
});
