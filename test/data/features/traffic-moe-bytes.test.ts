// TrafficMoE token layout, byte scaling, anonymisation and the multiple-of-L_s rule.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../../src/data/synthetic/index.ts';
import { loadTrafficMoeInputs } from '../../../src/data/sources/index.ts';
import { FeatureCache } from '../../../src/data/cache.ts';
import { extractTrafficMoeInputs, trafficMoeLayout } from '../../../src/data/features/index.ts';
import { makeFlow } from './flow-fixtures.ts';

const scaled = (b: number): number => b / 127.5 - 1;

// A 24-byte IPv4 + 4 transport bytes header: addresses 10.0.0.1 -> 10.0.0.2 at 12-19, ports 0x1f90 -> 0x01bb at 20-23.
const HEADER = [0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0xab, 0xcd, 10, 0, 0, 1, 10, 0, 0, 2, 0x1f, 0x90, 0x01, 0xbb];
const flow = makeFlow('f', [
  { direction: 1, ipLength: 46, time: 0, headerBytes: HEADER, payloadBytes: [255, 0, 51, 204, 7, 7] },
  { direction: -1, ipLength: 40, time: 0.1, headerBytes: HEADER.slice(0, 8) },
]);

describe('TrafficMoE byte tokens', () => {
  it('lays out [H_0, P_0, H_1, P_1, H_2, P_2] as L_s-byte tokens with segment and packet index', () => {
    // M = 3, N_h = 8, N_p = 4, L_s = 4: per packet 2 header tokens + 1 payload token, T = 9.
    const x = extractTrafficMoeInputs([flow], { packets: 3, headerBytes: 8, payloadBytes: 4, strideLength: 4, anonymise: 'off' });
    expect([x.numFlows, x.tokensPerFlow, x.strideLength]).toEqual([1, 9, 4]);
    expect(x.tokens.length).toBe(9 * 4);
    expect(Array.from(x.segment)).toEqual([0, 0, 1, 0, 0, 1, 0, 0, 1]);
    expect(Array.from(x.packetIndex)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    expect(Array.from(x.packetCount)).toEqual([2]);
    const token = (t: number): number[] => Array.from(x.tokens.subarray(t * 4, t * 4 + 4));
    // Token 0 = header bytes 0-3 of packet 0, cropped header ends at byte 8; byte b maps to b/127.5 - 1.
    expect(token(0)).toEqual([0x45, 0, 0, 40].map(scaled).map(Math.fround));
    expect(token(1)).toEqual([0, 1, 0x40, 0].map(scaled).map(Math.fround));
    // Payload cropped to 4 bytes: 255 -> 1, 0 -> -1, 51 -> -0.6, 204 -> 0.6.
    expect(token(2)).toEqual([1, -1, -0.6, 0.6].map(Math.fround));
    // Packet 1 has no payload: its payload token is padding (-1); packet 2 does not exist: all -1.
    expect(token(5)).toEqual([-1, -1, -1, -1]);
    expect(Array.from(x.tokens.subarray(6 * 4))).toEqual(new Array(12).fill(-1));
  });

  it('zeroes addresses and ports by default', () => {
    const x = extractTrafficMoeInputs([flow], { packets: 1, headerBytes: 24, payloadBytes: 0, strideLength: 4 });
    const header = Array.from(x.tokens.subarray(0, 24));
    expect(header.slice(12, 24)).toEqual(new Array(12).fill(-1)); // bytes 12-23 were zeroed, 0 scales to -1
    expect(header[8]).toBeCloseTo(scaled(64), 6); // TTL kept
    const kept = extractTrafficMoeInputs([flow], { packets: 1, headerBytes: 24, payloadBytes: 0, anonymise: 'off' });
    expect(kept.tokens[12]).toBeCloseTo(scaled(10), 6);
  });

  it('randomises addresses reproducibly with anonymise random', () => {
    const a = extractTrafficMoeInputs([flow], { packets: 1, headerBytes: 24, payloadBytes: 0, anonymise: 'random', seed: 's' });
    const b = extractTrafficMoeInputs([flow], { packets: 1, headerBytes: 24, payloadBytes: 0, anonymise: 'random', seed: 's' });
    expect(Array.from(a.tokens)).toEqual(Array.from(b.tokens));
    expect(Array.from(a.tokens.subarray(12, 20))).not.toEqual(new Array(8).fill(-1));
  });

  it('has the paper and small presets', () => {
    expect(trafficMoeLayout()).toMatchObject({ packets: 5, headerBytes: 80, payloadBytes: 240, tokensPerFlow: 400 });
    expect(trafficMoeLayout({ preset: 'small' })).toMatchObject({ headerBytes: 40, payloadBytes: 24, tokensPerFlow: 80, headerTokensPerPacket: 10 });
  });

  it('refuses N_h or N_p that are not multiples of L_s, naming them', () => {
    expect(() => trafficMoeLayout({ headerBytes: 42 })).toThrow(/N_h=42.*N_p=240.*multiples of strideLength \(L_s=4\)/);
    expect(() => extractTrafficMoeInputs([flow], { payloadBytes: 30, strideLength: 8 })).toThrow(/multiples of strideLength \(L_s=8\)/);
    expect(() => trafficMoeLayout({ strideLength: 0 })).toThrow(/strideLength must be a positive integer/);
  });
});

describe('TrafficMoE tokens of real captures', () => {
  it('tokenises synthetic TCP flows through the reader, with masked addresses, and caches them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netmoe-tokens-'));
    try {
      generateSyntheticDataset(join(dir, 'data'), { seed: 't', flowsPerClass: 2, classes: ['chat', 'dns'] });
      const cache = new FeatureCache(join(dir, 'cache'));
      const first = await loadTrafficMoeInputs(join(dir, 'data'), { bytes: { preset: 'small' }, cache });
      const x = first.inputs;
      expect([x.numFlows, x.tokensPerFlow, x.strideLength]).toEqual([4, 80, 4]);
      // Classes in sorted order: two chat flows (long: all 5 packets), then two DNS lookups (2-4 packets).
      expect(Array.from(x.packetCount.subarray(0, 2))).toEqual([5, 5]);
      for (const n of x.packetCount.subarray(2)) expect(n === 2 || n === 4).toBe(true);
      // Flow 0 (chat) packet 0 is the SYN: IPv4 header starts 0x45 0x00 0x00 0x34 (52 bytes with 12 option bytes).
      expect(Array.from(x.tokens.subarray(0, 4))).toEqual([0x45, 0, 0, 0x34].map((b) => Math.fround(b / 127.5 - 1)));
      expect(Array.from(x.tokens.subarray(12, 24))).toEqual(new Array(12).fill(-1)); // addresses and ports zeroed
      // Payload of the SYN is empty: its 6 payload tokens are padding.
      expect(Array.from(x.tokens.subarray(40, 64))).toEqual(new Array(24).fill(-1));
      const again = await loadTrafficMoeInputs(join(dir, 'data'), { bytes: { preset: 'small' }, cache });
      expect(again.cacheHit).toBe(true);
      expect(Array.from(again.inputs.tokens)).toEqual(Array.from(x.tokens));
      expect(Array.from(again.inputs.segment)).toEqual(Array.from(x.segment));
      await expect(loadTrafficMoeInputs(join(dir, 'data'), { bytes: { headerBytes: 41 } })).rejects.toThrow(/multiples of strideLength/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
