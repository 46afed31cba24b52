// Decodes one captured frame from its link layer down to the transport header and hands the packet to onPacket.
//
// Layers, in order:
//   link:      Ethernet (802.1Q / QinQ 0x88a8 / 0x9100 tags, LLC-SNAP, PPPoE session, MPLS), Linux cooked v1/v2,
//              raw IPv4/IPv6, BSD null/loop, PPP, Cisco HDLC
//   network:   IPv4 (options), IPv6 (hop-by-hop, routing, fragment, destination options, mobility, HIP, shim6);
//              IP-in-IP and 6in4 are looked through when `decapsulate` is on
//   transport: TCP (options), UDP, UDP-Lite, SCTP (ports), ICMP / ICMPv6 (no ports), anything else (no ports)
//
// NOTE fragments: the first fragment (offset 0) carries the transport header and so the ports; later fragments carry
// only payload and are delivered with ports 0, `fragment` set and an IP-only header. Attaching them to their flow is
// the flow assembler's job (by source, destination, protocol and IP id). We never reassemble.
//
// NOTE strictness: a frame whose headers contradict themselves is counted as malformed, reported (first few) and
// skipped; a frame cut by the snap length before the headers we need is counted as truncated and skipped silently.
// The packet is never partly trusted: what is delivered has headers that agree with each other.
import { LinkType } from '../types.ts';
import type { CaptureContext } from './capture-context.ts';
import type { CapturedPacket } from './capture-types.ts';
import { AddressTextCache } from './ip-address.ts';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
const ETHERTYPE_QINQ_OLD2 = 0x9200;
const ETHERTYPE_PPPOE_SESSION = 0x8864;
const ETHERTYPE_MPLS = 0x8847;
const ETHERTYPE_MPLS_MULTICAST = 0x8848;

const PROTO_ICMP = 1;
const PROTO_IPIP = 4;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_IPV6 = 41;
const PROTO_ICMPV6 = 58;
const PROTO_SCTP = 132;
const PROTO_UDPLITE = 136;

/** IPv6 extension headers we walk through; AH and ESP end the walk (the flow is then an IPsec flow, as in nDPI). */
function isIpv6ExtensionHeader(next: number): boolean {
  return next === 0 || next === 43 || next === 60 || next === 135 || next === 139 || next === 140 || next === 253 || next === 254;
}
const IPV6_FRAGMENT = 44;
/** A walk longer than this is garbage; the bound also guarantees the loop ends. */
const MAX_IPV6_EXTENSION_HEADERS = 16;
const MAX_TUNNEL_DEPTH = 3;
const MAX_LINK_TAGS = 16;

// Results of the link-layer step other than an offset.
const NOT_IP = -1;
const SHORT = -2;
const BAD = -3;

export class FrameDecoder {
  private readonly text = new AddressTextCache();
  /** 4 or 6 when the link layer names the network protocol; 0 when the IP version nibble must decide. */
  private hint: 0 | 4 | 6 = 0;
  /** Reason for a BAD link result. */
  private linkProblem = '';

  constructor(private readonly ctx: CaptureContext) {}

