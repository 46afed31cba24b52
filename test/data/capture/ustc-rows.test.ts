// USTC-TFC2016 rows (each the first 784 bytes of one session's pcap, zero-padded) parse as truncated captures and
// give back their first packets with sane timestamps.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readCaptureBytes } from '../../../src/data/capture/index.ts';
import type { CaptureWarning } from '../../../src/data/types.ts';

const DIR = '../shared/data/ustc-tfc2016';
const ROW = 784;

/** A test-local MNIST idx3 reader: magic 2051, count, 28, 28 (big-endian), then `count` rows of 784 bytes. */
function idxRows(file: string): { count: number; row(i: number): Uint8Array } {
  const bytes = gunzipSync(readFileSync(file));
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(dv.getUint32(0)).toBe(2051);
  expect([dv.getUint32(8), dv.getUint32(12)]).toEqual([28, 28]);
  const count = dv.getUint32(4);
  expect(bytes.length).toBe(16 + count * ROW);
  return { count, row: (i) => bytes.subarray(16 + i * ROW, 16 + (i + 1) * ROW) };
}

describe('USTC-TFC2016 rows through readCaptureBytes', () => {
  for (const part of ['Benign', 'Malware']) {
    it(`recovers the first packets of 200 ${part.toLowerCase()} rows`, () => {
      const rows = idxRows(`${DIR}/10class_${part}_SessionAllLayers-images-idx3-ubyte.gz`);
      const nowSeconds = Date.now() / 1000;
      const perRow: number[] = [];
      const warningKinds = new Set<string>();
      // 200 rows spread over the whole file, so every class is visited.
      for (let k = 0; k < 200; k++) {
        const i = Math.floor((k * rows.count) / 200);
        const timestamps: number[] = [];
        const warnings: CaptureWarning[] = [];
        const stats = readCaptureBytes(`${part}#${i}`, rows.row(i), {
          onPacket: (p) => {
            timestamps.push(p.timestamp);
            expect(p.protocol === 6 || p.protocol === 17).toBe(true);
            expect(p.headerBytes.length).toBeGreaterThanOrEqual(28);
          },
          onWarning: (w) => warnings.push(w),
        });
        // A row ends inside a record (truncation), in zero padding, or (rarely) exactly at a record boundary:
        // at most one warning, never an error.
        expect(warnings.length).toBeLessThanOrEqual(1);
        const m = warnings[0]?.message ?? 'exact fit';
        warningKinds.add(/zero padding/.test(m) ? 'padding' : /truncated final record/.test(m) ? 'truncated' : m);
        expect(stats.linkTypes).toEqual({ 1: stats.frames });
        expect(timestamps.length).toBeGreaterThanOrEqual(1);
        for (const t of timestamps) {
          expect(Number.isFinite(t)).toBe(true);
          expect(t).toBeGreaterThanOrEqual(0); // benign rows carry session-relative times near 1970; malware ones real dates
          expect(t).toBeLessThan(nowSeconds);
        }
        // The first packets of one session usually span seconds; SplitCap groups sessions by 5-tuple, so a reused
        // port can stretch one over weeks (one malware row spans 21 days), but never over years.
        expect(Math.max(...timestamps) - Math.min(...timestamps)).toBeLessThan(90 * 86400);
        perRow.push(timestamps.length);
      }
      const mean = perRow.reduce((a, b) => a + b, 0) / perRow.length;
      console.log(`USTC ${part}: packets per row min ${Math.min(...perRow)}, mean ${mean.toFixed(2)}, max ${Math.max(...perRow)}`);
      expect([...warningKinds].filter((k) => k !== 'exact fit').sort()).toEqual(['padding', 'truncated']);
      expect(mean).toBeGreaterThan(1.5);
    });
  }
});
