// Masks IP addresses and transport ports in a copy of a packet's header bytes, for model inputs.
//
// Why: USTC-TFC2016 and most public captures keep real addresses and ports; a model fed raw headers learns "port 443"
// or "this /24 is malware" instead of traffic behaviour. Feature builders call this on every header by default.
//
// NOTE only addresses and ports change: lengths, flags, TTLs, options and checksums are left as captured (nothing is
// recomputed). Checksums are a function of the addresses, so a model could in principle recover a little address
// information from them; pass { checksums: 'zero' } to blank the IPv4 header, TCP and UDP checksums as well.
// NOTE ICMP error messages quote the offending packet's header in their payload; that quote is payload, not header,
// and is not touched here.
import type { L4Protocol } from '../types.ts';

export type AnonymiseMode = 'zero' | 'random';

export interface AnonymiseOptions {
  /** 'keep' (default) leaves checksums as captured; 'zero' blanks the IPv4 header, TCP and UDP checksums. */
  checksums?: 'keep' | 'zero';
}

/** Protocols whose first four transport bytes are source and destination ports. */
function hasPorts(protocol: L4Protocol): boolean {
  return protocol === 6 || protocol === 17 || protocol === 132 || protocol === 136 || protocol === 33;
}

function isIpv6ExtensionHeader(next: number): boolean {
  return next === 0 || next === 43 || next === 60 || next === 135 || next === 139 || next === 140 || next === 253 || next === 254;
}

/**
 * Returns a copy of `headerBytes` (an IP header, extension headers, then a transport header, as in
 * DecodedPacket.headerBytes) with the source and destination addresses and the ports zeroed, or replaced by bytes
 * drawn from `rng` (a seeded stream such as `seedrandom('split-0')`; one stream per flow gives per-flow randomness).
 * `ipVersion` may be omitted (undefined): the version nibble decides. Short or odd headers are masked as far as they go.
 *
 * @example
 *   const masked = anonymiseHeader(p.headerBytes, 4, 'zero');
 *   const noisy = anonymiseHeader(p.headerBytes, undefined, 'random', seedrandom('flow-17'));
 */
export function anonymiseHeader(
  headerBytes: Uint8Array,
  ipVersion: 4 | 6 | undefined,
  mode: AnonymiseMode,
  rng?: () => number,
  options: AnonymiseOptions = {},
): Uint8Array {
  if (mode === 'random' && rng === undefined) {
    throw new TypeError('anonymiseHeader: mode "random" needs a seeded rng, e.g. seedrandom("my-seed")');
  }
  const h = headerBytes.slice();
  const n = h.length;
  const mask = (from: number, to: number): void => {
    for (let i = from; i < to && i < n; i++) h[i] = mode === 'zero' ? 0 : Math.floor((rng as () => number)() * 256) & 0xff;
  };
  const zero = (from: number, to: number): void => {
    for (let i = from; i < to && i < n; i++) h[i] = 0;
  };
  if (n === 0) return h;
  const version = ipVersion ?? (h[0] >>> 4);

  let l4 = -1;
  let protocol = -1;
  if (version === 4) {
    mask(12, 20);
    if (options.checksums === 'zero') zero(10, 12);
    if (n < 20) return h;
    const fragmentOffset = ((h[6] << 8) | h[7]) & 0x1fff;
    if (fragmentOffset === 0) {
      l4 = (h[0] & 0x0f) * 4;
      protocol = h[9];
    }
  } else if (version === 6) {
    mask(8, 40);
    if (n < 40) return h;
    let next = h[6];
    let p = 40;
    for (let k = 0; k < 16 && p + 8 <= n; k++) {
      if (next === 44) {
        if ((((h[p + 2] << 8) | h[p + 3]) & 0xfff8) !== 0) return h; // a later fragment: no transport header
        next = h[p];
        p += 8;
      } else if (isIpv6ExtensionHeader(next)) {
        const len = (h[p + 1] + 1) * 8;
        next = h[p];
        p += len;
      } else {
        break;
      }
    }
    l4 = p;
    protocol = next;
  } else {
    return h; // not an IP header we know: nothing we can find safely
  }

  if (l4 >= 0 && hasPorts(protocol)) {
    mask(l4, l4 + 4);
    if (options.checksums === 'zero') {
      if (protocol === 6) zero(l4 + 16, l4 + 18);
      else if (protocol === 17) zero(l4 + 6, l4 + 8);
    }
  }
  return h;
}
