// anonymiseHeader masks exactly the addresses and ports, in a copy, for IPv4 and IPv6 (extension headers, fragments).
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { anonymiseHeader } from '../../../src/data/flows/index.ts';
import { extHeader, fragmentHeader, icmp, ipv4, ipv6, tcp, udp } from '../capture/fixtures.ts';

/** Indices where two arrays differ. */
function changed(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
/** Which bytes get masked: an rng stuck at 0.999 writes 0xff, a value none of these fixtures hold at those places. */
const maskedAt = (h: Uint8Array, version: 4 | 6 | undefined): number[] => changed(anonymiseHeader(h, version, 'random', () => 0.999), h);

describe('anonymiseHeader', () => {
  const v4tcp = ipv4({ protocol: 6, options: [1, 1, 1, 0], payload: tcp({ sport: 0x1234, dport: 443, options: [2, 4, 5, 0xb4] }) });

  it('zeroes IPv4 addresses and TCP ports (after IP options), nothing else, in a copy', () => {
    const before = v4tcp.slice();
    const masked = anonymiseHeader(v4tcp, 4, 'zero');
    expect(changed(v4tcp, before)).toEqual([]); // input untouched
    expect(masked).not.toBe(v4tcp);
    expect(maskedAt(v4tcp, 4)).toEqual([...range(12, 20), ...range(24, 28)]);
    expect(maskedAt(v4tcp, undefined)).toEqual([...range(12, 20), ...range(24, 28)]);
    for (const i of [...range(12, 20), ...range(24, 28)]) expect(masked[i]).toBe(0);
    expect(changed(masked, v4tcp).every((i) => (i >= 12 && i < 20) || (i >= 24 && i < 28))).toBe(true);
  });

  it('randomises from the given seeded stream: same seed, same bytes', () => {
    const a = anonymiseHeader(v4tcp, undefined, 'random', seedrandom('s1'));
    const b = anonymiseHeader(v4tcp, undefined, 'random', seedrandom('s1'));
    const c = anonymiseHeader(v4tcp, undefined, 'random', seedrandom('s2'));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(changed(a, v4tcp).every((i) => (i >= 12 && i < 20) || (i >= 24 && i < 28))).toBe(true);
    expect(() => anonymiseHeader(v4tcp, 4, 'random')).toThrow(/needs a seeded rng/);
  });

  it('finds UDP ports behind IPv6 extension headers', () => {
    const h = ipv6({ protocol: 17, ext: [extHeader(0), extHeader(60, 1)], payload: udp({ sport: 5353, dport: 5353 }) });
    const header = h.subarray(0, 40 + 8 + 16 + 8);
    expect(maskedAt(header, 6)).toEqual([...range(8, 40), ...range(64, 68)]);
  });

  it('leaves the transport bytes of later fragments alone (they hold payload, not ports)', () => {
    const later4 = ipv4({ protocol: 17, fragmentOffset: 1480, payload: new Uint8Array(8).fill(7) });
    expect(maskedAt(later4, 4)).toEqual(range(12, 20));
    const later6 = ipv6({ protocol: 17, ext: [fragmentHeader(1232, false, 5)], payload: new Uint8Array(8).fill(7) });
    expect(maskedAt(later6, 6)).toEqual(range(8, 40));
  });

  it('masks addresses only for ICMP', () => {
    const h = ipv4({ protocol: 1, payload: icmp(8, 0) });
    expect(maskedAt(h, 4)).toEqual(range(12, 20));
  });

  it('optionally blanks the checksums that the addresses feed', () => {
    const masked = anonymiseHeader(v4tcp, 4, 'zero', undefined, { checksums: 'zero' });
    expect(Array.from(masked.subarray(10, 12))).toEqual([0, 0]);
    expect(Array.from(masked.subarray(24 + 16, 24 + 18))).toEqual([0, 0]);
  });

  it('handles short and odd inputs without throwing', () => {
    expect(anonymiseHeader(new Uint8Array(0), undefined, 'zero')).toEqual(new Uint8Array(0));
    expect(maskedAt(v4tcp.subarray(0, 14), 4)).toEqual([12, 13]);
    const notIp = Uint8Array.from([0x70, 1, 2, 3]);
    expect(anonymiseHeader(notIp, undefined, 'zero')).toEqual(notIp);
  });
});
