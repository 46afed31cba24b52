// The two entry points: a capture file streamed through a reusable buffer, and a capture already in memory.
import { open } from 'node:fs/promises';
import { CaptureFormatError } from '../types.ts';
import { CaptureContext, resolveReadOptions } from './capture-context.ts';
import type { CaptureHandlers, CaptureReadOptions, CaptureStats } from './capture-types.ts';
import { FrameDecoder } from './frame-decoder.ts';
import { PcapParser } from './pcap-parser.ts';
import { PcapngParser } from './pcapng-parser.ts';
import type { RecordParser } from './record-parser.ts';

/** Recognises the format from the first four bytes, or throws with a hint at what the file is instead. */
function detectFormat(file: string, b: Uint8Array): 'pcap' | 'pcapng' {
  const magic = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  switch (magic) {
    case 0xa1b2c3d4:
    case 0xd4c3b2a1:
    case 0xa1b23c4d:
    case 0x4d3cb2a1:
      return 'pcap';
    case 0x0a0d0d0a:
      return 'pcapng';
  }
  const hex = magic.toString(16).padStart(8, '0');
  const hint = b[0] === 0x1f && b[1] === 0x8b ? ': gzip-compressed, decompress it first' : '';
  throw new CaptureFormatError(file, 0, `bad magic 0x${hex}: not a pcap or pcapng file${hint}`);
}

function start(file: string, head: Uint8Array, handlers: CaptureHandlers, options?: CaptureReadOptions): { ctx: CaptureContext; parser: RecordParser } {
  const format = detectFormat(file, head);
  const ctx = new CaptureContext(file, handlers, resolveReadOptions(options), format);
  const decoder = new FrameDecoder(ctx);
  return { ctx, parser: format === 'pcap' ? new PcapParser(ctx, decoder) : new PcapngParser(ctx, decoder) };
}

/**
 * Parses a capture held in memory (same parser as for files). Zero padding after the last record ends the capture
 * with a warning, so fixed-size rows such as USTC-TFC2016's parse as truncated captures, not as errors.
 *
 * @example
 *   const stats = readCaptureBytes('row-17', row, { onPacket: (p) => console.log(p.srcIp, p.dstPort) });
 */
export function readCaptureBytes(name: string, bytes: Uint8Array, handlers: CaptureHandlers, options?: CaptureReadOptions): CaptureStats {
  if (bytes.length < 4) throw new CaptureFormatError(name, 0, `${bytes.length} bytes is too short for a capture file header`);
  const { ctx, parser } = start(name, bytes, handlers, options);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pos = parser.parse(bytes, dv, 0, bytes.length, 0);
  if (!parser.done && pos < bytes.length) parser.truncated(bytes, dv, pos, bytes.length, 0);
  ctx.stats.bytesRead = bytes.length;
  ctx.finish();
  return ctx.stats;
}

/**
 * Streams a pcap or pcapng file through one reusable buffer (1 MiB by default): memory stays constant whatever the
 * file size; only a single record larger than the buffer makes it grow, up to the record-size limits.
 * Format problems throw CaptureFormatError naming the file, the byte offset and the reason; file-system errors
 * (missing file, permissions) are passed through as they are.
 *
 * @example
 *   const stats = await readCaptureFile('trace.pcapng', { onPacket: (p) => table.add(p), onWarning: console.warn });
 *   console.log(stats.packets, stats.protocols);
 */
export async function readCaptureFile(path: string, handlers: CaptureHandlers, options?: CaptureReadOptions): Promise<CaptureStats> {
  const fh = await open(path, 'r');
  try {
    let buf = new Uint8Array(resolveReadOptions(options).chunkBytes);
    let dv = new DataView(buf.buffer);
    let filled = 0; // bytes of buf holding file data
    let pos = 0; // first byte of buf not yet consumed
    let base = 0; // file offset of buf[0]
    let eof = false;
    let session: { ctx: CaptureContext; parser: RecordParser } | null = null;
    while (true) {
      if (!eof && filled < buf.length) {
        const { bytesRead } = await fh.read(buf, filled, buf.length - filled, base + filled);
        if (bytesRead === 0) eof = true;
        else filled += bytesRead;
      }
      if (session === null) {
        if (filled < 4) {
          if (eof) throw new CaptureFormatError(path, 0, `${filled} bytes is too short for a capture file header`);
          continue;
        }
        session = start(path, buf, handlers, options);
      }
      const { ctx, parser } = session;
      pos = parser.parse(buf, dv, pos, filled, base);
      if (parser.done || eof) {
        if (!parser.done && pos < filled) parser.truncated(buf, dv, pos, filled, base);
        ctx.stats.bytesRead = base + filled;
        ctx.finish();
        return ctx.stats;
      }
      // Keep the unconsumed tail (part of one record) and make room for the next read.
      if (pos > 0) {
        buf.copyWithin(0, pos, filled);
        base += pos;
        filled -= pos;
        pos = 0;
      }
      if (parser.needed > buf.length) {
        const bigger = new Uint8Array(parser.needed);
        bigger.set(buf.subarray(0, filled));
        buf = bigger;
        dv = new DataView(buf.buffer);
      }
    }
  } finally {
    await fh.close();
  }
}
