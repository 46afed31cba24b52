// Checkpoints: round trip, integrity checks, clear errors for the wrong model, atomic writes, optimiser state.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '../../src/layers/module.ts';
import { glorotUniform, zeros } from '../../src/tensor/creation.ts';
import { Rng } from '../../src/tensor/random.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { add, mul } from '../../src/tensor/ops/elementwise.ts';
import { loadParameters, readCheckpoint, readTrainingState, saveCheckpoint, saveTrainingState } from '../../src/train/checkpoint.ts';
import { Adam } from '../../src/optim/adam.ts';

class Tiny extends Module {
  readonly w: Tensor;
  readonly b: Tensor;
  constructor(seed: number, width = 3) {
    super();
    this.w = this.addParameter('w', glorotUniform([2, width], { rng: new Rng(seed) }));
    this.b = this.addParameter('b', zeros([width]), { decay: false });
  }
  forward(x: Tensor): Tensor {
    return add(mul(x, 1), this.b);
  }
}

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'netmoe-ckpt-'));

describe('checkpoints', () => {
  it('round-trips parameters and metadata', () => {
    const dir = tempDir();
    const a = new Tiny(1);
    saveCheckpoint(dir, a, { kind: 'tiny', classNames: ['x', 'y'] });
    const b = new Tiny(2);
    expect(b.w.toFlatArray()).not.toEqual(a.w.toFlatArray());
    const { manifest, weights } = readCheckpoint<{ kind: string; classNames: string[] }>(dir);
    expect(manifest.meta.classNames).toEqual(['x', 'y']);
    loadParameters(b, manifest, weights);
    expect(b.w.toFlatArray()).toEqual(a.w.toFlatArray());
    // Atomic writes leave no temp files behind.
    expect(readdirSync(dir).sort()).toEqual(['manifest.json', manifest.weightsFile]);
    // Saving again replaces the weights file; the old one goes once the new manifest names the new one.
    b.w.values[0] += 1;
    const second = saveCheckpoint(dir, b, {});
    expect(readdirSync(dir).sort()).toEqual(['manifest.json', second.weightsFile]);
  });

  it('a save interrupted after writing the new weights leaves the previous checkpoint readable', () => {
    const dir = tempDir();
    const a = new Tiny(1);
    saveCheckpoint(dir, a, { n: 1 });
    writeFileSync(join(dir, 'weights-0123456789abcdef.bin'), new Uint8Array(24)); // the new save's data, no manifest yet
    const { manifest, weights } = readCheckpoint<{ n: number }>(dir);
    expect(manifest.meta.n).toBe(1);
    const b = new Tiny(2);
    loadParameters(b, manifest, weights);
    expect(b.w.toFlatArray()).toEqual(a.w.toFlatArray());
  });

  it('detects weights that do not match the manifest', () => {
    const dir = tempDir();
    const { weightsFile } = saveCheckpoint(dir, new Tiny(1), {});
    const bytes = readFileSync(join(dir, weightsFile));
    bytes[0] ^= 0xff;
    writeFileSync(join(dir, weightsFile), bytes);
    expect(() => readCheckpoint(dir)).toThrow(/SHA-256 differs/);
  });

  it('names the parameter whose shape differs', () => {
    const dir = tempDir();
    saveCheckpoint(dir, new Tiny(1, 3), {});
    const { manifest, weights } = readCheckpoint(dir);
    expect(() => loadParameters(new Tiny(1, 4), manifest, weights)).toThrow(/parameter 'w' has shape \[2,3\] in the checkpoint, the model expects \[2,4\]/);
  });

  it('explains a missing or foreign directory', () => {
    expect(() => readCheckpoint(tempDir())).toThrow(/manifest.json not found/);
    const dir = tempDir();
    writeFileSync(join(dir, 'manifest.json'), '{"format":"other"}');
    expect(() => readCheckpoint(dir)).toThrow(/not a netmoe checkpoint/);
  });

  it('saves and restores the optimiser state for --resume', () => {
    const dir = tempDir();
    const model = new Tiny(1);
    const params = model.namedParameters();
    for (const p of params) p.tensor.grad = zeros(p.tensor.shape).add(0.5);
    const opt = new Adam(params, { lr: 0.01 });
    opt.step();
    saveTrainingState(dir, { epoch: 3, history: [1, 2, 3], bestValLoss: 0.25, epochsWithoutImprovement: 1 }, opt.state());
    const restored = readTrainingState<number[]>(dir, false)!;
    expect(restored.state.epoch).toBe(3);
    expect(restored.state.history).toEqual([1, 2, 3]);
    const opt2 = new Adam(params, { lr: 0.01 });
    opt2.loadState(restored.optimizer);
    expect(opt2.stepCount).toBe(1);
    expect(Array.from(opt2.state().buffers.w.m)).toEqual(Array.from(opt.state().buffers.w.m));
  });
});
