// Small builders for hand-made capture fixtures: IP/transport packets, link-layer framing, pcap and pcapng files.
import { readCaptureBytes } from '../../../src/data/capture/index.ts';
import type { CaptureReadOptions, CaptureStats, CapturedPacket } from '../../../src/data/capture/index.ts';
import type { CaptureWarning, DecodedPacket } from '../../../src/data/types.ts';

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

export const u16 = (x: number): number[] => [(x >>> 8) & 0xff, x & 0xff];
export const u32 = (x: number): number[] => [(x >>> 24) & 0xff, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff];
const u16le = (x: number): number[] => [x & 0xff, (x >>> 8) & 0xff];
const u32le = (x: number): number[] => [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff];

export function ipv4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

export function ipv6Bytes(groups: number[]): number[] {
  return groups.flatMap((g) => u16(g));
}

export const bytesOf = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

export function tcp(o: { sport: number; dport: number; flags?: number; options?: number[]; payload?: Uint8Array; seq?: number }): Uint8Array {
  const options = o.options ?? [];
  if (options.length % 4 !== 0) throw new Error('tcp options must be padded to 4 bytes');
  const doff = (20 + options.length) / 4;
  return concat(u16(o.sport), u16(o.dport), u32(o.seq ?? 1000), u32(0), [doff << 4, o.flags ?? 0x18], u16(65535), u16(0xbeef), u16(0), options, o.payload ?? []);
}

export function udp(o: { sport: number; dport: number; payload?: Uint8Array }): Uint8Array {
  const payload = o.payload ?? new Uint8Array(0);
  return concat(u16(o.sport), u16(o.dport), u16(8 + payload.length), u16(0xcafe), payload);
}

export function icmp(type: number, code: number, rest: number[] = [0, 1, 0, 7], payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat([type, code], u16(0x1234), rest, payload);
}

export function ipv4(o: {
  src?: string;
  dst?: string;
  protocol: number;
  payload: Uint8Array;
  id?: number;
  moreFragments?: boolean;
  fragmentOffset?: number;
  options?: number[];
  totalLength?: number;
  ihl?: number;
}): Uint8Array {
  const options = o.options ?? [];
  const ihl = o.ihl ?? 5 + options.length / 4;
  const total = o.totalLength ?? 20 + options.length + o.payload.length;
  const flagsOffset = (o.moreFragments ? 0x2000 : 0) | ((o.fragmentOffset ?? 0) / 8);
  return concat(
    [0x40 | ihl, 0],
    u16(total),
    u16(o.id ?? 0x1234),
    u16(flagsOffset),
    [64, o.protocol],
    u16(0xabcd),
    ipv4Bytes(o.src ?? '10.0.0.1'),
    ipv4Bytes(o.dst ?? '10.0.0.2'),
    options,
    o.payload,
  );
}

export const V6_SRC = [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1];
export const V6_DST = [0x2001, 0xdb8, 0, 0, 0, 0, 0, 2];

/** IPv6 packet; `ext` are extension headers as [type, body] where body excludes the next-header byte. */
export function ipv6(o: { src?: number[]; dst?: number[]; protocol: number; payload: Uint8Array; ext?: { type: number; bytes: number[] }[]; payloadLength?: number }): Uint8Array {
  const ext = o.ext ?? [];
  const chain: number[] = [];
  for (let i = 0; i < ext.length; i++) {
    const next = i + 1 < ext.length ? ext[i + 1].type : o.protocol;
    chain.push(next, ...ext[i].bytes);
  }
  const first = ext.length > 0 ? ext[0].type : o.protocol;
  const plen = o.payloadLength ?? chain.length + o.payload.length;
  return concat([0x60, 0, 0, 0], u16(plen), [first, 64], ipv6Bytes(o.src ?? V6_SRC), ipv6Bytes(o.dst ?? V6_DST), chain, o.payload);
}

/** An extension header of `8 * (hdrExtLen + 1)` bytes: body after the next-header byte. */
export function extHeader(type: number, hdrExtLen = 0): { type: number; bytes: number[] } {
  return { type, bytes: [hdrExtLen, ...new Array<number>(6 + 8 * hdrExtLen).fill(0x5a)] };
}

export function fragmentHeader(offset: number, more: boolean, id: number): { type: number; bytes: number[] } {
  return { type: 44, bytes: [0, ...u16((offset & 0xfff8) | (more ? 1 : 0)), ...u32(id)] };
}

export function ethernet(payload: Uint8Array, etherType = 0x0800, tags: { tpid: number; vid: number }[] = []): Uint8Array {
  const tagBytes = tags.flatMap((t) => [...u16(t.tpid), ...u16(t.vid)]);
  return concat([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1], tagBytes, u16(etherType), payload);
}

export function sll(payload: Uint8Array, protocol = 0x0800): Uint8Array {
  return concat(u16(0), u16(1), u16(6), [1, 2, 3, 4, 5, 6, 0, 0], u16(protocol), payload);
}

export function sll2(payload: Uint8Array, protocol = 0x0800): Uint8Array {
  return concat(u16(protocol), u16(0), u32(3), u16(1), [0, 6], [1, 2, 3, 4, 5, 6, 0, 0], payload);
}

export function nullLink(payload: Uint8Array, family: number, littleEndian: boolean): Uint8Array {
  return concat(littleEndian ? u32le(family) : u32(family), payload);
}

export interface PcapRecord {
  ts: number; // seconds (fractional)
  data: Uint8Array;
  origLen?: number;
  capLen?: number; // override the header's captured length (corruption tests)
}

