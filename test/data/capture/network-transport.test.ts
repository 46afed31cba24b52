// Network and transport decoding: IPv4 options, IPv6 extension headers, fragments, TCP options, ICMP, tunnels,
// padding, snap-cut frames and malformed packets (per-packet warnings, never file errors).
import { describe, expect, it } from 'vitest';
import { concat, bytesOf, ethernet, extHeader, fragmentHeader, icmp, ipv4, ipv6, oneFrame, pcapFile, readAll, tcp, udp } from './fixtures.ts';

const eth4 = (ip: Uint8Array): Uint8Array => ethernet(ip, 0x0800);
const eth6 = (ip: Uint8Array): Uint8Array => ethernet(ip, 0x86dd);
const one = (frame: Uint8Array): ReturnType<typeof readAll> => readAll(oneFrame(frame));

describe('IPv4', () => {
  it('includes IP options and TCP options in the header bytes', () => {
    const options = [0x01, 0x01, 0x01, 0x00]; // NOP NOP NOP EOL
    const tcpOptions = [0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02]; // MSS, NOP, NOP, SACK-permitted
    const payload = bytesOf(33);
    const { packets } = one(eth4(ipv4({ protocol: 6, options, payload: tcp({ sport: 80, dport: 5000, flags: 0x12, options: tcpOptions, payload }) })));
    const p = packets[0];
    expect(p.headerBytes.length).toBe(24 + 28);
    expect(p).toMatchObject({ srcPort: 80, dstPort: 5000, tcpFlags: 0x12, ipLength: 24 + 28 + 33, payloadLength: 33 });
    expect(Array.from(p.payloadBytes)).toEqual(Array.from(payload));
  });

  it('trims Ethernet padding using the IP total length', () => {
    const ip = ipv4({ protocol: 6, payload: tcp({ sport: 1, dport: 2, flags: 0x10 }) }); // 40 bytes: a bare ACK
    const { packets } = one(concat(eth4(ip), new Uint8Array(6))); // padded to the 60-byte minimum
    expect(packets[0]).toMatchObject({ ipLength: 40, payloadLength: 0, capturedLength: 60 });
    expect(packets[0].payloadBytes.length).toBe(0);
  });

  it('decodes ICMP without ports, keeping the 8-byte ICMP header', () => {
    const { packets } = one(eth4(ipv4({ protocol: 1, payload: icmp(8, 0, [0, 1, 0, 2], bytesOf(56)) })));
    expect(packets[0]).toMatchObject({ protocol: 1, srcPort: 0, dstPort: 0, payloadLength: 56 });
    expect(packets[0].headerBytes.length).toBe(28);
  });

  it('keeps the ports on the first fragment and marks later fragments', () => {
    const data = udp({ sport: 4444, dport: 53, payload: bytesOf(100) });
    const first = ipv4({ protocol: 17, id: 77, moreFragments: true, payload: data.subarray(0, 48) });
    const later = ipv4({ protocol: 17, id: 77, fragmentOffset: 48, payload: data.subarray(48) });
    const { packets, stats } = readAll(pcapFile({ records: [{ ts: 1, data: eth4(first) }, { ts: 1.001, data: eth4(later) }] }));
    expect(packets[0]).toMatchObject({ srcPort: 4444, dstPort: 53, fragment: { id: 77, offset: 0, moreFragments: true }, payloadLength: 40 });
    expect(packets[1]).toMatchObject({ srcPort: 0, dstPort: 0, protocol: 17, fragment: { id: 77, offset: 48, moreFragments: false }, payloadLength: 60 });
    expect(packets[1].headerBytes.length).toBe(20);
    expect(stats.fragments).toBe(2);
  });

  it('treats total length 0 as segmentation offload and uses the frame length', () => {
    const ip = ipv4({ protocol: 6, totalLength: 0, payload: tcp({ sport: 1, dport: 2, payload: bytesOf(3000) }) });
    expect(one(eth4(ip)).packets[0]).toMatchObject({ ipLength: 3040, payloadLength: 3000 });
  });
});

