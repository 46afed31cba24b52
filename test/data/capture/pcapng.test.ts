// pcapng: per-section byte order, interfaces with their own link type and timestamp resolution, packet block kinds,
// skipped blocks, truncation and the structural errors.
import { describe, expect, it } from 'vitest';
import { CaptureFormatError, LinkType } from '../../../src/data/types.ts';
import { concat, ethernet, ipv4, ipv6, pcapngSection, readAll, sampleTcpFrame, tcp, udp, u32 } from './fixtures.ts';

const rawUdp = (sport: number): Uint8Array => ipv4({ protocol: 17, payload: udp({ sport, dport: 53 }) });

function formatError(bytes: Uint8Array): CaptureFormatError {
  try {
    readAll(bytes, undefined, 'fixture.pcapng');
  } catch (e) {
    if (e instanceof CaptureFormatError) return e;
    throw e;
  }
  throw new Error('expected a CaptureFormatError');
}

describe('pcapng', () => {
  for (const littleEndian of [true, false]) {
    it(`reads a ${littleEndian ? 'little' : 'big'}-endian section with default microsecond timestamps`, () => {
      const bytes = pcapngSection(littleEndian, [
        { kind: 'idb', linkType: LinkType.ETHERNET },
        { kind: 'epb', iface: 0, ticks: 1_700_000_000_500_000, data: sampleTcpFrame() },
      ]);
      const { packets, warnings, stats } = readAll(bytes);
      expect(warnings).toEqual([]);
      expect(stats).toMatchObject({ format: 'pcapng', sections: 1, interfaces: 1, frames: 1, packets: 1 });
      expect(packets[0].timestamp).toBeCloseTo(1_700_000_000.5, 6);
      expect(packets[0]).toMatchObject({ srcPort: 40000, dstPort: 443, fileOffset: 28 + 20 });
    });
  }

  it('honours if_tsresol in decimal and power-of-two forms, and if_tsoffset', () => {
    const bytes = pcapngSection(true, [
      { kind: 'idb', linkType: LinkType.ETHERNET, tsresol: 9 }, // ns
      { kind: 'idb', linkType: LinkType.ETHERNET, tsresol: 0x80 | 10 }, // 1/1024 s
      { kind: 'idb', linkType: LinkType.ETHERNET, tsresol: 3, tsoffset: 1_000_000 }, // ms, +1e6 s
      { kind: 'epb', iface: 0, ticks: 1_600_000_000_123_456_789, data: sampleTcpFrame() },
      { kind: 'epb', iface: 1, ticks: 1024 * 1000 + 512, data: sampleTcpFrame() },
      { kind: 'epb', iface: 2, ticks: 2500, data: sampleTcpFrame() },
    ]);
    const ts = readAll(bytes).packets.map((p) => p.timestamp);
    expect(ts[0]).toBeCloseTo(1_600_000_000.123456789, 6); // float64 keeps ~0.2 µs at this magnitude
    expect(ts[1]).toBe(1000.5);
    expect(ts[2]).toBe(1_000_002.5);
  });

  it('decodes each interface with its own link type', () => {
    const bytes = pcapngSection(true, [
      { kind: 'idb', linkType: LinkType.ETHERNET },
      { kind: 'idb', linkType: LinkType.RAW },
      { kind: 'epb', iface: 1, ticks: 1, data: rawUdp(1111) },
      { kind: 'epb', iface: 0, ticks: 2, data: sampleTcpFrame() },
    ]);
    const { packets, stats } = readAll(bytes);
    expect(packets.map((p) => [p.linkType, p.srcPort])).toEqual([
      [101, 1111],
      [1, 40000],
    ]);
    expect(stats.linkTypes).toEqual({ 1: 1, 101: 1 });
  });

  it('reads several sections, each with its own byte order and interface numbering', () => {
    const bytes = concat(
      pcapngSection(true, [{ kind: 'idb', linkType: LinkType.ETHERNET }, { kind: 'epb', iface: 0, ticks: 1e6, data: sampleTcpFrame() }]),
      pcapngSection(false, [{ kind: 'idb', linkType: LinkType.RAW, tsresol: 9 }, { kind: 'epb', iface: 0, ticks: 2e9, data: rawUdp(2222) }]),
    );
    const { packets, stats } = readAll(bytes);
    expect(stats).toMatchObject({ sections: 2, interfaces: 2, packets: 2 });
    expect(packets.map((p) => [p.timestamp, p.linkType])).toEqual([
      [1, 1],
      [2, 101],
    ]);
  });

  it('reads simple packet blocks (interface 0, snap length, previous timestamp) and obsolete packet blocks', () => {
    const bytes = pcapngSection(true, [
      { kind: 'idb', linkType: LinkType.ETHERNET, snapLength: 64 },
      { kind: 'epb', iface: 0, ticks: 7e6, data: sampleTcpFrame() },
      // 68 bytes in the block, but the snap length says only 64 of them were captured
      { kind: 'spb', data: concat(sampleTcpFrame(), [0, 0, 0, 0]) },
      { kind: 'opb', iface: 0, ticks: 9e6, data: sampleTcpFrame() },
    ]);
    const { packets } = readAll(bytes);
    expect(packets.map((p) => [p.timestamp, p.capturedLength, p.wireLength])).toEqual([
      [7, 64, 64],
      [7, 64, 68],
      [9, 64, 64],
    ]);
  });

  it('skips unknown, statistics and name-resolution blocks by their length', () => {
    const bytes = pcapngSection(true, [
      { kind: 'raw', type: 0x00000bad, body: [1, 2, 3, 4, 5] },
      { kind: 'idb', linkType: LinkType.ETHERNET },
      { kind: 'raw', type: 4, body: [0, 0, 0, 0] }, // name resolution
      { kind: 'epb', iface: 0, ticks: 1, data: sampleTcpFrame() },
      { kind: 'raw', type: 5, body: new Array<number>(24).fill(0) }, // interface statistics
    ]);
    expect(readAll(bytes).stats.packets).toBe(1);
  });

  it('warns once per link type about unsupported interfaces and skips their frames', () => {
    const bytes = pcapngSection(true, [
      { kind: 'idb', linkType: 127 },
      { kind: 'idb', linkType: LinkType.ETHERNET },
      { kind: 'epb', iface: 0, ticks: 1, data: new Uint8Array(40) },
      { kind: 'epb', iface: 0, ticks: 2, data: new Uint8Array(40) },
      { kind: 'epb', iface: 1, ticks: 3, data: sampleTcpFrame() },
    ]);
    const { packets, warnings, stats } = readAll(bytes);
    expect(packets).toHaveLength(1);
    expect(stats.skippedUnsupportedLink).toBe(2);
    expect(warnings.map((w) => w.message)).toEqual(['link type 127 (IEEE802_11_RADIOTAP) is not supported: its frames are skipped']);
  });

  it('warns about a truncated final block and keeps the packets before it', () => {
    const bytes = pcapngSection(true, [
      { kind: 'idb', linkType: LinkType.ETHERNET },
      { kind: 'epb', iface: 0, ticks: 1, data: sampleTcpFrame() },
      { kind: 'epb', iface: 0, ticks: 2, data: sampleTcpFrame() },
    ]);
    const { packets, warnings } = readAll(bytes.subarray(0, bytes.length - 10));
    expect(packets).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toMatch(/truncated final block: 86 of its 96 bytes/);
  });

  it('reads IPv6 over Ethernet in pcapng', () => {
    const frame = ethernet(ipv6({ protocol: 6, payload: tcp({ sport: 5, dport: 6 }) }), 0x86dd);
    const bytes = pcapngSection(false, [{ kind: 'idb', linkType: LinkType.ETHERNET }, { kind: 'epb', iface: 0, ticks: 1, data: frame }]);
    expect(readAll(bytes).packets[0]).toMatchObject({ ipVersion: 6, srcIp: '2001:db8::1', dstIp: '2001:db8::2' });
  });

  describe('structural errors name the offset and the problem', () => {
    const good = (): Uint8Array =>
      pcapngSection(true, [{ kind: 'idb', linkType: LinkType.ETHERNET }, { kind: 'epb', iface: 0, ticks: 1, data: sampleTcpFrame() }]);
    const shbLength = 28;
    const idbLength = 20;
    const epbAt = shbLength + idbLength;

    it('bad byte-order magic', () => {
      const b = good();
      b.set(u32(0x11223344), 8);
      expect(formatError(b)).toMatchObject({ offset: 8, reason: expect.stringMatching(/bad pcapng byte-order magic 0x11223344/) });
    });

    it('block length not a multiple of 4', () => {
      const b = good();
      b[epbAt + 4] += 1; // little-endian low byte
      expect(formatError(b)).toMatchObject({ offset: epbAt + 4, reason: expect.stringMatching(/not a multiple of 4/) });
    });

    it('block length inconsistent between header and trailer', () => {
      const b = good();
      b[b.length - 4] += 4;
      expect(formatError(b)).toMatchObject({ offset: b.length - 4, reason: expect.stringMatching(/block length inconsistent: 96 at the start of the block, 100 at its end/) });
    });

    it('captured length larger than its block', () => {
      const b = good();
      b[epbAt + 20] = 200;
      expect(formatError(b)).toMatchObject({ offset: epbAt + 20, reason: expect.stringMatching(/captured length 200 does not fit in its block \(64 bytes/) });
    });

    it('packet block naming an undeclared interface', () => {
      const b = good();
      b[epbAt + 8] = 3;
      expect(formatError(b)).toMatchObject({ offset: epbAt + 8, reason: expect.stringMatching(/names interface 3 but its section describes 1/) });
    });

    it('absurd block length', () => {
      const b = good();
      b.set([0, 0, 0, 0x40], epbAt + 4); // 1 GiB, little-endian
      expect(formatError(b)).toMatchObject({ offset: epbAt + 4, reason: expect.stringMatching(/absurdly large/) });
    });

    it('block length below the minimum', () => {
      const b = good();
      b.set([8, 0, 0, 0], epbAt + 4);
      expect(formatError(b).reason).toMatch(/below the minimum 12/);
    });

    it('unsupported major version', () => {
      const b = good();
      b[12] = 2;
      expect(formatError(b)).toMatchObject({ offset: 12, reason: expect.stringMatching(/unsupported pcapng version 2\.0/) });
    });

    it('interface option running past its block', () => {
      const b = pcapngSection(true, [{ kind: 'idb', linkType: 1, tsresol: 6 }]);
      b[shbLength + 16 + 2] = 40; // option length
      expect(formatError(b).reason).toMatch(/interface option 9 of length 40 runs past the end of its block/);
    });

    it('a truncated section header', () => {
      expect(formatError(good().subarray(0, 20)).reason).toMatch(/ends inside the first section header block/);
    });
  });
});