  /**
   * Decodes the frame in `buf[start, start + capturedLength)` and calls onPacket when it holds an IP packet.
   * Never throws on frame contents: problems become counters and warnings.
   */
  decode(
    buf: Uint8Array,
    start: number,
    capturedLength: number,
    wireLength: number,
    linkType: number,
    timestamp: number,
    frameIndex: number,
    fileOffset: number,
  ): void {
    const ctx = this.ctx;
    const stats = ctx.stats;
    const end = start + capturedLength;
    // Frames shorter on the wire than captured are written by some tools; trust what we hold.
    const wireLen = wireLength < capturedLength ? capturedLength : wireLength;
    const cut = capturedLength < wireLen;

    let o = this.linkPayload(buf, start, end, linkType);
    if (o < 0) {
      if (o === NOT_IP) stats.skippedNonIp++;
      else if (o === SHORT && cut) stats.truncatedPackets++;
      else if (o === SHORT) ctx.packetProblem(fileOffset, `frame ${frameIndex}: ${capturedLength} bytes is too short for its link-layer header`);
      else ctx.packetProblem(fileOffset, `frame ${frameIndex}: ${this.linkProblem}`);
      return;
    }

    // ---- network layer (loops only to look through IP-in-IP tunnels) ----
    let hint = this.hint;
    let ipEnd = end; // end of the IP packet as captured (Ethernet padding trimmed)
    let wireEnd = start + wireLen; // end of the frame on the wire, for length checks on snap-cut frames
    let version: 4 | 6 = 4;
    let protocol = 0;
    let l4 = 0; // start of the transport header
    let declaredEnd = 0; // end of the IP packet as its header states it (may lie past `end` on cut frames)
    let ipLength = 0;
    let fragment: CapturedPacket['fragment'] = null;
    let s0 = 0, s1 = 0, s2 = 0xffff, s3 = 0, d0 = 0, d1 = 0, d2 = 0xffff, d3 = 0;
    for (let depth = 0; ; depth++) {
      if (o >= ipEnd) {
        if (cut) stats.truncatedPackets++;
        else ctx.packetProblem(fileOffset, `frame ${frameIndex}: no IP header after the link-layer header`);
        return;
      }
      const nibble = buf[o] >>> 4;
      if (hint !== 0 && nibble !== hint) {
        ctx.packetProblem(fileOffset, `frame ${frameIndex}: link layer announces IPv${hint} but the IP version field is ${nibble}`);
        return;
      }
      if (nibble === 4) {
        version = 4;
        if (o + 20 > ipEnd) {
          if (cut) stats.truncatedPackets++;
          else ctx.packetProblem(fileOffset, `frame ${frameIndex}: ${ipEnd - o} bytes is too short for an IPv4 header`);
          return;
        }
        const ihl = (buf[o] & 0x0f) * 4;
        let total = (buf[o + 2] << 8) | buf[o + 3];
        if (ihl < 20) {
          ctx.packetProblem(fileOffset, `frame ${frameIndex}: IPv4 header length ${ihl} is below the minimum 20`);
          return;
        }
        // Segmentation offload captures a super-packet whose total length is 0: the frame length stands in.
        if (total === 0) total = wireEnd - o;
        if (total < ihl) {
          ctx.packetProblem(fileOffset, `frame ${frameIndex}: IPv4 total length ${total} is shorter than its header length ${ihl}`);
          return;
        }
        if (o + total > wireEnd) {
          ctx.packetProblem(fileOffset, `frame ${frameIndex}: IPv4 total length ${total} runs past the ${wireEnd - o} bytes left in the frame`);
          return;
        }
        if (o + ihl > ipEnd) {
          stats.truncatedPackets++;
          return;
        }
        declaredEnd = o + total;
        if (declaredEnd < ipEnd) ipEnd = declaredEnd; // Ethernet padding is not part of the packet
        ipLength = total;
        protocol = buf[o + 9];
        const flagsOffset = (buf[o + 6] << 8) | buf[o + 7];
        const fragOffset = (flagsOffset & 0x1fff) * 8;
        const more = (flagsOffset & 0x2000) !== 0;
        fragment = fragOffset !== 0 || more ? { id: (buf[o + 4] << 8) | buf[o + 5], offset: fragOffset, moreFragments: more } : null;
        s0 = 0; s1 = 0; s2 = 0xffff; d0 = 0; d1 = 0; d2 = 0xffff;
        s3 = ((buf[o + 12] << 24) | (buf[o + 13] << 16) | (buf[o + 14] << 8) | buf[o + 15]) >>> 0;
        d3 = ((buf[o + 16] << 24) | (buf[o + 17] << 16) | (buf[o + 18] << 8) | buf[o + 19]) >>> 0;
        l4 = o + ihl;
      } else if (nibble === 6) {
        version = 6;
        if (o + 40 > ipEnd) {
          if (cut) stats.truncatedPackets++;
          else ctx.packetProblem(fileOffset, `frame ${frameIndex}: ${ipEnd - o} bytes is too short for an IPv6 header`);
          return;
        }
        let payloadLength = (buf[o + 4] << 8) | buf[o + 5];
        // 0 means a jumbogram (hop-by-hop option) or an offloaded super-packet: the frame length stands in.
        if (payloadLength === 0) payloadLength = wireEnd - o - 40;
        if (o + 40 + payloadLength > wireEnd) {
          ctx.packetProblem(fileOffset, `frame ${frameIndex}: IPv6 payload length ${payloadLength} runs past the ${wireEnd - o - 40} bytes left in the frame`);
          return;
        }
        declaredEnd = o + 40 + payloadLength;
        if (declaredEnd < ipEnd) ipEnd = declaredEnd;
        ipLength = 40 + payloadLength;
        s0 = u32(buf, o + 8); s1 = u32(buf, o + 12); s2 = u32(buf, o + 16); s3 = u32(buf, o + 20);
        d0 = u32(buf, o + 24); d1 = u32(buf, o + 28); d2 = u32(buf, o + 32); d3 = u32(buf, o + 36);
        let next = buf[o + 6];
        let p = o + 40;
        fragment = null;
        for (let n = 0; isIpv6ExtensionHeader(next) || next === IPV6_FRAGMENT; n++) {
          if (n >= MAX_IPV6_EXTENSION_HEADERS) {
            ctx.packetProblem(fileOffset, `frame ${frameIndex}: more than ${MAX_IPV6_EXTENSION_HEADERS} IPv6 extension headers`);
            return;
          }
          if (p + 8 > declaredEnd) {
            ctx.packetProblem(fileOffset, `frame ${frameIndex}: IPv6 extension header ${next} runs past the packet`);
            return;
          }
          if (p + 8 > ipEnd) {
            stats.truncatedPackets++;
            return;
          }
          if (next === IPV6_FRAGMENT) {
            const offsetFlags = (buf[p + 2] << 8) | buf[p + 3];
            fragment = { id: u32(buf, p + 4), offset: offsetFlags & 0xfff8, moreFragments: (offsetFlags & 1) !== 0 };
            if (fragment.offset === 0 && !fragment.moreFragments) fragment = null; // an "atomic" fragment is a whole packet
            next = buf[p];
            p += 8;
          } else {
            const len = (buf[p + 1] + 1) * 8;
            if (p + len > declaredEnd) {
              ctx.packetProblem(fileOffset, `frame ${frameIndex}: IPv6 extension header ${next} of ${len} bytes runs past the packet`);
              return;
            }
            next = buf[p];
            p += len;
          }
          // Later fragments hold payload only, whatever the next-header value says.
          if (fragment !== null && fragment.offset !== 0) break;
        }
        protocol = next;
        l4 = p;
      } else {
        ctx.packetProblem(fileOffset, `frame ${frameIndex}: IP version field is ${nibble}, not 4 or 6`);
        return;
      }

      const tunnelled = (protocol === PROTO_IPIP || protocol === PROTO_IPV6) && fragment === null;
      if (!tunnelled || !ctx.options.decapsulate || depth + 1 >= MAX_TUNNEL_DEPTH) break;
      // Look through the tunnel: the inner packet is the conversation. Its bounds are the outer payload's.
      o = l4;
      wireEnd = declaredEnd;
      hint = protocol === PROTO_IPIP ? 4 : 6;
    }

    // ---- transport layer ----
    let headerEnd = l4;
    let srcPort = 0;
    let dstPort = 0;
    let tcpFlags = 0;
    const l4Declared = declaredEnd - l4;
    if (fragment === null || fragment.offset === 0) {
      if (protocol === PROTO_TCP) {
        if (l4Declared < 20) {
          // The first fragment of a datagram may hold less than a TCP header: an evasion trick, not a packet we can key.
          ctx.packetProblem(fileOffset, `frame ${frameIndex}: ${l4Declared} bytes is too short for a TCP header`);
          return;
        }
        if (l4 + 20 > ipEnd) {
          stats.truncatedPackets++;
          return;
        }
        const dataOffset = (buf[l4 + 12] >>> 4) * 4;
        if (dataOffset < 20 || dataOffset > l4Declared) {
          ctx.packetProblem(fileOffset, `frame ${frameIndex}: TCP data offset ${dataOffset} is outside 20..${l4Declared}`);
          return;
        }
        srcPort = (buf[l4] << 8) | buf[l4 + 1];
        dstPort = (buf[l4 + 2] << 8) | buf[l4 + 3];
        tcpFlags = buf[l4 + 13];
        headerEnd = l4 + dataOffset;
      } else if (protocol === PROTO_UDP || protocol === PROTO_UDPLITE || protocol === PROTO_SCTP) {
        const headerLength = protocol === PROTO_SCTP ? 12 : 8;
        if (l4Declared < headerLength) {
          ctx.packetProblem(fileOffset, `frame ${frameIndex}: ${l4Declared} bytes is too short for a ${protocol === PROTO_SCTP ? 'SCTP' : 'UDP'} header`);
          return;
        }
        if (l4 + headerLength > ipEnd) {
          stats.truncatedPackets++;
          return;
        }
        srcPort = (buf[l4] << 8) | buf[l4 + 1];
        dstPort = (buf[l4 + 2] << 8) | buf[l4 + 3];
        headerEnd = l4 + headerLength;
      } else if (protocol === PROTO_ICMP || protocol === PROTO_ICMPV6) {
        if (l4Declared < 4) {
          ctx.packetProblem(fileOffset, `frame ${frameIndex}: ${l4Declared} bytes is too short for an ICMP header`);
          return;
        }
        // Type, code, checksum and the 4-byte rest-of-header (echo id/sequence...) when present.
        headerEnd = l4 + (l4Declared >= 8 ? 8 : 4);
      }
    }
    const payloadLength = declaredEnd - headerEnd;
    if (headerEnd > ipEnd) headerEnd = ipEnd; // a snap-cut ICMP or TCP-options header: keep what we have

    stats.packets++;
    stats.protocols[protocol] = (stats.protocols[protocol] ?? 0) + 1;
    if (fragment !== null) stats.fragments++;
    const headerStart = o;
    const text = this.text;
    const p: CapturedPacket = {
      timestamp,
      frameIndex,
      fileOffset,
      linkType,
      wireLength,
      capturedLength,
      ipVersion: version,
      srcIp: version === 4 ? text.ipv4(s3) : text.ipv6(s0, s1, s2, s3),
      dstIp: version === 4 ? text.ipv4(d3) : text.ipv6(d0, d1, d2, d3),
      protocol,
      srcPort,
      dstPort,
      ipLength,
      headerBytes: buf.subarray(headerStart, headerEnd),
      payloadBytes: buf.subarray(headerEnd, ipEnd),
      payloadLength,
      tcpFlags,
      fragment,
      src0: s0,
      src1: s1,
      src2: s2,
      src3: s3,
      dst0: d0,
      dst1: d1,
      dst2: d2,
      dst3: d3,
    };
    ctx.handlers.onPacket(p);
  }

