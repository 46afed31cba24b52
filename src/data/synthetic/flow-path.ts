// The two ends of one simulated flow as the capture point sees them: addresses, IP header state, RTT and bandwidth.
import type { Ipv4Fields } from './frames.ts';

/** One packet of a simulated flow, captured at the client side, before link-layer framing. */
export interface SimPacket {
  /** Capture time, seconds since the epoch. */
  time: number;
  fromClient: boolean;
  /** The whole IPv4 packet (header + transport header + payload). */
  ip: Uint8Array;
}

/** A host's side of the flow: what it writes into the IP header of the packets it sends. */
export interface Endpoint {
  address: number;
  port: number;
  /** TTL as seen at the capture point: the sender's initial TTL minus the hops already crossed. */
  ttl: number;
  /** Next IP identification value; stepped per packet sent (what Linux and Windows do per connection). */
  ipId: number;
  tos: number;
  dontFragment: boolean;
}

/**
 * Everything per flow that the transport simulators share.
 * NOTE: timings are at the capture point on the client's LAN, so the client's packets leave "now" and the server's
 * answer shows up one RTT later.
 */
export class FlowPath {
  constructor(
    readonly client: Endpoint,
    readonly server: Endpoint,
    /** Round-trip time in seconds between the capture point and the server. */
    readonly rtt: number,
    /** Bottleneck bandwidth in bits per second: spaces back-to-back segments. */
    readonly bandwidth: number,
  ) {}

  /** IP header fields for the next packet from one side; steps that side's identification counter. */
  ipFields(fromClient: boolean): Ipv4Fields {
    const from = fromClient ? this.client : this.server;
    const to = fromClient ? this.server : this.client;
    const id = from.ipId;
    from.ipId = (from.ipId + 1) & 0xffff;
    return { src: from.address, dst: to.address, ttl: from.ttl, id, tos: from.tos, dontFragment: from.dontFragment };
  }

  /** Seconds to put `ipBytes` (+ Ethernet framing) through the bottleneck. */
  transmitTime(ipBytes: number): number {
    return ((ipBytes + 14) * 8) / this.bandwidth;
  }
}
