// Link layers: Ethernet with VLAN/QinQ/LLC-SNAP/PPPoE/MPLS, Linux cooked v1/v2, raw IP, BSD null/loop, PPP, Cisco HDLC,
// non-IP frames and unsupported link types.
import { describe, expect, it } from 'vitest';
import { LinkType } from '../../../src/data/types.ts';
import { concat, ethernet, ipv4, ipv6, nullLink, oneFrame, pcapFile, readAll, sll, sll2, tcp, u16, udp } from './fixtures.ts';

const v4 = (): Uint8Array => ipv4({ protocol: 17, payload: udp({ sport: 1234, dport: 53 }) });
const v6 = (): Uint8Array => ipv6({ protocol: 17, payload: udp({ sport: 1234, dport: 53 }) });

function decodeOne(frame: Uint8Array, linkType: number): ReturnType<typeof readAll> {
  return readAll(oneFrame(frame, linkType));
}

function expectUdp(frame: Uint8Array, linkType: number, version: 4 | 6): void {
  const { packets, warnings, stats } = decodeOne(frame, linkType);
  expect(warnings).toEqual([]);
  expect(stats.packets).toBe(1);
  expect(packets[0]).toMatchObject({ ipVersion: version, protocol: 17, srcPort: 1234, dstPort: 53, linkType });
  expect(packets[0].headerBytes[0] >>> 4).toBe(version); // header bytes start at the IP header
}

describe('Ethernet', () => {
  it('plain IPv4 and IPv6', () => {
    expectUdp(ethernet(v4()), LinkType.ETHERNET, 4);
    expectUdp(ethernet(v6(), 0x86dd), LinkType.ETHERNET, 6);
  });

  it('802.1Q, QinQ (0x88a8 and 0x9100 outer tags) and triple tags', () => {
    expectUdp(ethernet(v4(), 0x0800, [{ tpid: 0x8100, vid: 10 }]), LinkType.ETHERNET, 4);
    expectUdp(ethernet(v6(), 0x86dd, [{ tpid: 0x88a8, vid: 100 }, { tpid: 0x8100, vid: 10 }]), LinkType.ETHERNET, 6);
    expectUdp(ethernet(v4(), 0x0800, [{ tpid: 0x9100, vid: 7 }, { tpid: 0x8100, vid: 10 }]), LinkType.ETHERNET, 4);
    expectUdp(ethernet(v4(), 0x0800, [{ tpid: 0x88a8, vid: 1 }, { tpid: 0x8100, vid: 2 }, { tpid: 0x8100, vid: 3 }]), LinkType.ETHERNET, 4);
  });

  it('802.3 length field with LLC/SNAP carrying IPv4', () => {
    const frame = concat([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], u16(8 + v4().length), [0xaa, 0xaa, 0x03, 0, 0, 0], u16(0x0800), v4());
    expectUdp(frame, LinkType.ETHERNET, 4);
  });

  it('PPPoE session and MPLS label stacks', () => {
    const pppoe = concat([0x11, 0x00], u16(0x0001), u16(v4().length + 2), u16(0x0021), v4());
    expectUdp(ethernet(pppoe, 0x8864), LinkType.ETHERNET, 4);
    const mpls = concat([0x00, 0x01, 0x00, 0x40], [0x00, 0x02, 0x01, 0x40], v6()); // two labels, bottom-of-stack on the second
    expectUdp(ethernet(mpls, 0x8847), LinkType.ETHERNET, 6);
  });

  it('counts and skips non-IP frames (ARP, spanning tree, LLDP)', () => {
    const arp = ethernet(new Uint8Array(28), 0x0806);
    const stp = concat([1, 0x80, 0xc2, 0, 0, 0, 2, 0, 0, 0, 0, 1], u16(38), [0x42, 0x42, 0x03], new Uint8Array(35));
    const lldp = ethernet(new Uint8Array(30), 0x88cc);
    const bytes = pcapFile({ records: [arp, stp, lldp, ethernet(v4())].map((data, i) => ({ ts: i, data })) });
    const { packets, warnings, stats } = readAll(bytes);
    expect(warnings).toEqual([]);
    expect(stats).toMatchObject({ frames: 4, packets: 1, skippedNonIp: 3 });
    expect(packets).toHaveLength(1);
  });

  it('a frame shorter than its Ethernet header is a malformed packet, not a file error', () => {
    const { warnings, stats } = decodeOne(new Uint8Array(10), LinkType.ETHERNET);
    expect(stats.malformedPackets).toBe(1);
    expect(warnings[0].message).toMatch(/frame 0: 10 bytes is too short for its link-layer header/);
  });
});

