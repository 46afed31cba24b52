// ensureBuiltinDataset: generated once, reused while complete, rebuilt when incomplete.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinDatasetDir, ensureBuiltinDataset, SYNTHETIC_GENERATOR_VERSION, TRAFFIC_CLASSES } from '../../../src/data/synthetic/index.ts';

const root = mkdtempSync(join(tmpdir(), 'netmoe-builtin-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('ensureBuiltinDataset', () => {
  it('lives in the gitignored project cache, keyed by generator version and seed', () => {
    expect(builtinDatasetDir()).toMatch(new RegExp(`[/\\\\]\\.cache[/\\\\]builtin-v${SYNTHETIC_GENERATOR_VERSION}-netmoe$`));
  });

  it('generates once, then reuses the folder; an incomplete folder is rebuilt', () => {
    const dir = join(root, 'builtin');
    expect(ensureBuiltinDataset(dir, { flowsPerClass: 2 })).toBe(dir);
    expect(readdirSync(dir).filter((f) => f !== 'dataset.json').sort()).toEqual(TRAFFIC_CLASSES.map((c) => c.name).sort());
    const manifest = join(dir, 'dataset.json');
    const stamp = statSync(manifest).mtimeMs;
    ensureBuiltinDataset(dir, { flowsPerClass: 2 });
    expect(statSync(manifest).mtimeMs).toBe(stamp); // not regenerated
    unlinkSync(manifest); // as if generation had been interrupted before the manifest
    writeFileSync(join(dir, 'junk.txt'), 'x');
    ensureBuiltinDataset(dir, { flowsPerClass: 2 });
    expect(existsSync(manifest)).toBe(true);
    expect(existsSync(join(dir, 'junk.txt'))).toBe(false);
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('replaces a dataset generated with another size', () => {
    const dir = join(root, 'sized');
    mkdirSync(dir);
    ensureBuiltinDataset(dir, { flowsPerClass: 1 });
    ensureBuiltinDataset(dir, { flowsPerClass: 2 });
    const manifest = JSON.parse(readFileSync(join(dir, 'dataset.json'), 'utf8')) as { flowsPerClass: number; classes: { flows: number }[] };
    expect(manifest.flowsPerClass).toBe(2);
    expect(manifest.classes.every((c) => c.flows === 2)).toBe(true);
  });
});
