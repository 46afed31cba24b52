// Seeded fuzzing: real captures mutated 5000 times (truncation, corrupted length fields, wrong magic, huge
// snap lengths, byte flips, inserted garbage) must each either parse or raise CaptureFormatError, and quickly.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../../src/data/capture/index.ts';
import { readFlowsFromBytes } from '../../../src/data/flows/index.ts';
import { CaptureFormatError } from '../../../src/data/types.ts';

const DIR = '../shared/data/ndpi-pcaps/pcap';
// Small captures covering both formats, both pcapng byte-order paths' logic, several interfaces, and the link types.
const SOURCES = [
  'telnet.pcap', // Ethernet, malformed packets inside
  'rtcp_multiple_pkts_in_the_same_datagram.pcap', // Linux cooked
  'nats.pcap', // BSD null
  'codm.pcap', // raw IP
  'dlt_ppp.pcap', // PPP
  'ah.pcapng',
  'steam.pcapng', // four interfaces
  'quic-33.pcapng', // decryption-secrets block
  'google_chat.pcapng', // statistics block
  'dnscrypt-v2.pcap',
].map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(DIR, f))) }));

type Mutation = (b: Uint8Array, rng: () => number) => Uint8Array;
const int = (rng: () => number, n: number): number => Math.floor(rng() * n);

const MUTATIONS: Record<string, Mutation> = {
  truncate: (b, rng) => b.slice(0, int(rng, b.length)),
  corruptWord: (b, rng) => {
    // Aligned 32-bit fields are where lengths live in both formats; write a hostile value there.
    const c = b.slice();
    const at = 4 * int(rng, Math.floor(c.length / 4));
    const values = [0, 1, 0xffffffff, 0x7fffffff, 0x10000, int(rng, 0x100000000), int(rng, 2000)];
    new DataView(c.buffer).setUint32(at, values[int(rng, values.length)], rng() < 0.5);
    return c;
  },
  wrongMagic: (b, rng) => {
    const c = b.slice();
    c[int(rng, 4)] ^= 1 + int(rng, 255);
    return c;
  },
  hugeSnapLength: (b, rng) => {
    const c = b.slice();
    // Classic pcap: the snap length field; pcapng: the first interface block's snap length (offset 28 + 12).
    const at = c[0] === 0x0a ? 40 : 16;
    if (c.length >= at + 4) new DataView(c.buffer).setUint32(at, rng() < 0.5 ? 0xffffffff : 0, true);
    return c;
  },
  flipBytes: (b, rng) => {
    const c = b.slice();
    const n = 1 + int(rng, 16);
    for (let i = 0; i < n; i++) c[int(rng, c.length)] ^= 1 << int(rng, 8);
    return c;
  },
  insertGarbage: (b, rng) => {
    const at = int(rng, b.length);
    const n = rng() < 0.5 ? 4 * (1 + int(rng, 16)) : 1 + int(rng, 64);
    const garbage = Uint8Array.from({ length: n }, () => int(rng, 256));
    if (rng() < 0.5 && n >= 12) {
      // A plausible-looking block header so the pcapng parser takes it seriously.
      const dv = new DataView(garbage.buffer);
      dv.setUint32(0, int(rng, 16), true);
      dv.setUint32(4, n, true);
      dv.setUint32(n - 4, rng() < 0.7 ? n : n + 4, true);
    }
    const c = new Uint8Array(b.length + n);
    c.set(b.subarray(0, at));
    c.set(garbage, at);
    c.set(b.subarray(at), at + n);
    return c;
  },
};

describe('fuzzed captures', () => {
  it('either parse (into flows) or raise CaptureFormatError, for 5000 seeded mutations', () => {
    const rng = seedrandom('netmoe-capture-fuzz-1');
    const names = Object.keys(MUTATIONS);
    const outcome: Record<string, { parsed: number; formatError: number }> = {};
    const started = performance.now();
    for (let i = 0; i < 5000; i++) {
      const source = SOURCES[int(rng, SOURCES.length)];
      const kind = names[int(rng, names.length)];
      let mutated = MUTATIONS[kind](source.bytes, rng);
      if (rng() < 0.2) mutated = MUTATIONS[names[int(rng, names.length)]](mutated, rng); // sometimes two at once
      const o = (outcome[kind] ??= { parsed: 0, formatError: 0 });
      try {
        const { stats, flows } = readFlowsFromBytes(`${source.name}~${kind}#${i}`, mutated, { maxPacketWarnings: 2 });
        expect(stats.packets).toBeLessThanOrEqual(stats.frames);
        expect(flows.reduce((n, f) => n + f.packetsClientToServer + f.packetsServerToClient, 0)).toBeLessThanOrEqual(stats.packets);
        o.parsed++;
      } catch (e) {
        if (!(e instanceof CaptureFormatError)) {
          throw new Error(`mutation ${i} (${kind} of ${source.name}) threw ${(e as Error).name}: ${(e as Error).stack}`);
        }
        expect(e.offset).toBeGreaterThanOrEqual(0);
        expect(e.offset).toBeLessThanOrEqual(mutated.length);
        o.formatError++;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`fuzz: 5000 mutations in ${seconds.toFixed(1)} s`, JSON.stringify(outcome));
    // Each mutation kind must have exercised both outcomes (except wrong magic, which can only be an error), or the
    // fuzzer is not probing the reader.
    for (const kind of names) {
      expect(outcome[kind].formatError, kind).toBeGreaterThan(0);
      if (kind !== 'wrongMagic') expect(outcome[kind].parsed, kind).toBeGreaterThan(0);
    }
    expect(seconds).toBeLessThan(20);
  });

  it('behaves the same through the streaming file reader with a small buffer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netmoe-fuzz-'));
    try {
      const rng = seedrandom('netmoe-capture-fuzz-2');
      const names = Object.keys(MUTATIONS);
      for (let i = 0; i < 60; i++) {
        const source = SOURCES[int(rng, SOURCES.length)];
        const mutated = MUTATIONS[names[int(rng, names.length)]](source.bytes, rng);
        const path = join(dir, `m${i}`);
        writeFileSync(path, mutated);
        let fileOutcome: string;
        try {
          const s = await readCaptureFile(path, { onPacket: () => undefined }, { chunkBytes: 4096 });
          fileOutcome = `ok ${s.frames} ${s.packets} ${s.malformedPackets}`;
        } catch (e) {
          if (!(e instanceof CaptureFormatError)) throw e;
          fileOutcome = `error at ${e.offset}: ${e.reason}`;
        }
        let bytesOutcome: string;
        try {
          const s = readFlowsFromBytes(path, mutated).stats;
          bytesOutcome = `ok ${s.frames} ${s.packets} ${s.malformedPackets}`;
        } catch (e) {
          if (!(e instanceof CaptureFormatError)) throw e;
          bytesOutcome = `error at ${e.offset}: ${e.reason}`;
        }
        expect(fileOutcome).toBe(bytesOutcome);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