describe('IPv6', () => {
  it('walks hop-by-hop, routing and destination-options headers to TCP', () => {
    const ip = ipv6({ protocol: 6, ext: [extHeader(0), extHeader(43, 1), extHeader(60)], payload: tcp({ sport: 9, dport: 10, payload: bytesOf(5) }) });
    const { packets, warnings } = one(eth6(ip));
    expect(warnings).toEqual([]);
    expect(packets[0]).toMatchObject({ ipVersion: 6, protocol: 6, srcPort: 9, dstPort: 10, ipLength: 40 + 8 + 16 + 8 + 25, payloadLength: 5 });
    expect(packets[0].headerBytes.length).toBe(40 + 32 + 20);
  });

  it('reads the fragment header: ports on the first fragment only', () => {
    const data = udp({ sport: 5353, dport: 5353, payload: bytesOf(40) });
    const first = ipv6({ protocol: 17, ext: [fragmentHeader(0, true, 0xdeadbeef)], payload: data.subarray(0, 24) });
    const later = ipv6({ protocol: 17, ext: [extHeader(0), fragmentHeader(24, false, 0xdeadbeef)], payload: data.subarray(24) });
    const { packets } = readAll(pcapFile({ records: [{ ts: 1, data: eth6(first) }, { ts: 2, data: eth6(later) }] }));
    expect(packets[0]).toMatchObject({ srcPort: 5353, fragment: { id: 0xdeadbeef, offset: 0, moreFragments: true } });
    expect(packets[1]).toMatchObject({ srcPort: 0, dstPort: 0, protocol: 17, fragment: { id: 0xdeadbeef, offset: 24, moreFragments: false }, payloadLength: 24 });
  });

  it('treats an atomic fragment (offset 0, no more fragments) as a whole packet', () => {
    const ip = ipv6({ protocol: 6, ext: [fragmentHeader(0, false, 1)], payload: tcp({ sport: 1, dport: 2 }) });
    expect(one(eth6(ip)).packets[0]).toMatchObject({ fragment: null, srcPort: 1 });
  });

  it('decodes ICMPv6 without ports and stops at ESP', () => {
    expect(one(eth6(ipv6({ protocol: 58, payload: icmp(128, 0) }))).packets[0]).toMatchObject({ protocol: 58, srcPort: 0, payloadLength: 0 });
    expect(one(eth6(ipv6({ protocol: 50, payload: bytesOf(40) }))).packets[0]).toMatchObject({ protocol: 50, payloadLength: 40 });
  });

  it('formats addresses in RFC 5952 form', () => {
    const ip = ipv6({ src: [0xfe80, 0, 0, 0, 0x1, 0, 0, 0x1], dst: [0x2001, 0xdb8, 0, 1, 0, 0, 0, 1], protocol: 17, payload: udp({ sport: 1, dport: 2 }) });
    expect(one(eth6(ip)).packets[0]).toMatchObject({ srcIp: 'fe80::1:0:0:1', dstIp: '2001:db8:0:1::1' });
  });
});

describe('tunnels', () => {
  const inner = ipv6({ protocol: 6, payload: tcp({ sport: 60205, dport: 443, payload: bytesOf(7) }) });
  const sixInFour = eth4(ipv4({ protocol: 41, src: '192.0.2.1', dst: '192.0.2.2', payload: inner }));

  it('looks through 6in4 by default: the inner packet is the conversation', () => {
    const { packets, stats } = one(sixInFour);
    expect(packets[0]).toMatchObject({ ipVersion: 6, protocol: 6, srcPort: 60205, dstPort: 443, ipLength: 67, payloadLength: 7 });
    expect(packets[0].headerBytes[0] >>> 4).toBe(6);
    expect(stats.protocols).toEqual({ 6: 1 });
  });

  it('delivers the outer packet when decapsulation is off', () => {
    const { packets } = readAll(oneFrame(sixInFour), { decapsulate: false });
    expect(packets[0]).toMatchObject({ ipVersion: 4, protocol: 41, srcIp: '192.0.2.1', srcPort: 0 });
  });

  it('looks through IPv4-in-IPv4', () => {
    const ipip = eth4(ipv4({ protocol: 4, payload: ipv4({ protocol: 17, src: '172.16.0.1', payload: udp({ sport: 7, dport: 8 }) }) }));
    expect(one(ipip).packets[0]).toMatchObject({ srcIp: '172.16.0.1', srcPort: 7 });
  });
});

