// IP addresses as four 32-bit words: canonical text (RFC 5952 for IPv6), parsing, and small caches for the hot path.

/**
 * An address as four big-endian 32-bit words. IPv4 uses the IPv4-mapped form ::ffff:a.b.c.d
 * (w0 = w1 = 0, w2 = 0xffff, w3 = the address), so v4 and v6 share one comparison and one hash.
 */
export type AddressWords = [number, number, number, number];

/** Dotted quad of an IPv4 address held as an unsigned 32-bit number. */
export function formatIpv4(w: number): string {
  return `${w >>> 24}.${(w >>> 16) & 0xff}.${(w >>> 8) & 0xff}.${w & 0xff}`;
}

/**
 * RFC 5952 text of an IPv6 address: lower-case hex, no leading zeros, the longest run of two or more
 * zero groups (the first on a tie) shortened to "::".
 */
export function formatIpv6(w0: number, w1: number, w2: number, w3: number): string {
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never shortened
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    g
      .slice(from, to)
      .map((x) => x.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** Canonical text of an address in word form; `version` picks dotted quad or RFC 5952. */
export function formatAddress(version: 4 | 6, w: AddressWords): string {
  return version === 4 ? formatIpv4(w[3]) : formatIpv6(w[0], w[1], w[2], w[3]);
}

/**
 * Parses "10.0.0.1", "2001:db8::1" or "::ffff:10.0.0.1" (an optional "[...]" is stripped) into words.
 * Returns null for anything else.
 */
export function parseAddress(text: string): { version: 4 | 6; words: AddressWords } | null {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const v4 = parseIpv4(s);
  if (v4 !== null) return { version: 4, words: [0, 0, 0xffff, v4] };
  const groups = parseIpv6Groups(s);
  if (groups === null) return null;
  const w: AddressWords = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) w[i] = ((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0;
  return { version: 6, words: w };
}

function parseIpv4(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let w = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const x = Number(part);
    if (x > 255) return null;
    w = w * 256 + x;
  }
  return w;
}

function parseIpv6Groups(s: string): number[] | null {
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parseSide = (side: string): number[] | null => {
    if (side === '') return [];
    const out: number[] = [];
    const items = side.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (i === items.length - 1 && item.includes('.')) {
        const v4 = parseIpv4(item);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(item)) return null;
        out.push(parseInt(item, 16));
      }
    }
    return out;
  };
  const head = parseSide(halves[0]);
  const tail = halves.length === 2 ? parseSide(halves[1]) : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/**
 * Remembers the text of recently seen addresses so the reader does not build a new string for every packet:
 * traffic repeats the same few addresses. Bounded: it forgets everything when it grows past `limit`.
 */
export class AddressTextCache {
  private readonly v4 = new Map<number, string>();
  private readonly v6 = new Map<string, string>();

  constructor(private readonly limit = 1 << 16) {}

  ipv4(w: number): string {
    let s = this.v4.get(w);
    if (s === undefined) {
      if (this.v4.size >= this.limit) this.v4.clear();
      s = formatIpv4(w);
      this.v4.set(w, s);
    }
    return s;
  }

  ipv6(w0: number, w1: number, w2: number, w3: number): string {
    // The key is itself a string, but a cheap one (no zero-run search) and it dedupes the result.
    const key = `${w0},${w1},${w2},${w3}`;
    let s = this.v6.get(key);
    if (s === undefined) {
      if (this.v6.size >= this.limit) this.v6.clear();
      s = formatIpv6(w0, w1, w2, w3);
      this.v6.set(key, s);
    }
    return s;
  }
}
