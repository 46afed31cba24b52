// The data pipeline's shared vocabulary: decoded packets, bidirectional flows, and the typed error every reader raises.

/** Link-layer types we decode (values are the pcap LINKTYPE_* numbers). */
export const LinkType = {
  NULL: 0, // BSD loopback: 4-byte host-order address family
  ETHERNET: 1,
  PPP: 9, // PPP, optionally in HDLC-like framing (0xff 0x03 before the protocol)
  PPP_HDLC: 50, // PPP in HDLC-like framing (RFC 1662)
  RAW: 101, // raw IPv4 or IPv6, version nibble decides
  C_HDLC: 104, // Cisco HDLC: address, control, 2-byte Ethertype
  LOOP: 108, // OpenBSD loopback: like NULL but the family is in network byte order
  LINUX_SLL: 113, // Linux cooked capture v1
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276, // Linux cooked capture v2
} as const;

/** Transport protocol numbers (IANA) that flows are keyed on. */
export type L4Protocol = number; // 6 = TCP, 17 = UDP, 1 = ICMP, 58 = ICMPv6, others kept as-is

/**
 * One captured frame, decoded down to the transport layer.
 * Byte arrays are views into a reusable read buffer: copy them if you keep them past the callback.
 */
export interface DecodedPacket {
  /** Seconds since the epoch, with sub-microsecond precision kept as a float. */
  timestamp: number;
  /** Index of the frame in its capture file (0-based), for error messages and labels. */
  frameIndex: number;
  /** Byte offset of the record in the capture file. */
  fileOffset: number;
  linkType: number;
  /** Length on the wire and captured length of the frame. */
  wireLength: number;
  capturedLength: number;
  ipVersion: 4 | 6;
  /** Addresses as strings ("10.0.0.1", "2001:db8::1"): flows are keyed on them. */
  srcIp: string;
  dstIp: string;
  protocol: L4Protocol;
  /** Ports; 0 for protocols without ports (ICMP: type/code are in the header bytes). */
  srcPort: number;
  dstPort: number;
  /** IP total length as the IP header states it (IPv4 total length; IPv6 40 + payload length). */
  ipLength: number;
  /** Network + transport header bytes as captured (IP header incl. options / extension headers, then TCP/UDP/ICMP header). */
  headerBytes: Uint8Array;
  /** Transport payload bytes as captured (may be shorter than on the wire when the snap length cut it). */
  payloadBytes: Uint8Array;
  /** Payload length as the headers state it (not cut by the snap length). */
  payloadLength: number;
  /** TCP flags byte (FIN=0x01, SYN=0x02, RST=0x04, PSH=0x08, ACK=0x10); 0 for non-TCP. */
  tcpFlags: number;
  /** IP fragment information: non-first fragments carry no transport header. */
  fragment: { id: number; offset: number; moreFragments: boolean } | null;
}

/** One packet as kept inside a flow (copied, capped, direction resolved). */
export interface FlowPacket {
  timestamp: number;
  /** +1 client to server, -1 server to client. The client is the sender of the flow's first packet. */
  direction: 1 | -1;
  ipLength: number;
  payloadLength: number;
  tcpFlags: number;
  headerBytes: Uint8Array;
  payloadBytes: Uint8Array;
}

/** A bidirectional 5-tuple flow. */
export interface Flow {
  /** Stable id within one run: "<file>#<n>". */
  id: string;
  /** The capture the flow came from. */
  source: string;
  protocol: L4Protocol;
  clientIp: string;
  clientPort: number;
  serverIp: string;
  serverPort: number;
  startTime: number;
  endTime: number;
  /** Totals over every packet of the flow (not only the kept ones). */
  packetsClientToServer: number;
  packetsServerToClient: number;
  bytesClientToServer: number; // sum of IP lengths
  bytesServerToClient: number;
  /** The first packets of the flow, up to the configured cap. */
  packets: FlowPacket[];
  /** Why the flow ended: idle timeout, TCP FIN/RST, or end of capture. */
  endReason: 'idle' | 'fin' | 'rst' | 'eof';
}

/** A warning that did not stop reading (truncated last record, unsupported link type...). */
export interface CaptureWarning {
  file: string;
  offset: number;
  message: string;
}

/**
 * The one error type every capture reader and dataset loader raises for bad input.
 * It names the file, the byte offset and what was wrong.
 */
export class CaptureFormatError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${file}: at byte ${offset}: ${reason}`);
    this.name = 'CaptureFormatError';
  }
}

/** A labelled dataset of flows, ready for feature extraction. */
export interface LabelledFlows {
  classNames: string[];
  flows: Flow[];
  /** labels[i] is the class index of flows[i]. */
  labels: Int32Array;
  warnings: CaptureWarning[];
}
