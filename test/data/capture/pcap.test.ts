// Classic pcap: byte orders, timestamp resolutions, truncation, zero padding, and the file errors with their offsets.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCaptureBytes, readCaptureFile } from '../../../src/data/capture/index.ts';
import { CaptureFormatError } from '../../../src/data/types.ts';
import type { DecodedPacket } from '../../../src/data/types.ts';
import { bytesOf, concat, ethernet, ipv4, pcapFile, readAll, sampleTcpFrame, snapshot, tcp, u32 } from './fixtures.ts';

function expectFormatError(fn: () => unknown, offset: number, reason: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(CaptureFormatError);
  const err = caught as CaptureFormatError;
  expect(err.offset).toBe(offset);
  expect(err.reason).toMatch(reason);
  expect(err.message).toContain(err.file);
}

describe('classic pcap', () => {
  for (const littleEndian of [true, false]) {
    for (const nano of [false, true]) {
      it(`reads ${littleEndian ? 'little' : 'big'}-endian ${nano ? 'nanosecond' : 'microsecond'} files`, () => {
        const payload = bytesOf(10);
        const ts = 1_700_000_000.123456; // exactly representable in µs; ns adds 3 zero digits
        const bytes = pcapFile({ littleEndian, nano, records: [{ ts, data: sampleTcpFrame(payload) }, { ts: ts + 1, data: sampleTcpFrame() }] });
        const { packets, warnings, stats } = readAll(bytes);
        expect(warnings).toEqual([]);
        expect(stats).toMatchObject({ format: 'pcap', frames: 2, packets: 2, linkTypes: { 1: 2 }, protocols: { 6: 2 }, bytesRead: bytes.length });
        const p = packets[0];
        expect(p.timestamp).toBeCloseTo(ts, 6);
        expect(packets[1].timestamp - p.timestamp).toBeCloseTo(1, 6);
        expect(p).toMatchObject({ srcIp: '10.0.0.1', dstIp: '10.0.0.2', srcPort: 40000, dstPort: 443, protocol: 6, ipVersion: 4, tcpFlags: 0x18 });
        expect(p.ipLength).toBe(20 + 20 + 10);
        expect(p.headerBytes.length).toBe(40);
        expect(p.payloadLength).toBe(10);
        expect(Array.from(p.payloadBytes)).toEqual(Array.from(payload));
        expect(p.fileOffset).toBe(24);
        expect(p.frameIndex).toBe(0);
      });
    }
  }

  it('keeps nanosecond precision beyond microseconds', () => {
    const bytes = pcapFile({ nano: true, records: [{ ts: 1000.000000789, data: sampleTcpFrame() }] });
    expect(readAll(bytes).packets[0].timestamp).toBeCloseTo(1000.000000789, 9);
  });

  it('accepts version 2.x minor numbers other than 4', () => {
    const bytes = pcapFile({ version: [2, 1], records: [{ ts: 1, data: sampleTcpFrame() }] });
    expect(readAll(bytes).stats.packets).toBe(1);
  });

  it('warns about a truncated final record, keeps the records before it and decodes what is present of it', () => {
    const full = pcapFile({ records: [{ ts: 1, data: sampleTcpFrame() }, { ts: 2, data: sampleTcpFrame(bytesOf(200)) }] });
    const cut = full.subarray(0, full.length - 150);
    const { packets, warnings, stats } = readAll(cut);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toMatch(/truncated final record.*announces 254 captured bytes, only 104 are present/);
    expect(warnings[0].offset).toBe(24 + 16 + sampleTcpFrame().length);
    expect(stats.frames).toBe(2);
    expect(packets).toHaveLength(2);
    // The cut record reads as a snap-cut frame: lengths from the headers, bytes as present.
    expect(packets[1]).toMatchObject({ capturedLength: 104, wireLength: 254, payloadLength: 200 });
    expect(packets[1].payloadBytes.length).toBe(104 - 14 - 40);
  });

  it('warns about a truncated record header', () => {
    const full = pcapFile({ records: [{ ts: 1, data: sampleTcpFrame() }] });
    const cut = concat(full, [1, 2, 3, 4, 5]);
    const { packets, warnings } = readAll(cut);
    expect(packets).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toMatch(/only 5 of its 16 header bytes/);
  });

  it('treats zero padding after the last record as the end of the capture (USTC-TFC2016 rows)', () => {
    const body = pcapFile({ records: [{ ts: 5, data: sampleTcpFrame() }, { ts: 6, data: sampleTcpFrame() }] });
    const row = new Uint8Array(784);
    row.set(body);
    const { packets, warnings } = readAll(row);
    expect(packets).toHaveLength(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toMatch(/zero padding/);
    expect(warnings[0].offset).toBe(body.length);
  });

  it('rejects a bad magic number', () => {
    const bytes = pcapFile({ records: [{ ts: 1, data: sampleTcpFrame() }] });
    bytes[0] = 0x12;
    expectFormatError(() => readAll(bytes), 0, /bad magic 0x12c3b2a1: not a pcap or pcapng file/);
  });

  it('names gzip input in the bad-magic error', () => {
    expectFormatError(() => readAll(Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0])), 0, /gzip-compressed/);
  });

  it('rejects inputs too short for any header', () => {
    expectFormatError(() => readAll(Uint8Array.from([0xd4, 0xc3])), 0, /too short/);
    expectFormatError(() => readAll(pcapFile({ records: [] }).subarray(0, 20)), 0, /ends inside the pcap global header \(20 of 24 bytes\)/);
  });

  it('rejects an unsupported version', () => {
    const bytes = pcapFile({ version: [3, 0], records: [] });
    expectFormatError(() => readAll(bytes), 4, /unsupported pcap version 3\.0/);
  });

  it('rejects a record longer than the snap length, naming the offset of the length field', () => {
    const bytes = pcapFile({ snapLength: 64, records: [{ ts: 1, data: sampleTcpFrame() }, { ts: 2, data: sampleTcpFrame(bytesOf(100)) }] });
    expectFormatError(() => readAll(bytes), 24 + 16 + 64 + 8, /record length 154 exceeds the file's snap length 64/);
  });

  it('rejects an absurd record length instead of waiting for gigabytes', () => {
    const bytes = pcapFile({ snapLength: 0, records: [{ ts: 1, data: sampleTcpFrame(), capLen: 0x7fffffff }] });
    expectFormatError(() => readAll(bytes), 32, /record length 2147483647 is absurdly large/);
  });

  it('makes every CaptureFormatError message name file, offset and reason', () => {
    const bytes = pcapFile({ records: [] });
    bytes[3] = 0;
    try {
      readCaptureBytes('my-trace.pcap', bytes, { onPacket: () => undefined });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toBe('my-trace.pcap: at byte 0: bad magic 0xd4c3b200: not a pcap or pcapng file');
    }
  });
});

