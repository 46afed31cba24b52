// The `data inspect` report and the `data` command's argument handling.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src/data/synthetic/index.ts';
import { formatTable, inspectDataset, loadDataset } from '../../src/data/sources/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'netmoe-inspect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TSX = join('node_modules', '.bin', 'tsx');

describe('inspect report', () => {
  it('aligns tables: text left, numbers right with separators', () => {
    expect(formatTable(['class', 'flows'], [['a', 1200], ['bbbb', 5]])).toBe(['class  flows', '-----  -----', 'a      1,200', 'bbbb       5'].join('\n'));
  });

  it('lists per-class counts, link types, protocols and warnings of a capture folder', async () => {
    generateSyntheticDataset(join(dir, 'set'), { seed: 'inspect', flowsPerClass: 3, classes: ['dns', 'chat'] });
    const report = inspectDataset(await loadDataset(join(dir, 'set')));
    const lines = report.split('\n');
    expect(lines[0]).toMatch(/capture-folder, 6 flows, 2 classes$/);
    expect(lines.find((l) => l.startsWith('chat'))).toMatch(/^chat\s+3\s+[\d,]+\s+[\d,]+\s+3\s+0\s+0\s+ETHERNET$/);
    expect(lines.find((l) => l.startsWith('dns'))).toMatch(/^dns\s+3\s+\d+\s+[\d,]+\s+0\s+3\s+0\s+ETHERNET$/);
    expect(report).toMatch(/ETHERNET \(1\)/);
    expect(report).toMatch(/TCP \(6\)/);
    expect(report).toMatch(/UDP \(17\)/);
    expect(report).toMatch(/warnings: 0/);
  });

  it('runs as a command and rejects unknown flags with usage and exit code 2', () => {
    const ok = execFileSync(TSX, ['src/cli/data.ts', 'inspect', '../shared/data/certta/TIISSRC23'], { encoding: 'utf8' });
    expect(ok).toMatch(/certta, 480 flows, 5 classes/);
    const bad = spawnSync(TSX, ['src/cli/data.ts', 'inspect', '--bogus'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/data: Unknown option '--bogus'\n\nUsage: npm run data -- <command>/);
    const badNumber = spawnSync(TSX, ['src/cli/data.ts', 'inspect', 'x', '--rows-per-class', '0'], { encoding: 'utf8' });
    expect(badNumber.stderr).toMatch(/--rows-per-class: expected a positive integer, got '0'/);
    const missing = spawnSync(TSX, ['src/cli/data.ts', 'inspect', join(dir, 'nope')], { encoding: 'utf8' });
    expect([missing.status, missing.stderr.trim()]).toEqual([1, `data: ${join(dir, 'nope')}: no such file or folder`]);
  });
});
