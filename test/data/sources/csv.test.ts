// CSV parsing and the CSV feature-table loader's errors (file, line, column).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCsvFeatures, loadDataset, parseCsv } from '../../../src/data/sources/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'netmoe-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function csvFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, CRLF, embedded newlines and keeps record line numbers', () => {
    const records = parseCsv('\ufeffa,b\r\n"x, y","say ""hi"""\r\n\r\n"multi\nline",2\n3,\n');
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 4, fields: ['multi\nline', '2'] },
      { line: 6, fields: ['3', ''] },
    ]);
  });

  it('reports an unterminated quote with the line it opened on', () => {
    expect(() => parseCsv('a\n"open,\n\n', 'f.csv')).toThrow('f.csv: line 2: unterminated quoted field');
  });
});

describe('loadCsvFeatures', () => {
  it('reads features and labels with configurable columns', () => {
    const path = csvFile('ok.csv', 'id,app,bytes,"mean iat"\nf1,web,100,0.5\nf2,"video, HD",2000,1.5\nf3,web,150,0.25\n');
    const table = loadCsvFeatures(path, { labelColumn: 'app', ignoreColumns: ['id'] });
    expect(table.classNames).toEqual(['video, HD', 'web']);
    expect(Array.from(table.labels)).toEqual([1, 0, 1]);
    expect(table.features.names).toEqual(['bytes', 'mean iat']);
    expect(Array.from(table.features.data)).toEqual([100, 0.5, 2000, 1.5, 150, 0.25]);
    const chosen = loadCsvFeatures(path, { labelColumn: 'app', featureColumns: ['mean iat'] });
    expect([chosen.features.rows, chosen.features.cols]).toEqual([3, 1]);
  });

  it('names file, line and column for a missing column', () => {
    const path = csvFile('missing.csv', 'a,b\n1,2\n');
    expect(() => loadCsvFeatures(path)).toThrow(`${path}: line 1: missing column "label" (columns: a, b)`);
    expect(() => loadCsvFeatures(path, { labelColumn: 'a', featureColumns: ['c'] })).toThrow(/line 1: missing column "c"/);
  });

  it('names file, line and column for a non-numeric or empty value', () => {
    // The quoted field spans lines 3-4, so the bad row starts on line 5.
    const path = csvFile('bad.csv', 'label,x,y\nweb,1,2\n"multi\nline",3,4\nweb,5,abc\n');
    expect(() => loadCsvFeatures(path)).toThrow(`${path}: line 5: column "y": not a number: "abc"`);
    const empty = csvFile('empty.csv', 'label,x\nweb,\n');
    expect(() => loadCsvFeatures(empty)).toThrow(/line 2: column "x": not a number: ""/);
    const short = csvFile('short.csv', 'label,x\nweb\n');
    expect(() => loadCsvFeatures(short)).toThrow(/line 2: 1 fields, the header has 2/);
  });

  it('is what loadDataset returns for a .csv path, and unknown kinds get a clear error', async () => {
    const path = csvFile('table.csv', 'label,x\na,1\nb,2\n');
    const data = await loadDataset(path);
    expect(data.kind).toBe('features');
    const odd = csvFile('notes.txt', 'hello');
    await expect(loadDataset(odd)).rejects.toThrow(/unknown dataset kind; expected a folder of captures/);
  });
});
