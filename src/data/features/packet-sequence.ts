// The default DCL-MoE input: signed size and log inter-arrival time of a flow's first 20 packets, interleaved.
import type { Flow } from '../types.ts';
import type { FeatureSet } from './feature-set.ts';

export const PACKET_SEQUENCE_PACKETS = 20;

/**
 * Layout (40 values): `[size_0, iat_0, size_1, iat_1, ..., size_19, iat_19]` where, for packet i of the flow in
 * capture order,
 * - `size_i` = direction * IP length (bytes; + client to server, - server to client);
 * - `iat_i`  = log1p(milliseconds since packet i-1 of the flow, either direction); `iat_0` = 0.
 * Flows with fewer than 20 packets are zero-padded; a real packet never has size 0 (the IP header alone is 20 bytes),
 * so padding stays recognisable.
 *
 * NOTE interleaved rather than [20 sizes, 20 IATs]: DCL-MoE's CNN and LSTM experts read the vector as a length-40
 * sequence, and interleaving keeps each packet's size next to its timing so a kernel of 3 sees one whole packet and
 * part of the next. log1p keeps sub-millisecond bursts (~0) and multi-second pauses (~8-10) on one usable scale.
 */
export const packetSequence: FeatureSet = {
  name: 'packet-sequence',
  description: 'first 20 packets: signed IP length and log1p(inter-arrival ms), interleaved, zero-padded',
  size: 2 * PACKET_SEQUENCE_PACKETS,
  featureNames: Array.from({ length: 2 * PACKET_SEQUENCE_PACKETS }, (_, j) => `${j % 2 === 0 ? 'size' : 'iat'}_${j >> 1}`),
  extract(flow: Flow, out: Float32Array | Float64Array, offset: number): void {
    const n = Math.min(flow.packets.length, PACKET_SEQUENCE_PACKETS);
    out.fill(0, offset, offset + 2 * PACKET_SEQUENCE_PACKETS);
    let previous = n > 0 ? flow.packets[0]!.timestamp : 0;
    for (let i = 0; i < n; i++) {
      const p = flow.packets[i]!;
      out[offset + 2 * i] = p.direction * p.ipLength;
      // NOTE clamped at 0: reordered timestamps in real captures must not give log1p of a negative number.
      out[offset + 2 * i + 1] = Math.log1p(Math.max(0, p.timestamp - previous) * 1000);
      previous = p.timestamp;
    }
  },
};
