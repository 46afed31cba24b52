// DNS messages (RFC 1035) with real headers, names and resource records: the one cleartext protocol in the dataset.
import type { SimulationRng } from './random.ts';
import { concatBytes } from './tls.ts';
import { writeU16, writeU32 } from './frames.ts';

export const DnsType = { A: 1, CNAME: 5, AAAA: 28, HTTPS: 65 } as const;

const SYLLABLES = ['ka', 'lo', 'mi', 'net', 'cdn', 'web', 'app', 'api', 'img', 'st', 'ra', 'vo', 'tu', 'be', 'ex', 'on'];
const TLDS = ['com', 'net', 'org', 'io', 'de', 'co.uk', 'fr', 'jp'];
const PREFIXES = ['www', 'api', 'cdn', 'static', 'img', 'mail', 'edge', 'login', 'update'];

/** A plausible host name: "<prefix>.<made-up word>.<tld>". */
export function randomHostName(rng: SimulationRng): string {
  let word = '';
  for (let i = rng.int(2, 5); i > 0; i--) word += rng.pick(SYLLABLES);
  return `${rng.pick(PREFIXES)}.${word}.${rng.pick(TLDS)}`;
}

export interface DnsQuestion {
  id: number;
  name: string;
  type: number;
}

/** A recursive query (RD set), optionally with an EDNS(0) OPT record as modern stub resolvers send. */
export function dnsQuery(q: DnsQuestion, edns: boolean): Uint8Array {
  const header = dnsHeader(q.id, 0x0100, 1, 0, edns ? 1 : 0);
  return concatBytes([header, question(q), edns ? optRecord() : new Uint8Array(0)]);
}

/**
 * The answer: header with QR/RD/RA, the question echoed, an optional CNAME, then `addresses` A or AAAA records whose
 * names point back at the question (compression pointer 0xc00c).
 */
export function dnsResponse(rng: SimulationRng, q: DnsQuestion, addresses: number, withCname: boolean, edns: boolean): Uint8Array {
  const records: Uint8Array[] = [];
  if (withCname) {
    const cdn = rng.pick(['akamaiedge.net', 'cloudfront.net', 'fastly.net', 'edgekey.net']);
    const target = encodeName(`${rng.pick(PREFIXES)}.${rng.pick(SYLLABLES)}${rng.pick(SYLLABLES)}.${cdn}`);
    records.push(resourceRecord(rng, DnsType.CNAME, target));
  }
  const rdLength = q.type === DnsType.AAAA ? 16 : 4;
  const type = q.type === DnsType.AAAA ? DnsType.AAAA : DnsType.A;
  for (let i = 0; i < addresses; i++) records.push(resourceRecord(rng, type, rng.bytes(rdLength)));
  const header = dnsHeader(q.id, 0x8180, 1, records.length, edns ? 1 : 0);
  return concatBytes([header, question(q), ...records, edns ? optRecord() : new Uint8Array(0)]);
}

function dnsHeader(id: number, flags: number, qd: number, an: number, ar: number): Uint8Array {
  const out = new Uint8Array(12);
  writeU16(out, 0, id);
  writeU16(out, 2, flags);
  writeU16(out, 4, qd);
  writeU16(out, 6, an);
  writeU16(out, 8, 0);
  writeU16(out, 10, ar);
  return out;
}

function question(q: DnsQuestion): Uint8Array {
  const name = encodeName(q.name);
  const out = new Uint8Array(name.length + 4);
  out.set(name, 0);
  writeU16(out, name.length, q.type);
  writeU16(out, name.length + 2, 1); // class IN
  return out;
}

function resourceRecord(rng: SimulationRng, type: number, rdata: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + rdata.length);
  writeU16(out, 0, 0xc00c); // name: pointer to the question's name at offset 12
  writeU16(out, 2, type);
  writeU16(out, 4, 1);
  writeU32(out, 6, rng.pick([30, 60, 300, 3600, 86400]));
  writeU16(out, 10, rdata.length);
  out.set(rdata, 12);
  return out;
}

/** EDNS(0) OPT pseudo-record advertising a 1232-byte UDP payload (the DNS flag day 2020 value). */
function optRecord(): Uint8Array {
  return Uint8Array.of(0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
}

function encodeName(name: string): Uint8Array {
  const bytes: number[] = [];
  for (const label of name.split('.')) {
    const encoded = new TextEncoder().encode(label);
    bytes.push(encoded.length, ...encoded);
  }
  bytes.push(0);
  return Uint8Array.from(bytes);
}
