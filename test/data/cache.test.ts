// Feature cache: keys from content and configuration, hit/miss, corrupt entries recomputed, atomic files.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureCache, cacheKey, fingerprintInput, stableStringify } from '../../src/data/cache.ts';
import { generateSyntheticDataset } from '../../src/data/synthetic/index.ts';
import { loadDclInputs } from '../../src/data/sources/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'netmoe-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cache keys', () => {
  it('hash file content, not mtime, and the configuration with sorted keys', () => {
    const file = join(dir, 'input.bin');
    writeFileSync(file, 'abc');
    const before = fingerprintInput(file);
    utimesSync(file, new Date(0), new Date(0));
    expect(fingerprintInput(file)).toBe(before); // small files: content decides
    writeFileSync(file, 'abd');
    expect(fingerprintInput(file)).not.toBe(before);
    expect(stableStringify({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    expect(cacheKey('f', { x: 1, y: 2 })).toBe(cacheKey('f', { y: 2, x: 1 }));
    expect(cacheKey('f', { x: 1 })).not.toBe(cacheKey('f', { x: 2 }));
  });
});

describe('FeatureCache', () => {
  const cache = new FeatureCache(join(dir, 'entries'));
  const key = cacheKey('input', { set: 'packet-sequence' });
  const entry = { meta: { classNames: ['a', 'b'] }, arrays: { x: Float32Array.of(1.5, -2, 3), labels: Int32Array.of(0, 1, 1) } };

  it('misses, stores, then hits with identical contents', async () => {
    let computed = 0;
    const first = await cache.getOrCompute(key, () => (computed++, entry));
    expect(first.hit).toBe(false);
    const second = await cache.getOrCompute(key, () => (computed++, entry));
    expect(second.hit).toBe(true);
    expect(computed).toBe(1);
    expect(second.entry.meta).toEqual({ classNames: ['a', 'b'] });
    expect(Array.from(second.entry.arrays.x as Float32Array)).toEqual([1.5, -2, 3]);
    expect(second.entry.arrays.labels).toBeInstanceOf(Int32Array);
    expect(readdirSync(cache.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]); // the temp file was renamed away
  });

  it('discards a corrupt entry and recomputes instead of crashing', async () => {
    const path = cache.pathOf(key);
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] ^= 0xff; // flip a payload byte: the checksum no longer matches
    writeFileSync(path, bytes);
    const again = await cache.getOrCompute(key, () => entry);
    expect(again.hit).toBe(false);
    expect(cache.corruptEntries).toBe(1);
    writeFileSync(path, 'garbage'); // not even the magic
    expect(cache.get(key)).toBeNull();
    writeFileSync(path, Buffer.concat([Buffer.from('NMFC'), Buffer.from([200, 0, 0, 0]), Buffer.from('{')])); // truncated header
    expect(cache.get(key)).toBeNull();
    expect(cache.corruptEntries).toBe(3);
  });

  it('caches a dataset’s DCL inputs and recomputes when the captures change', async () => {
    const data = join(dir, 'data');
    generateSyntheticDataset(data, { seed: 'c', flowsPerClass: 3, classes: ['dns', 'voip'] });
    const options = { cache: new FeatureCache(join(dir, 'dcl')) };
    const a = await loadDclInputs(data, options);
    const b = await loadDclInputs(data, options);
    expect([a.cacheHit, b.cacheHit]).toEqual([false, true]);
    expect(Array.from(b.features.data)).toEqual(Array.from(a.features.data));
    expect([b.features.rows, b.features.cols, b.classNames]).toEqual([6, 40, ['dns', 'voip']]);
    const stats = await loadDclInputs(data, { ...options, featureSet: 'flow-statistics' });
    expect(stats.cacheHit).toBe(false); // another configuration, another key
    generateSyntheticDataset(data, { seed: 'changed', flowsPerClass: 3, classes: ['dns'] });
    expect((await loadDclInputs(data, options)).cacheHit).toBe(false);
    // A label file is part of the input: editing it must not serve the old labels.
    const capture = join(data, 'dns', '0.pcap');
    const labels = join(dir, 'labels.csv');
    writeFileSync(labels, 'flow,label\n0,a\n1,b\n');
    const before = await loadDclInputs(capture, { ...options, load: { labels } });
    writeFileSync(labels, 'flow,label\n0,a\n1,a\n');
    const after = await loadDclInputs(capture, { ...options, load: { labels } });
    expect([before.cacheHit, after.cacheHit, before.classNames, after.classNames]).toEqual([false, false, ['a', 'b'], ['a']]);
  });
});
