// Flow assembly behaviour: direction, totals, idle timeout, TCP teardown, caps and copies, fragments, streaming output.
import { describe, expect, it } from 'vitest';
import { FlowAssembler, readFlowsFromBytes } from '../../../src/data/flows/index.ts';
import type { FlowOptions } from '../../../src/data/flows/index.ts';
import type { DecodedPacket, Flow } from '../../../src/data/types.ts';
import { bytesOf, ethernet, ipv4, ipv6, pcapFile, tcp, udp } from '../capture/fixtures.ts';

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/** A plain DecodedPacket, as synthetic traffic would build it (no address words: the assembler parses the strings). */
function pkt(o: Partial<DecodedPacket> & { t: number; from: 'a' | 'b' }): DecodedPacket {
  const a = { ip: '10.0.0.1', port: 40000 };
  const b = { ip: '10.0.0.2', port: 443 };
  const [s, d] = o.from === 'a' ? [a, b] : [b, a];
  const payload = o.payloadBytes ?? new Uint8Array(0);
  return {
    timestamp: o.t,
    frameIndex: 0,
    fileOffset: 0,
    linkType: 1,
    wireLength: 54 + payload.length,
    capturedLength: 54 + payload.length,
    ipVersion: 4,
    srcIp: s.ip,
    dstIp: d.ip,
    protocol: o.protocol ?? 6,
    srcPort: s.port,
    dstPort: d.port,
    ipLength: o.ipLength ?? 40 + payload.length,
    headerBytes: o.headerBytes ?? new Uint8Array(40),
    payloadBytes: payload,
    payloadLength: payload.length,
    tcpFlags: o.tcpFlags ?? ACK,
    fragment: o.fragment ?? null,
  };
}

function assemble(packets: DecodedPacket[], options?: FlowOptions): Flow[] {
  const a = new FlowAssembler('test', options);
  for (const p of packets) a.add(p);
  return a.finish();
}

const handshake = (t: number): DecodedPacket[] => [
  pkt({ t, from: 'a', tcpFlags: SYN }),
  pkt({ t: t + 0.01, from: 'b', tcpFlags: SYN | ACK }),
  pkt({ t: t + 0.02, from: 'a', tcpFlags: ACK }),
];
const teardown = (t: number): DecodedPacket[] => [
  pkt({ t, from: 'a', tcpFlags: FIN | ACK }),
  pkt({ t: t + 0.01, from: 'b', tcpFlags: FIN | ACK }),
  pkt({ t: t + 0.02, from: 'a', tcpFlags: ACK }), // the last ACK belongs to the flow
];

