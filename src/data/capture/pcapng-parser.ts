// pcapng files: sections (each with its own byte order), interfaces (link type, snap length, timestamp resolution and
// offset), and enhanced / simple / obsolete packet blocks. Every other block type is skipped by its length.
//
// Block layout: type (4), total length (4), body, total length again (4); lengths are multiples of 4.
// NOTE a simple packet block has no timestamp: it gets the timestamp of the previous packet of the section (0 before
// any), so that idle timers downstream see time standing still rather than jumping to 1970.
import { CaptureFormatError } from '../types.ts';
import type { CaptureContext } from './capture-context.ts';
import type { FrameDecoder } from './frame-decoder.ts';
import { SUPPORTED_LINK_TYPES } from './link-types.ts';
import type { RecordParser } from './record-parser.ts';

const BLOCK_SECTION_HEADER = 0x0a0d0d0a;
const BLOCK_INTERFACE = 0x00000001;
const BLOCK_OBSOLETE_PACKET = 0x00000002;
const BLOCK_SIMPLE_PACKET = 0x00000003;
const BLOCK_ENHANCED_PACKET = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPTION_END = 0;
const OPTION_IF_TSRESOL = 9;
const OPTION_IF_TSOFFSET = 14;
const MIN_BLOCK = 12;

interface Interface {
  linkType: number;
  snapLength: number;
  /** Timestamp units per second: 10^n or 2^n from if_tsresol (default 10^6). */
  unitsPerSecond: number;
  /** if_tsoffset: seconds added to every timestamp. */
  offsetSeconds: number;
  supported: boolean;
}

export class PcapngParser implements RecordParser {
  needed = MIN_BLOCK;
  done = false;
  private littleEndian = true;
  private interfaces: Interface[] = [];
  private frameIndex = 0;
  private lastTimestamp = 0;

  constructor(
    private readonly ctx: CaptureContext,
    private readonly decoder: FrameDecoder,
  ) {}

  parse(buf: Uint8Array, dv: DataView, pos: number, end: number, base: number): number {
    const ctx = this.ctx;
    const file = ctx.file;
    const maxBlock = ctx.options.maxBlockBytes;
    while (true) {
      if (end - pos < MIN_BLOCK) {
        this.needed = MIN_BLOCK;
        return pos;
      }
      // The section header's type reads the same in both byte orders; its byte-order magic then fixes the order.
      let type = dv.getUint32(pos, this.littleEndian);
      if (type === BLOCK_SECTION_HEADER) {
        const bom = dv.getUint32(pos + 8, false);
        if (bom === BYTE_ORDER_MAGIC) this.littleEndian = false;
        else if (bom === 0x4d3c2b1a) this.littleEndian = true;
        else throw new CaptureFormatError(file, base + pos + 8, `bad pcapng byte-order magic 0x${bom.toString(16).padStart(8, '0')} in section header`);
        type = BLOCK_SECTION_HEADER;
      } else if (this.ctx.stats.sections === 0) {
        throw new CaptureFormatError(file, base + pos, 'pcapng file does not start with a section header block');
      }
      const le = this.littleEndian;
      const length = dv.getUint32(pos + 4, le);
      if (length < MIN_BLOCK || length % 4 !== 0) {
        throw new CaptureFormatError(file, base + pos + 4, `block length ${length} of block type 0x${type.toString(16)} is ${length < MIN_BLOCK ? 'below the minimum 12' : 'not a multiple of 4'}`);
      }
      if (length > maxBlock) {
        throw new CaptureFormatError(file, base + pos + 4, `block length ${length} of block type 0x${type.toString(16)} is absurdly large (limit ${maxBlock})`);
      }
      if (end - pos < length) {
        this.needed = length;
        return pos;
      }
      const trailer = dv.getUint32(pos + length - 4, le);
      if (trailer !== length) {
        throw new CaptureFormatError(file, base + pos + length - 4, `block length inconsistent: ${length} at the start of the block, ${trailer} at its end`);
      }
      switch (type) {
        case BLOCK_SECTION_HEADER:
          this.sectionHeader(dv, pos, length, base);
          break;
        case BLOCK_INTERFACE:
          this.interfaceDescription(dv, pos, length, base);
          break;
        case BLOCK_ENHANCED_PACKET: {
          if (length < 32) throw new CaptureFormatError(file, base + pos + 4, `enhanced packet block length ${length} is below the minimum 32`);
          const iface = this.interfaceAt(dv.getUint32(pos + 8, le), pos + 8, base);
          const ticks = dv.getUint32(pos + 12, le) * 4294967296 + dv.getUint32(pos + 16, le);
          const caplen = dv.getUint32(pos + 20, le);
          const origlen = dv.getUint32(pos + 24, le);
          this.checkCapturedLength(caplen, length - 32, iface, pos + 20, base);
          this.frame(buf, pos + 28, caplen, origlen, iface, ticks / iface.unitsPerSecond + iface.offsetSeconds, base + pos);
          break;
        }
        case BLOCK_SIMPLE_PACKET: {
          if (length < 16) throw new CaptureFormatError(file, base + pos + 4, `simple packet block length ${length} is below the minimum 16`);
          const iface = this.interfaceAt(0, pos, base);
          const origlen = dv.getUint32(pos + 8, le);
          // The captured length is implicit: the original length, cut by the snap length and by the block itself.
          let caplen = Math.min(origlen, length - 16);
          if (iface.snapLength > 0 && caplen > iface.snapLength) caplen = iface.snapLength;
          this.frame(buf, pos + 12, caplen, origlen, iface, this.lastTimestamp, base + pos);
          break;
        }
        case BLOCK_OBSOLETE_PACKET: {
          if (length < 32) throw new CaptureFormatError(file, base + pos + 4, `packet block length ${length} is below the minimum 32`);
          const iface = this.interfaceAt(dv.getUint16(pos + 8, le), pos + 8, base);
          const ticks = dv.getUint32(pos + 12, le) * 4294967296 + dv.getUint32(pos + 16, le);
          const caplen = dv.getUint32(pos + 20, le);
          const origlen = dv.getUint32(pos + 24, le);
          this.checkCapturedLength(caplen, length - 32, iface, pos + 20, base);
          this.frame(buf, pos + 28, caplen, origlen, iface, ticks / iface.unitsPerSecond + iface.offsetSeconds, base + pos);
          break;
        }
        default:
          break; // statistics, name resolution, decryption secrets, custom blocks: not ours
      }
      pos += length;
    }
  }

