// USTC-TFC2016 idx rows decoded through the capture reader into the 20-class task.
import { gzipSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset, loadUstcIdx, parseIdx, USTC_BENIGN_CLASSES, USTC_MALWARE_CLASSES } from '../../../src/data/sources/index.ts';

const ROOT = '../shared/data/ustc-tfc2016';

describe('USTC-TFC2016 idx loader', () => {
  it('combines benign 0-9 and malware 10-19 and recovers the first packets of each row', () => {
    const d = loadUstcIdx(ROOT, { rowsPerClass: 15 });
    expect(d.classNames).toEqual([...USTC_BENIGN_CLASSES, ...USTC_MALWARE_CLASSES]);
    expect(d.classNames.length).toBe(20);
    for (let c = 0; c < 20; c++) expect(d.labels.filter((l) => l === c).length, d.classNames[c]).toBe(15);
    for (const flow of d.flows) {
      expect(flow.packets.length).toBeGreaterThan(0);
      const p = flow.packets[0]!;
      expect(p.headerBytes.length).toBeGreaterThanOrEqual(28); // IPv4 + at least a UDP header
      expect(p.ipLength).toBeGreaterThan(0);
      expect(p.timestamp).toBeGreaterThan(0); // the record header's timestamp (not always a real epoch in this set)
      for (let k = 1; k < flow.packets.length; k++) expect(flow.packets[k]!.timestamp).toBeGreaterThanOrEqual(flow.packets[k - 1]!.timestamp);
    }
    // Sessions with small packets keep several of them inside the 784-byte row (World of Warcraft, Cridex...).
    const wow = d.flows.filter((_, i) => d.labels[i] === USTC_BENIGN_CLASSES.indexOf('WorldOfWarcraft'));
    expect(Math.min(...wow.map((f) => f.packets.length))).toBeGreaterThanOrEqual(3);
    expect(d.captures.length).toBe(2);
    expect(d.captures[0]!.stats.linkTypes[1]).toBeGreaterThan(0); // Ethernet frames
  });

  it('reads every row of both sets as one session flow (11,414 rows)', () => {
    const d = loadUstcIdx(ROOT);
    expect(d.flows.length).toBe(5680 + 5734);
    // Rows whose session retried a connection (SYN, SYN, RST, SYN...) stay one flow per 5-tuple, as SplitCap cut them.
    expect(d.warnings.some((w) => /more than one flow/.test(w.message))).toBe(false);
    expect(d.warnings.some((w) => /no IP flow/.test(w.message))).toBe(false);
  });

  it('is detected by loadDataset from the folder', async () => {
    const d = await loadDataset(ROOT, { ustc: { rowsPerClass: 2 } });
    expect(d.kind === 'flows' && d.format).toBe('ustc-idx');
    expect(d.classNames.length).toBe(20);
  });

  it('checks magic numbers and sizes', () => {
    const bad = Uint8Array.of(0, 0, 8, 2, 0, 0, 0, 1); // magic 2050
    expect(() => parseIdx(bad, 'x.gz', 2051)).toThrow('x.gz: not an idx file with magic 2051 (found 2050)');
    const short = Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 5, 1, 2); // says 5 labels, has 2
    expect(() => parseIdx(short, 'y.gz', 2049)).toThrow(/header says 5 bytes of data, file has 2/);
    expect(parseIdx(Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 2, 7, 9), 'z', 2049)).toEqual({ dims: [2], data: Uint8Array.of(7, 9) });
  });

  it('refuses a set whose labels file is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netmoe-idx-'));
    try {
      writeFileSync(join(dir, 'x-images-idx3-ubyte.gz'), gzipSync(Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28)));
      expect(() => loadUstcIdx(dir)).toThrow(/its labels file x-labels-idx1-ubyte.gz is missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
