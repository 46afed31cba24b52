// Validity, determinism and flow structure of the synthetic dataset generator's captures.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset, TRAFFIC_CLASSES, type SyntheticDatasetSummary } from '../../../src/data/synthetic/index.ts';
import { readFlows } from '../../../src/data/flows/index.ts';

const FLOWS_PER_CLASS = 12;
let dir: string;
let summary: SyntheticDatasetSummary;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netmoe-synthetic-'));
  summary = generateSyntheticDataset(join(dir, 'a'), { seed: 'test', flowsPerClass: FLOWS_PER_CLASS, flowsPerFile: 5 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Frame {
  time: number;
  capturedLength: number;
  originalLength: number;
  bytes: Uint8Array;
}

/** A deliberately independent classic-pcap parser (little-endian, microseconds), so the test does not trust the writer. */
function parsePcap(bytes: Uint8Array): { linkType: number; frames: Frame[] } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(v.getUint32(0, true)).toBe(0xa1b2c3d4);
  expect([v.getUint16(4, true), v.getUint16(6, true)]).toEqual([2, 4]);
  const frames: Frame[] = [];
  let o = 24;
  while (o < bytes.length) {
    const capturedLength = v.getUint32(o + 8, true);
    const micros = v.getUint32(o + 4, true);
    expect(micros).toBeLessThan(1_000_000);
    frames.push({
      time: v.getUint32(o, true) + micros / 1e6,
      capturedLength,
      originalLength: v.getUint32(o + 12, true),
      bytes: bytes.subarray(o + 16, o + 16 + capturedLength),
    });
    o += 16 + capturedLength;
  }
  expect(o).toBe(bytes.length);
  return { linkType: v.getUint32(20, true), frames };
}

/** RFC 1071 sum written out again here; a correct checksum field makes the folded sum 0xffff. */
function onesSum(words: Uint8Array, initial = 0): number {
  let s = initial;
  for (let i = 0; i < words.length; i += 2) s += (words[i]! << 8) | (words[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
}

function allFiles(root: string): { cls: string; path: string }[] {
  return readdirSync(root).flatMap((cls) => readdirSync(join(root, cls)).map((f) => ({ cls, path: join(root, cls, f) })));
}

describe('synthetic generator', () => {
  it('writes one folder per class with the requested number of flows', () => {
    expect(readdirSync(join(dir, 'a')).sort()).toEqual(TRAFFIC_CLASSES.map((c) => c.name).sort());
    expect(TRAFFIC_CLASSES.length).toBeGreaterThanOrEqual(12);
    for (const c of summary.classes) {
      expect(c.flows).toBe(FLOWS_PER_CLASS);
      expect(c.files.length).toBe(3); // 5 + 5 + 2 flows
    }
  });

  it('writes valid Ethernet/IPv4 frames: lengths agree and every IP, TCP and UDP checksum verifies', () => {
    let tcp = 0;
    let udp = 0;
    let padded = 0;
    // Problems are collected, not asserted per packet: one readable list, and thousands of expect() calls avoided.
    const problems: string[] = [];
    for (const { path } of allFiles(join(dir, 'a'))) {
      const { linkType, frames } = parsePcap(readFileSync(path));
      expect(linkType).toBe(1);
      let last = 0;
      frames.forEach((f, n) => {
        const where = `${path} frame ${n}`;
        if (f.time < last) problems.push(`${where}: out of time order`);
        last = f.time;
        if (f.capturedLength !== f.originalLength) problems.push(`${where}: cut by the snap length`);
        const b = f.bytes;
        if (((b[12]! << 8) | b[13]!) !== 0x0800) problems.push(`${where}: not IPv4`);
        const ip = b.subarray(14);
        if (ip[0] !== 0x45) problems.push(`${where}: version/IHL ${ip[0]}`);
        const totalLength = (ip[2]! << 8) | ip[3]!;
        // Only Ethernet minimum-size padding (zeros up to a 60-byte frame) may follow the IP packet.
        const padding = b.subarray(14 + totalLength);
        if (totalLength > ip.length || (padding.length > 0 && (b.length !== 60 || padding.some((x) => x !== 0)))) {
          problems.push(`${where}: IP total length ${totalLength} vs ${ip.length} bytes after the Ethernet header`);
        }
        if (padding.length > 0) padded++;
        const packet = ip.subarray(0, totalLength);
        if (onesSum(ip.subarray(0, 20)) !== 0xffff) problems.push(`${where}: IP header checksum`);
        const protocol = packet[9]!;
        const l4 = packet.subarray(20);
        const pseudo = onesSum(packet.subarray(12, 20)) + protocol + l4.length;
        if (onesSum(l4, pseudo) !== 0xffff) problems.push(`${where}: ${protocol === 6 ? 'TCP' : 'UDP'} checksum`);
        if (protocol === 17) {
          if (((l4[4]! << 8) | l4[5]!) !== l4.length) problems.push(`${where}: UDP length`);
          udp++;
        } else if (protocol === 6) {
          if (l4[12]! >> 4 < 5) problems.push(`${where}: TCP data offset`);
          tcp++;
        } else {
          problems.push(`${where}: protocol ${protocol}`);
        }
      });
    }
    expect(problems).toEqual([]);
    expect(padded).toBeGreaterThan(100); // the server's pure ACKs
    expect(tcp).toBeGreaterThan(1000);
    expect(udp).toBeGreaterThan(1000);
  });

  it('gives TCP sequence numbers that advance by the payload, a SYN handshake and a FIN teardown', () => {
    for (const { cls, path } of allFiles(join(dir, 'a'))) {
      if (TRAFFIC_CLASSES.find((c) => c.name === cls)!.protocol !== 'tcp') continue;
      const { frames } = parsePcap(readFileSync(path));
      // Per direction of each connection: the next sequence number we expect, and the flags seen.
      const next = new Map<string, number>();
      const flagsSeen = new Map<string, number[]>();
      for (const f of frames) {
        const ip = f.bytes.subarray(14);
        const t = ip.subarray(20);
        const key = `${ip.subarray(12, 20).join('.')}:${(t[0]! << 8) | t[1]!}>${(t[2]! << 8) | t[3]!}`;
        const seq = ((t[4]! << 24) | (t[5]! << 16) | (t[6]! << 8) | t[7]!) >>> 0;
        const flags = t[13]!;
        const payload = ((ip[2]! << 8) | ip[3]!) - 20 - (t[12]! >> 4) * 4; // from the IP total length: frames may be padded
        if (next.has(key)) expect(seq).toBe(next.get(key));
        next.set(key, (seq + payload + (flags & 0x03 ? 1 : 0)) >>> 0); // SYN and FIN take one number
        flagsSeen.set(key, [...(flagsSeen.get(key) ?? []), flags]);
      }
      for (const flags of flagsSeen.values()) {
        expect(flags[0]! & 0x02).toBe(0x02); // both directions open with SYN (client) or SYN-ACK (server)
        expect(flags.some((x) => x & 0x01)).toBe(true); // and each sends a FIN
      }
    }
  });

  it('is deterministic: the same seed gives byte-identical files, another seed different ones', () => {
    const again = generateSyntheticDataset(join(dir, 'b'), { seed: 'test', flowsPerClass: FLOWS_PER_CLASS, flowsPerFile: 5, classes: ['web-browsing', 'vpn-voip'] });
    const other = generateSyntheticDataset(join(dir, 'c'), { seed: 'other', flowsPerClass: FLOWS_PER_CLASS, flowsPerFile: 5, classes: ['web-browsing'] });
    for (const c of again.classes) {
      const original = summary.classes.find((s) => s.name === c.name)!;
      c.files.forEach((file, i) => expect(Buffer.compare(readFileSync(file), readFileSync(original.files[i]!))).toBe(0));
    }
    expect(Buffer.compare(readFileSync(other.classes[0]!.files[0]!), readFileSync(summary.classes[0]!.files[0]!))).not.toBe(0);
  });

  it('parses through the capture reader into exactly the generated flows per class', async () => {
    for (const c of summary.classes) {
      let flows = 0;
      for (const file of c.files) {
        const result = await readFlows(file);
        expect(result.warnings).toEqual([]);
        flows += result.flows.length;
        const cls = TRAFFIC_CLASSES.find((t) => t.name === c.name)!;
        for (const flow of result.flows) {
          expect(flow.protocol).toBe(cls.protocol === 'tcp' ? 6 : 17);
          if (cls.protocol === 'tcp') expect(flow.endReason).toBe('fin');
          // Lengths come from the IP header: Ethernet padding behind a server's ACK is not payload.
          const wrong = flow.packets.filter((p) => p.ipLength !== p.headerBytes.length + p.payloadLength || p.payloadBytes.length !== p.payloadLength);
          expect(wrong.length).toBe(0);
        }
      }
      expect(flows, c.name).toBe(FLOWS_PER_CLASS);
    }
  });
});