describe('snap-cut and malformed packets', () => {
  it('decodes a snap-cut frame: lengths from the headers, bytes as captured', () => {
    const frame = eth4(ipv4({ protocol: 6, payload: tcp({ sport: 1, dport: 2, payload: bytesOf(1000) }) }));
    const bytes = pcapFile({ snapLength: 96, records: [{ ts: 1, data: frame.subarray(0, 96), origLen: frame.length }] });
    const { packets, warnings } = readAll(bytes);
    expect(warnings).toEqual([]);
    expect(packets[0]).toMatchObject({ capturedLength: 96, wireLength: 1054, ipLength: 1040, payloadLength: 1000 });
    expect(packets[0].payloadBytes.length).toBe(96 - 54);
  });

  it('counts a frame cut inside the IP header as truncated, silently', () => {
    const frame = eth4(ipv4({ protocol: 6, payload: tcp({ sport: 1, dport: 2 }) }));
    const { packets, warnings, stats } = readAll(pcapFile({ snapLength: 24, records: [{ ts: 1, data: frame.subarray(0, 24), origLen: frame.length }] }));
    expect(packets).toEqual([]);
    expect(warnings).toEqual([]);
    expect(stats.truncatedPackets).toBe(1);
  });

  const malformed: [string, Uint8Array, RegExp][] = [
    ['IPv4 header length below 20', eth4(ipv4({ protocol: 6, ihl: 4, payload: tcp({ sport: 1, dport: 2 }) })), /IPv4 header length 16 is below the minimum 20/],
    ['IPv4 total length past the frame', eth4(ipv4({ protocol: 6, totalLength: 400, payload: tcp({ sport: 1, dport: 2 }) })), /IPv4 total length 400 runs past the 40 bytes left/],
    ['IPv4 total length below its header', eth4(ipv4({ protocol: 6, totalLength: 12, payload: tcp({ sport: 1, dport: 2 }) })), /total length 12 is shorter than its header length 20/],
    ['IPv6 payload length past the frame', eth6(ipv6({ protocol: 17, payloadLength: 999, payload: udp({ sport: 1, dport: 2 }) })), /IPv6 payload length 999 runs past/],
    ['IPv6 extension header past the packet', eth6(ipv6({ protocol: 6, ext: [extHeader(0, 9)], payloadLength: 16, payload: new Uint8Array(0) })), /extension header 0 of 80 bytes runs past the packet/],
    ['TCP data offset below 5', eth4(ipv4({ protocol: 6, payload: (() => { const t = tcp({ sport: 1, dport: 2 }); t[12] = 0x40; return t; })() })), /TCP data offset 16 is outside 20\.\.20/],
    ['TCP header cut by the IP length', eth4(ipv4({ protocol: 6, payload: bytesOf(12) })), /12 bytes is too short for a TCP header/],
    ['IP version 5', eth4(concat([0x55], bytesOf(39))), /announces IPv4 but the IP version field is 5/],
  ];
  for (const [what, frame, message] of malformed) {
    it(`warns and skips: ${what}`, () => {
      const good = eth4(ipv4({ protocol: 17, payload: udp({ sport: 1, dport: 2 }) }));
      const { packets, warnings, stats } = readAll(pcapFile({ records: [{ ts: 1, data: frame }, { ts: 2, data: good }] }));
      expect(stats.malformedPackets).toBe(1);
      expect(packets).toHaveLength(1); // the good packet after it still arrives
      expect(warnings).toHaveLength(1);
      expect(warnings[0].offset).toBe(24);
      expect(warnings[0].message).toMatch(/^frame 0: /);
      expect(warnings[0].message).toMatch(message);
    });
  }

  it('reports the first few malformed packets one by one, then a summary', () => {
    const bad = eth4(ipv4({ protocol: 6, ihl: 3, payload: tcp({ sport: 1, dport: 2 }) }));
    const bytes = pcapFile({ records: Array.from({ length: 25 }, (_, i) => ({ ts: i, data: bad })) });
    const { warnings, stats } = readAll(bytes, { maxPacketWarnings: 4 });
    expect(stats.malformedPackets).toBe(25);
    expect(stats.warnings).toBe(25);
    expect(warnings).toHaveLength(5);
    expect(warnings[4].message).toBe('21 more malformed packets were skipped without a warning each (25 in all)');
  });
});
