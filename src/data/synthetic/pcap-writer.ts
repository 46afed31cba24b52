// A streaming writer of classic pcap files (microsecond timestamps, little-endian) that appears on disk atomically.
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';

const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
const GLOBAL_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;
const FLUSH_BYTES = 1 << 20;

export interface PcapWriterOptions {
  /** LINKTYPE_* value of every frame (1 = Ethernet). */
  linkType: number;
  /** Frames longer than this are cut; the record keeps their original length. Default 262144 (tcpdump's). */
  snapLength?: number;
}

/**
 * Writes frames to `<path>.<pid>.<n>.tmp` in 1 MiB chunks and renames it to `path` on `close()`, so a reader never
 * sees a half-written capture and a crash leaves only a `.tmp` file behind.
 *
 * @example
 *   const w = new PcapWriter('out.pcap', { linkType: 1 });
 *   w.write(1700000000.25, frame);
 *   w.close();
 */
export class PcapWriter {
  private static counter = 0;
  private readonly tempPath: string;
  private fd: number | null;
  private readonly chunk = new Uint8Array(FLUSH_BYTES);
  private readonly view = new DataView(this.chunk.buffer);
  private used = 0;
  private readonly snapLength: number;
  /** Frames written so far. */
  frames = 0;

  constructor(
    readonly path: string,
    options: PcapWriterOptions,
  ) {
    this.snapLength = options.snapLength ?? 262144;
    this.tempPath = `${path}.${process.pid}.${PcapWriter.counter++}.tmp`;
    this.fd = openSync(this.tempPath, 'w');
    const v = this.view;
    v.setUint32(0, PCAP_MAGIC_MICROSECONDS, true);
    v.setUint16(4, 2, true); // version 2.4
    v.setUint16(6, 4, true);
    v.setInt32(8, 0, true); // thiszone: timestamps are UTC
    v.setUint32(12, 0, true); // sigfigs
    v.setUint32(16, this.snapLength, true);
    v.setUint32(20, options.linkType, true);
    this.used = GLOBAL_HEADER_LENGTH;
  }

  /** Appends one frame captured at `timestamp` (seconds since the epoch). Frames must come in time order. */
  write(timestamp: number, frame: Uint8Array): void {
    if (this.fd === null) throw new Error(`PcapWriter: ${this.path} is already closed`);
    const captured = Math.min(frame.length, this.snapLength);
    if (this.used + RECORD_HEADER_LENGTH + captured > this.chunk.length) this.flush();
    // Round to whole microseconds once, so seconds and microseconds never disagree (no 1,000,000 µs field).
    const micros = Math.round(timestamp * 1e6);
    const seconds = Math.floor(micros / 1e6);
    const v = this.view;
    v.setUint32(this.used, seconds, true);
    v.setUint32(this.used + 4, micros - seconds * 1e6, true);
    v.setUint32(this.used + 8, captured, true);
    v.setUint32(this.used + 12, frame.length, true);
    this.used += RECORD_HEADER_LENGTH;
    if (captured > this.chunk.length) {
      // A frame larger than the buffer goes straight to the file.
      this.flush();
      writeSync(this.fd, frame, 0, captured);
    } else {
      this.chunk.set(captured === frame.length ? frame : frame.subarray(0, captured), this.used);
      this.used += captured;
    }
    this.frames++;
  }

  /** Flushes, closes and renames the temporary file into place. */
  close(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
    renameSync(this.tempPath, this.path);
  }

  /** Closes and deletes the temporary file; `path` is left untouched. */
  abort(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    unlinkSync(this.tempPath);
  }

  private flush(): void {
    if (this.fd === null || this.used === 0) return;
    writeSync(this.fd, this.chunk, 0, this.used);
    this.used = 0;
  }
}
