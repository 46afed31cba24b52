// Classic libpcap files: the 24-byte global header (either byte order, micro- or nanosecond magic) and 16-byte records.
//
// Record header: ts_sec, ts_frac (µs or ns), incl_len (bytes captured), orig_len (bytes on the wire).
// NOTE zero padding: a record header of 16 zero bytes cannot describe a frame (orig_len 0), but it is exactly what a
// fixed-size buffer holding a short capture looks like (USTC-TFC2016 rows are the first 784 bytes of a pcap, padded
// with zeros). We treat it as the end of the capture, with a warning, rather than as a file error.
import { CaptureFormatError } from '../types.ts';
import type { CaptureContext } from './capture-context.ts';
import type { FrameDecoder } from './frame-decoder.ts';
import { SUPPORTED_LINK_TYPES } from './link-types.ts';
import type { RecordParser } from './record-parser.ts';

const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

export class PcapParser implements RecordParser {
  needed = GLOBAL_HEADER;
  done = false;
  private headerDone = false;
  private littleEndian = true;
  private fracPerSecond = 1e6;
  private snapLength = 0;
  private linkType = 0;
  private supported = false;
  private frameIndex = 0;

  constructor(
    private readonly ctx: CaptureContext,
    private readonly decoder: FrameDecoder,
  ) {}

  parse(buf: Uint8Array, dv: DataView, pos: number, end: number, base: number): number {
    const ctx = this.ctx;
    if (!this.headerDone) {
      if (end - pos < GLOBAL_HEADER) {
        this.needed = GLOBAL_HEADER;
        return pos;
      }
      this.readGlobalHeader(dv, pos, base);
      pos += GLOBAL_HEADER;
    }
    const le = this.littleEndian;
    const maxRecord = ctx.options.maxRecordBytes;
    while (true) {
      if (end - pos < RECORD_HEADER) {
        this.needed = RECORD_HEADER;
        return pos;
      }
      const sec = dv.getUint32(pos, le);
      const frac = dv.getUint32(pos + 4, le);
      const caplen = dv.getUint32(pos + 8, le);
      const origlen = dv.getUint32(pos + 12, le);
      if (caplen === 0 && origlen === 0 && sec === 0 && frac === 0) {
        this.done = true;
        ctx.warn(base + pos, `all-zero record header: zero padding, treated as the end of the capture after ${this.frameIndex} records`);
        return pos;
      }
      if (caplen > maxRecord) {
        throw new CaptureFormatError(ctx.file, base + pos + 8, `record length ${caplen} is absurdly large (limit ${maxRecord}): corrupt record header`);
      }
      if (this.snapLength > 0 && caplen > this.snapLength) {
        throw new CaptureFormatError(ctx.file, base + pos + 8, `record length ${caplen} exceeds the file's snap length ${this.snapLength}`);
      }
      const size = RECORD_HEADER + caplen;
      if (end - pos < size) {
        this.needed = size;
        return pos;
      }
      this.frame(buf, pos, caplen, origlen, sec + frac / this.fracPerSecond, base);
      pos += size;
    }
  }

  /**
   * NOTE the bytes of a truncated final record are still decoded, as a frame cut at what is present (exactly what a
   * smaller snap length would have produced): its header already passed the length checks, and for fixed-size rows
   * such as USTC-TFC2016's the first packet is often a full-size segment that only fits in part.
   */
  truncated(buf: Uint8Array, dv: DataView, pos: number, end: number, base: number): void {
    const ctx = this.ctx;
    const left = end - pos;
    if (!this.headerDone) {
      throw new CaptureFormatError(ctx.file, base + pos, `file ends inside the pcap global header (${left} of ${GLOBAL_HEADER} bytes)`);
    }
    const kept = this.frameIndex;
    if (left < RECORD_HEADER) {
      ctx.warn(base + pos, `truncated final record: only ${left} of its ${RECORD_HEADER} header bytes are present; the ${kept} records before it are kept`);
      return;
    }
    const le = this.littleEndian;
    const caplen = dv.getUint32(pos + 8, le);
    const present = left - RECORD_HEADER;
    ctx.warn(
      base + pos,
      `truncated final record: its header announces ${caplen} captured bytes, only ${present} are present` +
        `${present > 0 ? ' (decoded as a frame cut at that length)' : ''}; the ${kept} records before it are kept`,
    );
    if (present > 0) {
      const sec = dv.getUint32(pos, le);
      const frac = dv.getUint32(pos + 4, le);
      const origlen = Math.max(dv.getUint32(pos + 12, le), caplen);
      this.frame(buf, pos, present, origlen, sec + frac / this.fracPerSecond, base);
    }
  }

  private frame(buf: Uint8Array, pos: number, caplen: number, origlen: number, timestamp: number, base: number): void {
    const stats = this.ctx.stats;
    stats.frames++;
    stats.linkTypes[this.linkType] = (stats.linkTypes[this.linkType] ?? 0) + 1;
    if (this.supported) this.decoder.decode(buf, pos + RECORD_HEADER, caplen, origlen, this.linkType, timestamp, this.frameIndex, base + pos);
    else this.ctx.unsupportedLink(this.linkType, base + pos);
    this.frameIndex++;
  }

  private readGlobalHeader(dv: DataView, pos: number, base: number): void {
    const ctx = this.ctx;
    const magic = dv.getUint32(pos, false);
    switch (magic) {
      case 0xa1b2c3d4:
        this.littleEndian = false;
        this.fracPerSecond = 1e6;
        break;
      case 0xd4c3b2a1:
        this.littleEndian = true;
        this.fracPerSecond = 1e6;
        break;
      case 0xa1b23c4d:
        this.littleEndian = false;
        this.fracPerSecond = 1e9;
        break;
      case 0x4d3cb2a1:
        this.littleEndian = true;
        this.fracPerSecond = 1e9;
        break;
      default:
        throw new CaptureFormatError(ctx.file, base + pos, `bad pcap magic 0x${magic.toString(16).padStart(8, '0')}`);
    }
    const le = this.littleEndian;
    const major = dv.getUint16(pos + 4, le);
    const minor = dv.getUint16(pos + 6, le);
    if (major !== 2) {
      throw new CaptureFormatError(ctx.file, base + pos + 4, `unsupported pcap version ${major}.${minor} (expected 2.x)`);
    }
    this.snapLength = dv.getUint32(pos + 16, le);
    // Bits 16-31 of the link-type field carry FCS information, not the link type.
    this.linkType = dv.getUint32(pos + 20, le) & 0xffff;
    this.supported = SUPPORTED_LINK_TYPES.has(this.linkType);
    this.headerDone = true;
    ctx.stats.sections = 1;
    ctx.stats.interfaces = 1;
  }
}