  truncated(_buf: Uint8Array, dv: DataView, pos: number, end: number, base: number): void {
    const left = end - pos;
    const length = left >= 8 ? dv.getUint32(pos + 4, this.littleEndian) : -1;
    if (this.ctx.stats.sections === 0) {
      throw new CaptureFormatError(this.ctx.file, base + pos, `file ends inside the first section header block (${left} bytes)`);
    }
    this.ctx.warn(
      base + pos,
      length >= 0
        ? `truncated final block: ${left} of its ${length} bytes are present; the ${this.frameIndex} packets before it are kept`
        : `truncated final block: only ${left} bytes of its header are present; the ${this.frameIndex} packets before it are kept`,
    );
  }

  private sectionHeader(dv: DataView, pos: number, length: number, base: number): void {
    if (length < 28) throw new CaptureFormatError(this.ctx.file, base + pos + 4, `section header block length ${length} is below the minimum 28`);
    const major = dv.getUint16(pos + 12, this.littleEndian);
    const minor = dv.getUint16(pos + 14, this.littleEndian);
    if (major !== 1) throw new CaptureFormatError(this.ctx.file, base + pos + 12, `unsupported pcapng version ${major}.${minor} (expected 1.x)`);
    // Interface ids are per section: a new section starts a new list.
    this.interfaces = [];
    this.ctx.stats.sections++;
  }

  private interfaceDescription(dv: DataView, pos: number, length: number, base: number): void {
    const file = this.ctx.file;
    const le = this.littleEndian;
    if (length < 20) throw new CaptureFormatError(file, base + pos + 4, `interface description block length ${length} is below the minimum 20`);
    const linkType = dv.getUint16(pos + 8, le);
    const iface: Interface = {
      linkType,
      snapLength: dv.getUint32(pos + 12, le),
      unitsPerSecond: 1e6,
      offsetSeconds: 0,
      supported: SUPPORTED_LINK_TYPES.has(linkType),
    };
    const optionsEnd = pos + length - 4;
    let p = pos + 16;
    while (p + 4 <= optionsEnd) {
      const code = dv.getUint16(p, le);
      const optionLength = dv.getUint16(p + 2, le);
      if (code === OPTION_END) break;
      if (p + 4 + optionLength > optionsEnd) {
        throw new CaptureFormatError(file, base + p, `interface option ${code} of length ${optionLength} runs past the end of its block`);
      }
      if (code === OPTION_IF_TSRESOL && optionLength >= 1) {
        // High bit clear: 10^-n seconds per unit; set: 2^-n.
        const r = dv.getUint8(p + 4);
        iface.unitsPerSecond = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
      } else if (code === OPTION_IF_TSOFFSET && optionLength === 8) {
        iface.offsetSeconds = le ? dv.getInt32(p + 8, true) * 4294967296 + dv.getUint32(p + 4, true) : dv.getInt32(p + 4, false) * 4294967296 + dv.getUint32(p + 8, false);
      }
      p += 4 + ((optionLength + 3) & ~3);
    }
    this.interfaces.push(iface);
    this.ctx.stats.interfaces++;
  }

  private interfaceAt(id: number, at: number, base: number): Interface {
    const iface = this.interfaces[id];
    if (iface === undefined) {
      throw new CaptureFormatError(this.ctx.file, base + at, `packet block names interface ${id} but its section describes ${this.interfaces.length}`);
    }
    return iface;
  }

  private checkCapturedLength(caplen: number, room: number, iface: Interface, at: number, base: number): void {
    if (caplen > room) {
      throw new CaptureFormatError(this.ctx.file, base + at, `captured length ${caplen} does not fit in its block (${room} bytes of packet data)`);
    }
    if (iface.snapLength > 0 && caplen > iface.snapLength) {
      throw new CaptureFormatError(this.ctx.file, base + at, `captured length ${caplen} exceeds the interface's snap length ${iface.snapLength}`);
    }
  }

  private frame(buf: Uint8Array, start: number, caplen: number, origlen: number, iface: Interface, timestamp: number, offset: number): void {
    const stats = this.ctx.stats;
    stats.frames++;
    stats.linkTypes[iface.linkType] = (stats.linkTypes[iface.linkType] ?? 0) + 1;
    this.lastTimestamp = timestamp;
    if (iface.supported) this.decoder.decode(buf, start, caplen, origlen, iface.linkType, timestamp, this.frameIndex, offset);
    else this.ctx.unsupportedLink(iface.linkType, offset);
    this.frameIndex++;
  }
}
