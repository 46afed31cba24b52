// The Internet checksum (RFC 1071) used by IPv4 headers and by TCP/UDP over their IPv4 pseudo-header.

/**
 * Adds the 16-bit big-endian words of `bytes[start, end)` to `acc` (one's-complement sum, carries folded later).
 * An odd trailing byte is padded with a zero byte on the right, as RFC 1071 says.
 */
export function sumWords(bytes: Uint8Array, start: number, end: number, acc = 0): number {
  let i = start;
  // NOTE: a JS number holds 2^53, so up to 2^37 words can be summed before folding; one packet is far below that.
  for (; i + 1 < end; i += 2) acc += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) acc += bytes[i]! << 8;
  return acc;
}

/** Folds the carries of a one's-complement sum and complements it: the value to store in a checksum field. */
export function finishChecksum(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return ~acc & 0xffff;
}

/** Checksum of `bytes[start, end)`; 0 when the range already holds a correct checksum. */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return finishChecksum(sumWords(bytes, start, end));
}

/**
 * Sum of the IPv4 pseudo-header that TCP and UDP checksums cover: source, destination, zero, protocol, L4 length.
 * `src` and `dst` are IPv4 addresses as unsigned 32-bit integers.
 */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, l4Length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + l4Length;
}