describe('streaming from a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netmoe-pcap-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the same packets as the in-memory reader when records straddle buffer refills', async () => {
    // 300 records of varied size through a 4 KiB buffer: most reads end inside a record.
    const records = Array.from({ length: 300 }, (_, i) => ({ ts: 100 + i * 0.01, data: sampleTcpFrame(bytesOf((i * 37) % 700, i)) }));
    const bytes = pcapFile({ records });
    const path = join(dir, 'many.pcap');
    writeFileSync(path, bytes);
    const fromFile: DecodedPacket[] = [];
    const stats = await readCaptureFile(path, { onPacket: (p) => fromFile.push(snapshot(p)) }, { chunkBytes: 4096 });
    const fromBytes = readAll(bytes).packets;
    expect(stats.packets).toBe(300);
    expect(stats.bytesRead).toBe(bytes.length);
    expect(fromFile.map((p) => [p.fileOffset, p.timestamp, Array.from(p.payloadBytes)])).toEqual(
      fromBytes.map((p) => [p.fileOffset, p.timestamp, Array.from(p.payloadBytes)]),
    );
  });

  it('grows the buffer for a record larger than it (jumbo frame)', async () => {
    const jumbo = ethernet(ipv4({ protocol: 6, payload: tcp({ sport: 1, dport: 2, payload: bytesOf(8000) }) }));
    const bytes = pcapFile({ records: [{ ts: 1, data: sampleTcpFrame() }, { ts: 2, data: jumbo }, { ts: 3, data: sampleTcpFrame() }] });
    const path = join(dir, 'jumbo.pcap');
    writeFileSync(path, bytes);
    const lengths: number[] = [];
    await readCaptureFile(path, { onPacket: (p) => lengths.push(p.payloadBytes.length) }, { chunkBytes: 4096 });
    expect(lengths).toEqual([10, 8000, 10]);
  });

  it('reports truncation and errors from files exactly as from bytes', async () => {
    const bytes = pcapFile({ records: [{ ts: 1, data: sampleTcpFrame() }, { ts: 2, data: sampleTcpFrame() }] });
    const path = join(dir, 'cut.pcap');
    writeFileSync(path, bytes.subarray(0, bytes.length - 3));
    const messages: string[] = [];
    const stats = await readCaptureFile(path, { onPacket: () => undefined, onWarning: (w) => messages.push(w.message) });
    expect(stats.frames).toBe(2);
    expect(messages[0]).toMatch(/truncated final record/);

    const bad = join(dir, 'bad.pcap');
    writeFileSync(bad, concat(u32(0xdeadbeef), bytes.subarray(4)));
    await expect(readCaptureFile(bad, { onPacket: () => undefined })).rejects.toBeInstanceOf(CaptureFormatError);
    const empty = join(dir, 'empty.pcap');
    writeFileSync(empty, new Uint8Array(0));
    await expect(readCaptureFile(empty, { onPacket: () => undefined })).rejects.toThrow(/0 bytes is too short/);
  });
});