  /**
   * Skips the link-layer header. Returns the offset of the network header, or NOT_IP / SHORT / BAD.
   * Sets `hint` to the IP version the link layer announces (0: let the version nibble decide).
   */
  private linkPayload(buf: Uint8Array, start: number, end: number, linkType: number): number {
    this.hint = 0;
    switch (linkType) {
      case LinkType.ETHERNET: {
        if (start + 14 > end) return SHORT;
        const type = (buf[start + 12] << 8) | buf[start + 13];
        if (type <= 1500) return this.llc(buf, start + 14, end);
        return this.etherType(buf, start + 14, end, type);
      }
      case LinkType.LINUX_SLL: {
        if (start + 16 > end) return SHORT;
        const type = (buf[start + 14] << 8) | buf[start + 15];
        // Values below 1536 are Linux pseudo-protocols (802.2 LLC, Novell 802.3...): not IP.
        return this.etherType(buf, start + 16, end, type);
      }
      case LinkType.LINUX_SLL2: {
        if (start + 20 > end) return SHORT;
        return this.etherType(buf, start + 20, end, (buf[start] << 8) | buf[start + 1]);
      }
      case LinkType.RAW:
        return start;
      case LinkType.IPV4:
        this.hint = 4;
        return start;
      case LinkType.IPV6:
        this.hint = 6;
        return start;
      case LinkType.NULL:
      case LinkType.LOOP: {
        if (start + 4 > end) return SHORT;
        // NULL stores the address family in the capturing host's byte order, which the file does not record: the
        // family is a small number, so whichever end holds the non-zero byte tells the order.
        const be = u32(buf, start);
        const le = (buf[start] | (buf[start + 1] << 8) | (buf[start + 2] << 16) | (buf[start + 3] << 24)) >>> 0;
        const family = linkType === LinkType.LOOP || be < 256 ? be : le;
        if (family === 2) this.hint = 4;
        else if (family === 10 || family === 24 || family === 28 || family === 30) this.hint = 6; // Linux, Net/OpenBSD, FreeBSD, Darwin
        else return NOT_IP;
        return start + 4;
      }
      case LinkType.PPP:
      case LinkType.PPP_HDLC: {
        let p = start;
        if (p + 2 <= end && buf[p] === 0xff && buf[p + 1] === 0x03) p += 2; // HDLC address and control
        if (p + 1 > end) return SHORT;
        // Protocol-field compression: an odd first byte is a 1-byte protocol.
        let proto: number;
        if ((buf[p] & 1) === 1) {
          proto = buf[p];
          p += 1;
        } else {
          if (p + 2 > end) return SHORT;
          proto = (buf[p] << 8) | buf[p + 1];
          p += 2;
        }
        if (proto === 0x21) this.hint = 4;
        else if (proto === 0x57) this.hint = 6;
        else return NOT_IP;
        return p;
      }
      case LinkType.C_HDLC: {
        if (start + 4 > end) return SHORT;
        return this.etherType(buf, start + 4, end, (buf[start + 2] << 8) | buf[start + 3]);
      }
      default:
        // Callers check support per interface before decoding; reaching here means a caller bug, not bad input.
        this.linkProblem = `link type ${linkType} cannot be decoded`;
        return BAD;
    }
  }

