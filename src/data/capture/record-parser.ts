// The contract between the file/bytes drivers and the two format parsers (classic pcap, pcapng).
//
// Parsers are push-style: the driver hands them a window of bytes, they consume whole records and return where they
// stopped. The same parser code then serves an in-memory array (one window, the whole input) and a file streamed
// through a reusable buffer (many windows; a record that straddles two reads is simply left for the next window).

export interface RecordParser {
  /**
   * Consumes whole records from `buf[pos, end)`; `base` is the file offset of `buf[0]` (for messages).
   * Returns the position after the last whole record. Throws CaptureFormatError on a malformed file.
   */
  parse(buf: Uint8Array, dv: DataView, pos: number, end: number, base: number): number;
  /**
   * After parse returned early: the number of bytes, counted from the returned position, that must be buffered before
   * it can make progress. Never more than the parser's record-size limit.
   */
  readonly needed: number;
  /** True once the parser reached a logical end before the data ran out (zero padding). */
  readonly done: boolean;
  /** At end of input with `buf[pos, end)` left over: reports the truncated record (a warning) or throws. */
  truncated(buf: Uint8Array, dv: DataView, pos: number, end: number, base: number): void;
}