describe('other link types', () => {
  it('Linux cooked capture v1 (113) and v2 (276)', () => {
    expectUdp(sll(v4()), LinkType.LINUX_SLL, 4);
    expectUdp(sll(v6(), 0x86dd), LinkType.LINUX_SLL, 6);
    expectUdp(sll2(v4()), LinkType.LINUX_SLL2, 4);
    expectUdp(sll2(v6(), 0x86dd), LinkType.LINUX_SLL2, 6);
    expect(decodeOne(sll(new Uint8Array(30), 0x0004), LinkType.LINUX_SLL).stats.skippedNonIp).toBe(1); // 802.2 LLC
  });

  it('raw IP (101 by version nibble, 228 IPv4, 229 IPv6)', () => {
    expectUdp(v4(), LinkType.RAW, 4);
    expectUdp(v6(), LinkType.RAW, 6);
    expectUdp(v4(), LinkType.IPV4, 4);
    expectUdp(v6(), LinkType.IPV6, 6);
    const mismatch = decodeOne(v6(), LinkType.IPV4);
    expect(mismatch.stats.malformedPackets).toBe(1);
    expect(mismatch.warnings[0].message).toMatch(/announces IPv4 but the IP version field is 6/);
  });

  it('BSD null in both byte orders, with every AF_INET6 value, and OpenBSD loop', () => {
    for (const le of [true, false]) {
      expectUdp(nullLink(v4(), 2, le), LinkType.NULL, 4);
      for (const family of [10, 24, 28, 30]) expectUdp(nullLink(v6(), family, le), LinkType.NULL, 6);
    }
    expectUdp(nullLink(v4(), 2, false), LinkType.LOOP, 4);
    expect(decodeOne(nullLink(new Uint8Array(30), 7, true), LinkType.NULL).stats.skippedNonIp).toBe(1);
  });

  it('PPP with and without HDLC framing, compressed protocol field, and Cisco HDLC', () => {
    expectUdp(concat(u16(0x0021), v4()), LinkType.PPP, 4);
    expectUdp(concat([0xff, 0x03], u16(0x0057), v6()), LinkType.PPP, 6);
    expectUdp(concat([0x21], v4()), LinkType.PPP, 4);
    expectUdp(concat([0xff, 0x03], u16(0x0021), v4()), LinkType.PPP_HDLC, 4);
    expectUdp(concat([0x0f, 0x00], u16(0x0800), v4()), LinkType.C_HDLC, 4);
    expect(decodeOne(concat([0xff, 0x03], u16(0xc021), new Uint8Array(20)), LinkType.PPP).stats.skippedNonIp).toBe(1); // LCP
  });

  it('an unsupported link type gives one named warning per file and counts every skipped frame', () => {
    const frame = ethernet(ipv4({ protocol: 6, payload: tcp({ sport: 1, dport: 2 }) }));
    const bytes = pcapFile({ linkType: 105, records: [{ ts: 1, data: frame }, { ts: 2, data: frame }, { ts: 3, data: frame }] });
    const { packets, warnings, stats } = readAll(bytes);
    expect(packets).toEqual([]);
    expect(stats).toMatchObject({ frames: 3, skippedUnsupportedLink: 3, linkTypes: { 105: 3 } });
    expect(warnings).toEqual([{ file: 'fixture.pcap', offset: 24, message: 'link type 105 (IEEE802_11) is not supported: its frames are skipped' }]);
  });
});
