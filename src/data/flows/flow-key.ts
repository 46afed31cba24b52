// The bidirectional 5-tuple key of a packet: address words, ports and protocol, and a hash that ignores direction.
//
// Packets from our readers carry the address words already (CapturedPacket), so keying costs no strings and no
// allocation. Packets built elsewhere (synthetic traffic, tests) only have address strings: those are parsed once
// and remembered.
import { isCapturedPacket } from '../capture/capture-types.ts';
import type { AddressWords } from '../capture/ip-address.ts';
import { parseAddress } from '../capture/ip-address.ts';
import type { DecodedPacket } from '../types.ts';

/** A reusable scratch key: filled per packet, never kept. */
export class PacketKey {
  version = 4;
  protocol = 0;
  s0 = 0;
  s1 = 0;
  s2 = 0;
  s3 = 0;
  d0 = 0;
  d1 = 0;
  d2 = 0;
  d3 = 0;
  srcPort = 0;
  dstPort = 0;
  /** Same value for both directions of a conversation. */
  hash = 0;

  private readonly parsed = new Map<string, AddressWords>();
  private nextUnparsable = 1;

  fill(p: DecodedPacket): void {
    this.version = p.ipVersion;
    this.protocol = p.protocol;
    this.srcPort = p.srcPort;
    this.dstPort = p.dstPort;
    if (isCapturedPacket(p)) {
      this.s0 = p.src0;
      this.s1 = p.src1;
      this.s2 = p.src2;
      this.s3 = p.src3;
      this.d0 = p.dst0;
      this.d1 = p.dst1;
      this.d2 = p.dst2;
      this.d3 = p.dst3;
    } else {
      const s = this.wordsOf(p.srcIp);
      const d = this.wordsOf(p.dstIp);
      this.s0 = s[0];
      this.s1 = s[1];
      this.s2 = s[2];
      this.s3 = s[3];
      this.d0 = d[0];
      this.d1 = d[1];
      this.d2 = d[2];
      this.d3 = d[3];
    }
    const a = endpointHash(this.s0, this.s1, this.s2, this.s3, this.srcPort);
    const b = endpointHash(this.d0, this.d1, this.d2, this.d3, this.dstPort);
    // Sum and product are symmetric in (a, b), so both directions land in the same bucket.
    this.hash = mix(mix(Math.imul(this.protocol + 1, 0x9e3779b1), (a + b) | 0), Math.imul(a, b) ^ this.version);
  }

  private wordsOf(text: string): AddressWords {
    let w = this.parsed.get(text);
    if (w === undefined) {
      if (this.parsed.size >= 1 << 16) this.parsed.clear();
      // Unparsable text still needs a stable identity: give it a word pattern no real address uses here.
      w = parseAddress(text)?.words ?? [0xfffffffe, 0, 0, this.nextUnparsable++];
      this.parsed.set(text, w);
    }
    return w;
  }
}

function mix(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function endpointHash(w0: number, w1: number, w2: number, w3: number, port: number): number {
  return mix(mix(mix(mix(port, w3), w2), w1), w0);
}