describe('FlowAssembler', () => {
  it('makes the first sender the client and counts every packet and IP byte per direction', () => {
    const flows = assemble([
      pkt({ t: 1, from: 'b', tcpFlags: ACK, payloadBytes: bytesOf(100) }), // mid-stream start: the server spoke first
      pkt({ t: 2, from: 'a', payloadBytes: bytesOf(10) }),
      pkt({ t: 3, from: 'b' }),
    ]);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({
      id: 'test#0',
      source: 'test',
      protocol: 6,
      clientIp: '10.0.0.2',
      clientPort: 443,
      serverIp: '10.0.0.1',
      serverPort: 40000,
      startTime: 1,
      endTime: 3,
      packetsClientToServer: 2,
      packetsServerToClient: 1,
      bytesClientToServer: 140 + 40,
      bytesServerToClient: 50,
      endReason: 'eof',
    });
    expect(flows[0].packets.map((p) => p.direction)).toEqual([1, -1, 1]);
  });

  it('ends a flow after the idle timeout and starts a new one on the next packet', () => {
    const flows = assemble([pkt({ t: 0, from: 'a', protocol: 17 }), pkt({ t: 100, from: 'b', protocol: 17 }), pkt({ t: 221, from: 'b', protocol: 17 })]);
    expect(flows.map((f) => [f.endReason, f.packetsClientToServer, f.packetsServerToClient, f.clientIp])).toEqual([
      ['idle', 1, 1, '10.0.0.1'],
      ['eof', 1, 0, '10.0.0.2'],
    ]);
    expect(assemble([pkt({ t: 0, from: 'a' }), pkt({ t: 100, from: 'b' })], { idleTimeout: 60 })).toHaveLength(2);
  });

  it('closes TCP after FIN from both sides, keeps the last ACK, and splits on a new SYN', () => {
    const flows = assemble([...handshake(0), ...teardown(1), ...handshake(1.5), pkt({ t: 1.6, from: 'b' })]);
    expect(flows.map((f) => [f.endReason, f.packetsClientToServer, f.packetsServerToClient])).toEqual([
      ['fin', 4, 2],
      ['eof', 2, 2],
    ]);
  });

  it('closes on RST; trailing packets within the linger join, later ones start a new flow', () => {
    const flows = assemble([...handshake(0), pkt({ t: 1, from: 'b', tcpFlags: RST }), pkt({ t: 2, from: 'a' }), pkt({ t: 20, from: 'a' })]);
    expect(flows.map((f) => [f.endReason, f.packetsClientToServer + f.packetsServerToClient])).toEqual([
      ['rst', 5],
      ['eof', 1],
    ]);
  });

  it("does not split on teardown with tcpClose 'never' (nDPI's behaviour)", () => {
    const flows = assemble([...handshake(0), ...teardown(1), ...handshake(2)], { tcpClose: 'never' });
    expect(flows).toHaveLength(1);
    expect(flows[0].packetsClientToServer + flows[0].packetsServerToClient).toBe(9);
  });

  it('half-closed connections stay open', () => {
    const flows = assemble([...handshake(0), pkt({ t: 1, from: 'a', tcpFlags: FIN | ACK }), pkt({ t: 50, from: 'b', payloadBytes: bytesOf(5) })]);
    expect(flows).toHaveLength(1);
    expect(flows[0].endReason).toBe('eof');
  });

  it('keeps at most maxPacketsPerFlow packets and maxPayloadBytes per packet, but totals count everything', () => {
    const packets = Array.from({ length: 50 }, (_, i) => pkt({ t: i * 0.1, from: i % 2 ? 'b' : 'a', payloadBytes: bytesOf(300, i) }));
    const [flow] = assemble(packets, { maxPacketsPerFlow: 8, maxPayloadBytes: 64 });
    expect(flow.packets).toHaveLength(8);
    expect(flow.packets.every((p) => p.payloadBytes.length === 64 && p.payloadLength === 300)).toBe(true);
    expect(flow.packetsClientToServer + flow.packetsServerToClient).toBe(50);
    expect(flow.bytesClientToServer + flow.bytesServerToClient).toBe(50 * 340);
  });

  it('copies kept bytes: reusing the reader buffer afterwards does not change them', () => {
    const buf = bytesOf(64);
    const p = pkt({ t: 0, from: 'a', headerBytes: buf.subarray(0, 40), payloadBytes: buf.subarray(40, 64) });
    const a = new FlowAssembler('copy');
    a.add(p);
    buf.fill(0xee);
    const [flow] = a.finish();
    expect(flow.packets[0].headerBytes[1]).toBe(bytesOf(64)[1]);
    expect(flow.packets[0].payloadBytes[0]).toBe(bytesOf(64)[40]);
    expect(flow.packets[0].payloadBytes.buffer).not.toBe(buf.buffer);
  });

  it('attaches later IP fragments to the flow of their first fragment, counts unattached ones, or drops them', () => {
    const first = pkt({ t: 0, from: 'a', protocol: 17, fragment: { id: 9, offset: 0, moreFragments: true } });
    const later = { ...pkt({ t: 0.001, from: 'a', protocol: 17, fragment: { id: 9, offset: 1480, moreFragments: false } }), srcPort: 0, dstPort: 0 };
    const orphan = { ...pkt({ t: 0.002, from: 'b', protocol: 17, fragment: { id: 10, offset: 1480, moreFragments: false } }), srcPort: 0, dstPort: 0 };
    const a = new FlowAssembler('frag');
    for (const p of [first, later, orphan, later]) a.add(p);
    const flows = a.finish();
    expect(flows).toHaveLength(1);
    expect(flows[0].packetsClientToServer).toBe(2);
    expect(flows[0].packets[1]).toMatchObject({ direction: 1 });
    // The second copy of the last fragment came after the datagram was complete: unattached.
    expect(a.stats).toMatchObject({ attachedFragments: 1, unattachedFragments: 2 });

    const dropped = new FlowAssembler('drop', { fragments: 'drop' });
    for (const p of [first, later]) dropped.add(p);
    expect(dropped.finish()[0].packetsClientToServer).toBe(1);
    expect(dropped.stats.unattachedFragments).toBe(1);
  });

  it('streams finished flows through onFlow and returns [] from finish()', () => {
    const seen: string[] = [];
    const a = new FlowAssembler('s', { onFlow: (f) => seen.push(`${f.id}:${f.endReason}`) });
    a.add(pkt({ t: 0, from: 'a', protocol: 17 }));
    a.add(pkt({ t: 500, from: 'a', protocol: 17 }));
    expect(seen).toEqual(['s#0:idle']); // emitted during add(), before the capture ends
    expect(a.finish()).toEqual([]);
    expect(seen).toEqual(['s#0:idle', 's#1:eof']);
    expect(() => a.add(pkt({ t: 501, from: 'a' }))).toThrow(/after finish/);
  });

  it('bounds the number of open flows by evicting the least recently seen', () => {
    const a = new FlowAssembler('evict', { maxActiveFlows: 3 });
    for (let i = 0; i < 10; i++) a.add({ ...pkt({ t: i, from: 'a', protocol: 17 }), srcPort: 1000 + i });
    expect(a.activeFlows).toBe(3);
    expect(a.stats.evictedFlows).toBe(7);
    expect(a.finish()).toHaveLength(10);
  });

  it('treats timestamps that step backwards as "now" (idle timers never run backwards)', () => {
    const flows = assemble([pkt({ t: 1000, from: 'a' }), pkt({ t: 5, from: 'b' }), pkt({ t: 1001, from: 'a' })]);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ startTime: 1000, endTime: 1001, packetsServerToClient: 1 });
  });

  it('keeps thousands of concurrent flows apart, IPv4 and IPv6, from real decoded packets', () => {
    const records = [];
    for (let i = 0; i < 3000; i++) {
      const v6 = i % 3 === 0;
      const sport = 1024 + (i % 500);
      const host = `10.${(i >> 8) & 0xff}.${i & 0xff}.1`;
      const forward = v6
        ? ethernet(ipv6({ src: [0x2001, 0xdb8, 0, 0, 0, 0, i >> 16, i & 0xffff], protocol: 17, payload: udp({ sport, dport: 53 }) }), 0x86dd)
        : ethernet(ipv4({ src: host, protocol: 6, payload: tcp({ sport, dport: 80, flags: SYN }) }));
      const back = v6
        ? ethernet(ipv6({ dst: [0x2001, 0xdb8, 0, 0, 0, 0, i >> 16, i & 0xffff], src: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 2], protocol: 17, payload: udp({ sport: 53, dport: sport }) }), 0x86dd)
        : ethernet(ipv4({ src: '10.0.0.2', dst: host, protocol: 6, payload: tcp({ sport: 80, dport: sport, flags: SYN | ACK }) }));
      records.push({ ts: i * 0.001, data: forward }, { ts: i * 0.001 + 0.0005, data: back });
    }
    const { flows } = readFlowsFromBytes('many', pcapFile({ records }));
    expect(flows).toHaveLength(3000);
    expect(flows.every((f) => f.packetsClientToServer === 1 && f.packetsServerToClient === 1)).toBe(true);
    expect(flows.filter((f) => f.clientIp.includes(':'))).toHaveLength(1000);
  });
});
