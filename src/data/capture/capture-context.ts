// Per-file reading state shared by the format parsers and the frame decoder: options, statistics, and warning delivery.
import type { CaptureWarning } from '../types.ts';
import type { CaptureHandlers, CaptureReadOptions, CaptureStats } from './capture-types.ts';
import { newCaptureStats } from './capture-types.ts';
import { linkTypeName } from './link-types.ts';

export interface ResolvedReadOptions {
  chunkBytes: number;
  maxRecordBytes: number;
  maxBlockBytes: number;
  maxPacketWarnings: number;
  decapsulate: boolean;
}

export function resolveReadOptions(options: CaptureReadOptions = {}): ResolvedReadOptions {
  return {
    chunkBytes: Math.max(4096, options.chunkBytes ?? 1 << 20),
    maxRecordBytes: options.maxRecordBytes ?? 262144,
    maxBlockBytes: options.maxBlockBytes ?? 16 << 20,
    maxPacketWarnings: options.maxPacketWarnings ?? 10,
    decapsulate: options.decapsulate ?? true,
  };
}

export class CaptureContext {
  readonly stats: CaptureStats;
  private readonly unsupportedSeen = new Set<number>();

  constructor(
    readonly file: string,
    readonly handlers: CaptureHandlers,
    readonly options: ResolvedReadOptions,
    format: 'pcap' | 'pcapng',
  ) {
    this.stats = newCaptureStats(format);
  }

  /** A file-level warning: always delivered. */
  warn(offset: number, message: string): void {
    this.stats.warnings++;
    const w: CaptureWarning = { file: this.file, offset, message };
    this.handlers.onWarning?.(w);
  }

  /** A malformed packet inside a valid record: counted always, reported only for the first few. */
  packetProblem(offset: number, message: string): void {
    this.stats.malformedPackets++;
    if (this.stats.malformedPackets <= this.options.maxPacketWarnings) this.warn(offset, message);
    else this.stats.warnings++;
  }

  /** Frames on an interface we cannot decode: one warning per link type per file, every frame counted. */
  unsupportedLink(linkType: number, offset: number): void {
    this.stats.skippedUnsupportedLink++;
    if (this.unsupportedSeen.has(linkType)) return;
    this.unsupportedSeen.add(linkType);
    this.warn(offset, `link type ${linkType} (${linkTypeName(linkType)}) is not supported: its frames are skipped`);
  }

  /** End of file: summarise what was not reported one by one. */
  finish(): void {
    const hidden = this.stats.malformedPackets - this.options.maxPacketWarnings;
    if (hidden > 0) {
      const w: CaptureWarning = {
        file: this.file,
        offset: this.stats.bytesRead,
        message: `${hidden} more malformed packets were skipped without a warning each (${this.stats.malformedPackets} in all)`,
      };
      this.handlers.onWarning?.(w);
    }
  }
}
