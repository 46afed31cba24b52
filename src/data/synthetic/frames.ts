// Frame builders: IPv4 packets carrying TCP or UDP (checksums filled in) and the Ethernet II frame around them.
import { finishChecksum, pseudoHeaderSum, sumWords } from './checksum.ts';

export const IP_PROTO_TCP = 6;
export const IP_PROTO_UDP = 17;
export const ETHERTYPE_IPV4 = 0x0800;

export const IPV4_HEADER_LENGTH = 20; // we never emit IP options
export const TCP_HEADER_LENGTH = 20; // without options
export const UDP_HEADER_LENGTH = 8;
export const ETHERNET_HEADER_LENGTH = 14;

/** TCP flag bits as they sit in byte 13 of the TCP header. */
export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

/** The IPv4 header fields a sender chooses; length, checksum and version are derived. */
export interface Ipv4Fields {
  /** Addresses as unsigned 32-bit integers (10.0.0.1 = 0x0a000001). */
  src: number;
  dst: number;
  ttl: number;
  /** Identification field: senders step it per packet. */
  id: number;
  /** DSCP + ECN byte (0xb8 = DSCP EF, what VoIP phones mark). */
  tos: number;
  dontFragment: boolean;
}

export interface TcpFields {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** Raw option bytes, a multiple of 4 long (the data offset counts 32-bit words). */
  options?: Uint8Array;
}

/** Parses "10.0.0.1" into 0x0a000001. */
export function ipv4FromString(text: string): number {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`ipv4FromString: not a dotted-quad address: "${text}"`);
  }
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function ipv4ToString(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 0xff}.${(address >>> 8) & 0xff}.${address & 0xff}`;
}

function writeIpv4Header(out: Uint8Array, ip: Ipv4Fields, protocol: number, totalLength: number): void {
  if (totalLength > 0xffff) throw new Error(`ipv4: total length ${totalLength} exceeds 65535`);
  out[0] = 0x45; // version 4, IHL 5 words
  out[1] = ip.tos;
  out[2] = totalLength >>> 8;
  out[3] = totalLength & 0xff;
  out[4] = (ip.id >>> 8) & 0xff;
  out[5] = ip.id & 0xff;
  out[6] = ip.dontFragment ? 0x40 : 0x00; // flags + fragment offset 0: we never fragment
  out[7] = 0;
  out[8] = ip.ttl;
  out[9] = protocol;
  out[10] = 0; // checksum computed over the header with this field zero
  out[11] = 0;
  writeU32(out, 12, ip.src);
  writeU32(out, 16, ip.dst);
  const checksum = finishChecksum(sumWords(out, 0, IPV4_HEADER_LENGTH));
  out[10] = checksum >>> 8;
  out[11] = checksum & 0xff;
}

/**
 * An IPv4 packet carrying one TCP segment, IP and TCP checksums filled in.
 *
 * @example
 *   const syn = tcpIpv4Packet(ip, { srcPort: 50000, dstPort: 443, seq: 1, ack: 0, flags: TcpFlag.SYN, window: 64240 },
 *     new Uint8Array(0));
 */
export function tcpIpv4Packet(ip: Ipv4Fields, tcp: TcpFields, payload: Uint8Array): Uint8Array {
  const optionLength = tcp.options?.length ?? 0;
  if (optionLength % 4 !== 0 || optionLength > 40) {
    throw new Error(`tcpIpv4Packet: options must be a multiple of 4 bytes and at most 40 (got ${optionLength})`);
  }
  const tcpLength = TCP_HEADER_LENGTH + optionLength + payload.length;
  const out = new Uint8Array(IPV4_HEADER_LENGTH + tcpLength);
  writeIpv4Header(out, ip, IP_PROTO_TCP, out.length);
  const t = IPV4_HEADER_LENGTH;
  out[t] = tcp.srcPort >>> 8;
  out[t + 1] = tcp.srcPort & 0xff;
  out[t + 2] = tcp.dstPort >>> 8;
  out[t + 3] = tcp.dstPort & 0xff;
  writeU32(out, t + 4, tcp.seq);
  writeU32(out, t + 8, tcp.ack);
  out[t + 12] = ((TCP_HEADER_LENGTH + optionLength) / 4) << 4; // data offset in words
  out[t + 13] = tcp.flags;
  out[t + 14] = tcp.window >>> 8;
  out[t + 15] = tcp.window & 0xff;
  // bytes 16-17 checksum (zero while summing), 18-19 urgent pointer (unused)
  if (tcp.options) out.set(tcp.options, t + TCP_HEADER_LENGTH);
  out.set(payload, t + TCP_HEADER_LENGTH + optionLength);
  const acc = sumWords(out, t, out.length, pseudoHeaderSum(ip.src, ip.dst, IP_PROTO_TCP, tcpLength));
  const checksum = finishChecksum(acc);
  out[t + 16] = checksum >>> 8;
  out[t + 17] = checksum & 0xff;
  return out;
}

/** An IPv4 packet carrying one UDP datagram, IP and UDP checksums filled in. */
export function udpIpv4Packet(ip: Ipv4Fields, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const udpLength = UDP_HEADER_LENGTH + payload.length;
  const out = new Uint8Array(IPV4_HEADER_LENGTH + udpLength);
  writeIpv4Header(out, ip, IP_PROTO_UDP, out.length);
  const u = IPV4_HEADER_LENGTH;
  out[u] = srcPort >>> 8;
  out[u + 1] = srcPort & 0xff;
  out[u + 2] = dstPort >>> 8;
  out[u + 3] = dstPort & 0xff;
  out[u + 4] = udpLength >>> 8;
  out[u + 5] = udpLength & 0xff;
  out.set(payload, u + UDP_HEADER_LENGTH);
  const acc = sumWords(out, u, out.length, pseudoHeaderSum(ip.src, ip.dst, IP_PROTO_UDP, udpLength));
  // NOTE: a computed UDP checksum of 0 is sent as 0xffff; 0 on the wire means "no checksum" (RFC 768).
  const checksum = finishChecksum(acc) || 0xffff;
  out[u + 6] = checksum >>> 8;
  out[u + 7] = checksum & 0xff;
  return out;
}

/** An Ethernet II frame (no FCS: capture files do not carry it) around an IPv4 packet. */
export function ethernetFrame(dstMac: Uint8Array, srcMac: Uint8Array, ipPacket: Uint8Array): Uint8Array {
  const out = new Uint8Array(ETHERNET_HEADER_LENGTH + ipPacket.length);
  out.set(dstMac, 0);
  out.set(srcMac, 6);
  out[12] = ETHERTYPE_IPV4 >>> 8;
  out[13] = ETHERTYPE_IPV4 & 0xff;
  out.set(ipPacket, ETHERNET_HEADER_LENGTH);
  return out;
}

export function writeU32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}

export function writeU16(out: Uint8Array, offset: number, value: number): void {
  out[offset] = (value >>> 8) & 0xff;
  out[offset + 1] = value & 0xff;
}