export function pcapFile(o: { linkType?: number; littleEndian?: boolean; nano?: boolean; snapLength?: number; records: PcapRecord[]; version?: [number, number] }): Uint8Array {
  const le = o.littleEndian ?? true;
  const w16 = le ? u16le : u16;
  const w32 = le ? u32le : u32;
  const magic = o.nano ? 0xa1b23c4d : 0xa1b2c3d4;
  const perSecond = o.nano ? 1e9 : 1e6;
  const [major, minor] = o.version ?? [2, 4];
  const parts: (number[] | Uint8Array)[] = [w32(magic), w16(major), w16(minor), w32(0), w32(0), w32(o.snapLength ?? 65535), w32(o.linkType ?? 1)];
  for (const r of o.records) {
    const sec = Math.floor(r.ts);
    const frac = Math.round((r.ts - sec) * perSecond);
    parts.push(w32(sec), w32(frac), w32(r.capLen ?? r.data.length), w32(r.origLen ?? r.data.length), r.data);
  }
  return concat(...parts);
}

export type NgBlock =
  | { kind: 'epb'; iface: number; ticks: number; data: Uint8Array; origLen?: number }
  | { kind: 'spb'; data: Uint8Array; origLen?: number }
  | { kind: 'opb'; iface: number; ticks: number; data: Uint8Array }
  | { kind: 'idb'; linkType: number; snapLength?: number; tsresol?: number; tsoffset?: number }
  | { kind: 'raw'; type: number; body: number[] };

/** One pcapng section: header block, then `blocks` in order (interface blocks included where you put them). */
export function pcapngSection(littleEndian: boolean, blocks: NgBlock[]): Uint8Array {
  const w16 = littleEndian ? u16le : u16;
  const w32 = littleEndian ? u32le : u32;
  const pad = (a: Uint8Array | number[]): number[] => {
    const arr = Array.from(a);
    while (arr.length % 4 !== 0) arr.push(0);
    return arr;
  };
  const block = (type: number, body: number[]): number[] => {
    const length = 12 + body.length;
    return [...w32(type), ...w32(length), ...body, ...w32(length)];
  };
  const parts: number[][] = [block(0x0a0d0d0a, [...w32(0x1a2b3c4d), ...w16(1), ...w16(0), ...w32(0xffffffff), ...w32(0xffffffff)])];
  for (const b of blocks) {
    switch (b.kind) {
      case 'idb': {
        const options: number[] = [];
        if (b.tsresol !== undefined) options.push(...w16(9), ...w16(1), ...pad([b.tsresol]));
        if (b.tsoffset !== undefined) {
          const hi = Math.floor(b.tsoffset / 4294967296);
          const lo = b.tsoffset >>> 0;
          options.push(...w16(14), ...w16(8), ...(littleEndian ? [...w32(lo), ...w32(hi)] : [...w32(hi), ...w32(lo)]));
        }
        if (options.length > 0) options.push(...w16(0), ...w16(0));
        parts.push(block(1, [...w16(b.linkType), ...w16(0), ...w32(b.snapLength ?? 262144), ...options]));
        break;
      }
      case 'epb': {
        const hi = Math.floor(b.ticks / 4294967296);
        const lo = b.ticks % 4294967296;
        parts.push(block(6, [...w32(b.iface), ...w32(hi), ...w32(lo), ...w32(b.data.length), ...w32(b.origLen ?? b.data.length), ...pad(b.data)]));
        break;
      }
      case 'spb':
        parts.push(block(3, [...w32(b.origLen ?? b.data.length), ...pad(b.data)]));
        break;
      case 'opb': {
        const hi = Math.floor(b.ticks / 4294967296);
        const lo = b.ticks % 4294967296;
        parts.push(block(2, [...w16(b.iface), ...w16(0), ...w32(hi), ...w32(lo), ...w32(b.data.length), ...w32(b.data.length), ...pad(b.data)]));
        break;
      }
      case 'raw':
        parts.push(block(b.type, pad(b.body)));
        break;
    }
  }
  return concat(...parts);
}

/** What a read produced, with packets snapshotted (copied) so they can be inspected after the call. */
export interface ReadResult {
  packets: CapturedPacket[];
  warnings: CaptureWarning[];
  stats: CaptureStats;
}

export function snapshot(p: DecodedPacket): CapturedPacket {
  return { ...(p as CapturedPacket), headerBytes: p.headerBytes.slice(), payloadBytes: p.payloadBytes.slice() };
}

export function readAll(bytes: Uint8Array, options?: CaptureReadOptions, name = 'fixture.pcap'): ReadResult {
  const packets: CapturedPacket[] = [];
  const warnings: CaptureWarning[] = [];
  const stats = readCaptureBytes(name, bytes, { onPacket: (p) => packets.push(snapshot(p)), onWarning: (w) => warnings.push(w) }, options);
  return { packets, warnings, stats };
}

/** One frame in a microsecond little-endian pcap with the given link type. */
export function oneFrame(frame: Uint8Array, linkType = 1, ts = 1_700_000_000.25): Uint8Array {
  return pcapFile({ linkType, records: [{ ts, data: frame }] });
}

/** A standard Ethernet/IPv4/TCP frame used by many tests. */
export function sampleTcpFrame(payload = bytesOf(10)): Uint8Array {
  return ethernet(ipv4({ protocol: 6, payload: tcp({ sport: 40000, dport: 443, flags: 0x18, payload }) }));
}
