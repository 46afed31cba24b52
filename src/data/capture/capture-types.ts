// The capture readers' public vocabulary: handlers, read options, the statistics they return, and the packet record they deliver.
import type { CaptureWarning, DecodedPacket } from '../types.ts';

/** Callbacks a capture reader drives, in file order. */
export interface CaptureHandlers {
  /**
   * One decoded IP packet. The packet and its byte arrays are only valid during the call: the arrays are views into
   * the reader's reusable buffer. Copy (`slice()`) what you keep.
   */
  onPacket(p: DecodedPacket): void;
  /** Problems that did not stop reading: truncated last record, unsupported link type, malformed packets. */
  onWarning?(w: CaptureWarning): void;
}

export interface CaptureReadOptions {
  /** Size of the reusable read buffer for files (default 1 MiB); it only grows to fit one record larger than this. */
  chunkBytes?: number;
  /**
   * Largest classic-pcap record accepted (default 262144, libpcap's maximum snap length). A larger length field is a
   * corrupt file, not a packet, and raises CaptureFormatError before any memory is committed to it.
   */
  maxRecordBytes?: number;
  /** Largest pcapng block accepted (default 16 MiB: name-resolution and decryption-secrets blocks can be big). */
  maxBlockBytes?: number;
  /** Malformed packets are all counted; only the first this-many per file are reported one by one (default 10). */
  maxPacketWarnings?: number;
  /**
   * Look through IP-in-IP and IPv6-in-IPv4 (6in4, protocol 41) tunnels and deliver the inner packet (default true),
   * as flow meters such as nDPI do: the outer header names two tunnel endpoints, not the conversation.
   */
  decapsulate?: boolean;
}

/** What one read saw. Every counter covers the whole file, including frames that were skipped. */
export interface CaptureStats {
  format: 'pcap' | 'pcapng';
  /** Capture records (pcap records, pcapng packet blocks) read. */
  frames: number;
  /** IP packets decoded and delivered to onPacket. */
  packets: number;
  /** Frames carrying something other than IPv4/IPv6 (ARP, LLDP, STP, PPP control...). */
  skippedNonIp: number;
  /** Frames on an interface whose link type we do not decode (one warning per link type per file). */
  skippedUnsupportedLink: number;
  /** Frames whose headers contradict themselves (bad IP header length, total length past the frame...). */
  malformedPackets: number;
  /** Frames cut by the snap length before the headers we need: not malformed, just not decodable. */
  truncatedPackets: number;
  /** Delivered packets that are IP fragments (first or later). */
  fragments: number;
  /** Frames per link type (LINKTYPE_* number). */
  linkTypes: Record<number, number>;
  /** Delivered packets per IP protocol number (after tunnel decapsulation). */
  protocols: Record<number, number>;
  /** Problems found: file-level warnings plus malformed packets (including those not reported one by one). */
  warnings: number;
  /** Bytes of input consumed. */
  bytesRead: number;
  /** pcapng only: sections and interfaces seen (classic pcap: 1 and 1). */
  sections: number;
  interfaces: number;
}

export function newCaptureStats(format: 'pcap' | 'pcapng'): CaptureStats {
  return {
    format,
    frames: 0,
    packets: 0,
    skippedNonIp: 0,
    skippedUnsupportedLink: 0,
    malformedPackets: 0,
    truncatedPackets: 0,
    fragments: 0,
    linkTypes: {},
    protocols: {},
    warnings: 0,
    bytesRead: 0,
    sections: 0,
    interfaces: 0,
  };
}

/**
 * The record the readers deliver: a DecodedPacket plus the addresses in word form, so flow tables can hash and compare
 * them without strings. IPv4 addresses use the IPv4-mapped layout (w0 = w1 = 0, w2 = 0xffff, w3 = address).
 */
export interface CapturedPacket extends DecodedPacket {
  src0: number;
  src1: number;
  src2: number;
  src3: number;
  dst0: number;
  dst1: number;
  dst2: number;
  dst3: number;
}

/** True when `p` came from our readers and so carries address words. */
export function isCapturedPacket(p: DecodedPacket): p is CapturedPacket {
  return typeof (p as Partial<CapturedPacket>).src3 === 'number';
}
