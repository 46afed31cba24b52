// TLS 1.3 byte streams with real record and handshake headers around random (encrypted-looking) bodies.
import type { SimulationRng } from './random.ts';
import { writeU16 } from './frames.ts';

export const TlsContentType = { changeCipherSpec: 20, alert: 21, handshake: 22, applicationData: 23 } as const;

/** Largest plaintext per record (RFC 8446 §5.1). */
export const TLS_MAX_PLAINTEXT = 16384;
/** What AEAD protection adds to each TLS 1.3 record: the inner content-type byte and a 16-byte tag. */
export const TLS13_RECORD_EXPANSION = 17;
const RECORD_HEADER = 5;

/** Concatenates byte arrays (the streams below are built piece by piece). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One record: type, legacy version, length, then `body` (random bytes of `bodyLength` when no body is given). */
export function tlsRecord(rng: SimulationRng, type: number, bodyLength: number, version = 0x0303, body?: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER + bodyLength);
  out[0] = type;
  writeU16(out, 1, version);
  writeU16(out, 3, bodyLength);
  if (body) out.set(body.subarray(0, bodyLength), RECORD_HEADER);
  else rng.fillBytes(out, RECORD_HEADER);
  return out;
}

const CIPHER_SUITES = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d];

/**
 * A ClientHello record of exactly `size` bytes (clamped to at least the size of its fixed parts): real structure
 * (version, random, session id, cipher suites, SNI, supported_versions, an x25519 key share) and a padding extension
 * (RFC 7685) that makes up the rest, the way browsers pad to dodge middlebox bugs.
 */
export function clientHello(rng: SimulationRng, size: number, serverName: string): Uint8Array {
  const suites = CIPHER_SUITES.slice(0, rng.int(3, CIPHER_SUITES.length));
  const name = new TextEncoder().encode(serverName);
  const sni = [0x00, 0x00, ...u16(name.length + 5), ...u16(name.length + 3), 0x00, ...u16(name.length), ...name];
  const versions = [0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03];
  const keyShare = [0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, ...rng.bytes(32)];
  const body = [
    0x03, 0x03, ...rng.bytes(32), // legacy_version, random
    0x20, ...rng.bytes(32), // legacy_session_id (middlebox compatibility mode)
    ...u16(suites.length * 2), ...suites.flatMap(u16),
    0x01, 0x00, // compression methods: null
  ];
  const extensions = [...sni, ...versions, ...keyShare];
  const fixed = RECORD_HEADER + 4 + body.length + 2 + extensions.length;
  const padding = Math.max(0, size - fixed - 4); // the padding extension's own 4-byte header
  extensions.push(0x00, 0x15, ...u16(padding), ...new Array<number>(padding).fill(0));
  const handshake = [...body, ...u16(extensions.length), ...extensions];
  const out = new Uint8Array(RECORD_HEADER + 4 + handshake.length);
  out[0] = TlsContentType.handshake;
  writeU16(out, 1, 0x0301); // ClientHello records say TLS 1.0 for compatibility (RFC 8446 §5.1)
  writeU16(out, 3, 4 + handshake.length);
  out[5] = 0x01; // client_hello
  out[6] = handshake.length >>> 16;
  writeU16(out, 7, handshake.length & 0xffff);
  out.set(handshake, 9);
  return out;
}

/**
 * The server's first flight: ServerHello (cleartext), a dummy ChangeCipherSpec, then the encrypted
 * EncryptedExtensions + Certificate + CertificateVerify + Finished as application-data records totalling
 * about `certificateBytes` (the certificate chain dominates: 1-5 KB).
 */
export function serverFirstFlight(rng: SimulationRng, certificateBytes: number): Uint8Array {
  const serverHello = [
    0x02, 0x00, 0x00, 0x76, // server_hello, 118 bytes
    0x03, 0x03, ...rng.bytes(32), 0x20, ...rng.bytes(32),
    0x13, rng.pick([0x01, 0x02, 0x03]), 0x00, // cipher suite, compression
    0x00, 0x2e, // extensions length 46
    0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, // supported_versions: TLS 1.3
    0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, ...rng.bytes(32), // key_share x25519
  ];
  const parts = [
    tlsRecord(rng, TlsContentType.handshake, serverHello.length, 0x0303, Uint8Array.from(serverHello)),
    changeCipherSpec(rng),
  ];
  // Some servers put the whole encrypted flight in one record, others one record per handshake message.
  if (rng.chance(0.5)) {
    parts.push(tlsRecord(rng, TlsContentType.applicationData, certificateBytes + TLS13_RECORD_EXPANSION));
  } else {
    const verifyAndFinished = [rng.int(264, 280), 53]; // CertificateVerify (RSA-2048 / ECDSA), Finished
    parts.push(tlsRecord(rng, TlsContentType.applicationData, rng.int(25, 40))); // EncryptedExtensions
    parts.push(tlsRecord(rng, TlsContentType.applicationData, Math.max(200, certificateBytes - 300)));
    for (const n of verifyAndFinished) parts.push(tlsRecord(rng, TlsContentType.applicationData, n));
  }
  return concatBytes(parts);
}

/** The client's second flight: ChangeCipherSpec and the encrypted Finished (6 + 58 bytes). */
export function clientFinished(rng: SimulationRng): Uint8Array {
  return concatBytes([changeCipherSpec(rng), tlsRecord(rng, TlsContentType.applicationData, 32 + 4 + TLS13_RECORD_EXPANSION)]);
}

/** NewSessionTicket messages the server sends after the handshake (1-2 records of ~200-300 bytes). */
export function sessionTickets(rng: SimulationRng): Uint8Array {
  const count = rng.int(1, 2);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < count; i++) parts.push(tlsRecord(rng, TlsContentType.applicationData, rng.int(190, 300)));
  return concatBytes(parts);
}

/** `plaintextBytes` of application data as a stream of full records (16 KiB each) and a final short one. */
export function applicationData(rng: SimulationRng, plaintextBytes: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let left = Math.max(1, Math.round(plaintextBytes)); left > 0; left -= TLS_MAX_PLAINTEXT) {
    const n = Math.min(left, TLS_MAX_PLAINTEXT);
    parts.push(tlsRecord(rng, TlsContentType.applicationData, n + TLS13_RECORD_EXPANSION));
  }
  return parts.length === 1 ? parts[0]! : concatBytes(parts);
}

function changeCipherSpec(rng: SimulationRng): Uint8Array {
  return tlsRecord(rng, TlsContentType.changeCipherSpec, 1, 0x0303, Uint8Array.of(1));
}

function u16(n: number): number[] {
  return [(n >>> 8) & 0xff, n & 0xff];
}