  /** 802.3 frame with an LLC header: only SNAP with an Ethertype can carry IP. */
  private llc(buf: Uint8Array, p: number, end: number): number {
    if (p + 3 > end) return SHORT;
    if (buf[p] === 0xaa && buf[p + 1] === 0xaa && buf[p + 2] === 0x03) {
      if (p + 8 > end) return SHORT;
      return this.etherType(buf, p + 8, end, (buf[p + 6] << 8) | buf[p + 7]);
    }
    return NOT_IP; // spanning tree, NetBIOS, IPX...
  }

  /** Follows an Ethertype through VLAN tags, PPPoE and MPLS to the IP header. */
  private etherType(buf: Uint8Array, p: number, end: number, type: number): number {
    for (let n = 0; n < MAX_LINK_TAGS; n++) {
      switch (type) {
        case ETHERTYPE_IPV4:
          this.hint = 4;
          return p;
        case ETHERTYPE_IPV6:
          this.hint = 6;
          return p;
        case ETHERTYPE_VLAN:
        case ETHERTYPE_QINQ:
        case ETHERTYPE_QINQ_OLD:
        case ETHERTYPE_QINQ_OLD2:
          if (p + 4 > end) return SHORT;
          type = (buf[p + 2] << 8) | buf[p + 3];
          p += 4;
          continue;
        case ETHERTYPE_PPPOE_SESSION: {
          // version/type, code, session id, length, then the 2-byte PPP protocol
          if (p + 8 > end) return SHORT;
          const proto = (buf[p + 6] << 8) | buf[p + 7];
          p += 8;
          if (proto === 0x0021) type = ETHERTYPE_IPV4;
          else if (proto === 0x0057) type = ETHERTYPE_IPV6;
          else return NOT_IP;
          continue;
        }
        case ETHERTYPE_MPLS:
        case ETHERTYPE_MPLS_MULTICAST: {
          // Pop labels until bottom-of-stack; MPLS does not say what it carries, the IP version nibble does.
          for (let k = 0; ; k++) {
            if (p + 4 > end) return SHORT;
            if (k >= MAX_LINK_TAGS) {
              this.linkProblem = `MPLS label stack deeper than ${MAX_LINK_TAGS}`;
              return BAD;
            }
            const bottom = (buf[p + 2] & 1) === 1;
            p += 4;
            if (bottom) break;
          }
          if (p >= end) return SHORT;
          const nibble = buf[p] >>> 4;
          if (nibble === 4 || nibble === 6) return p;
          return NOT_IP; // pseudowire carrying Ethernet or other payload
        }
        default:
          return NOT_IP;
      }
    }
    this.linkProblem = `more than ${MAX_LINK_TAGS} nested VLAN/PPPoE tags`;
    return BAD;
  }
}

/** Big-endian unsigned 32-bit word at `p`. */
function u32(buf: Uint8Array, p: number): number {
  return ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
}
