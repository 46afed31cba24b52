// SSH-2 byte streams: cleartext banner and key exchange, then chacha20-poly1305-sized encrypted packets.
import type { SimulationRng } from './random.ts';
import { concatBytes } from './tls.ts';
import { writeU32 } from './frames.ts';

/** Clients people type into. */
export const INTERACTIVE_CLIENT_BANNERS = [
  'SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5',
  'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10',
  'SSH-2.0-OpenSSH_9.8',
  'SSH-2.0-PuTTY_Release_0.81',
];
/** Clients that move files: scp/sftp from OpenSSH, but also libraries and GUI tools. */
export const TRANSFER_CLIENT_BANNERS = [
  'SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5',
  'SSH-2.0-paramiko_3.4.0',
  'SSH-2.0-WinSCP_release_6.3.3',
  'SSH-2.0-libssh_0.10.6',
  'SSH-2.0-Go',
];
export const SERVER_BANNERS = [
  'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3',
  'SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3',
  'SSH-2.0-OpenSSH_7.4',
  'SSH-2.0-dropbear_2022.83',
];
const KEX = ['sntrup761x25519-sha512@openssh.com', 'curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'diffie-hellman-group16-sha512', 'diffie-hellman-group14-sha256', 'ext-info-c', 'kex-strict-c-v00@openssh.com'];
const HOST_KEYS = ['ssh-ed25519-cert-v01@openssh.com', 'ecdsa-sha2-nistp256-cert-v01@openssh.com', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256'];
const CIPHERS = ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'];
const MACS = ['umac-64-etm@openssh.com', 'umac-128-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha1-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512'];
const COMPRESSION = ['none', 'zlib@openssh.com'];

/** The identification line, "SSH-2.0-...\r\n" (RFC 4253 §4.2), which both sides send in clear. */
export function sshBanner(rng: SimulationRng, banners: readonly string[]): Uint8Array {
  return new TextEncoder().encode(`${rng.pick(banners)}\r\n`);
}

/** A binary packet before keys are in use: length, padding length, payload, random padding to a multiple of 8. */
export function sshCleartextPacket(rng: SimulationRng, payload: Uint8Array): Uint8Array {
  let padding = 8 - ((5 + payload.length) % 8);
  if (padding < 4) padding += 8; // RFC 4253 §6: at least 4 bytes of padding
  const packetLength = 1 + payload.length + padding;
  const out = new Uint8Array(4 + packetLength);
  writeU32(out, 0, packetLength);
  out[4] = padding;
  out.set(payload, 5);
  rng.fillBytes(out, 5 + payload.length);
  return out;
}

/** SSH_MSG_KEXINIT with real algorithm name-lists (a random prefix of each, so sizes vary like real clients). */
export function sshKexInit(rng: SimulationRng): Uint8Array {
  const lists = [KEX, HOST_KEYS, CIPHERS, CIPHERS, MACS, MACS, COMPRESSION, COMPRESSION];
  const parts: Uint8Array[] = [Uint8Array.of(20), rng.bytes(16)]; // message 20 + cookie
  for (const list of lists) parts.push(nameList(list.slice(0, rng.int(1, list.length))));
  parts.push(nameList([]), nameList([]), Uint8Array.of(0, 0, 0, 0, 0)); // languages, first_kex_follows, reserved
  return sshCleartextPacket(rng, concatBytes(parts));
}

/** The ECDH (or hybrid post-quantum) key exchange: the client's init and the server's reply, in clear. */
export function sshKeyExchange(rng: SimulationRng, postQuantumShare: number): { init: Uint8Array; reply: Uint8Array } {
  const postQuantum = rng.chance(postQuantumShare); // sntrup761x25519: 1190-byte client key, 1071-byte server ciphertext
  const clientKey = postQuantum ? 1190 : 32;
  const serverKey = postQuantum ? 1071 : 32;
  const init = sshCleartextPacket(rng, concatBytes([Uint8Array.of(30), sshString(rng.bytes(clientKey))]));
  const hostKey = rng.bytes(rng.pick([51, 104, 279])); // ed25519, ecdsa-p256, rsa-2048 public key blobs
  const signature = rng.bytes(rng.pick([83, 100, 271]));
  const reply = sshCleartextPacket(
    rng,
    concatBytes([Uint8Array.of(31), sshString(hostKey), sshString(rng.bytes(serverKey)), sshString(signature)]),
  );
  return { init, reply };
}

/** SSH_MSG_NEWKEYS: after it, everything is encrypted. */
export function sshNewKeys(rng: SimulationRng): Uint8Array {
  return sshCleartextPacket(rng, Uint8Array.of(21));
}

/**
 * An encrypted packet with chacha20-poly1305@openssh.com sizing: 4-byte encrypted length, body padded to a multiple
 * of 8, 16-byte tag. A one-character SSH_MSG_CHANNEL_DATA (10-byte payload) comes out at the well-known 36 bytes.
 */
export function sshEncryptedPacket(rng: SimulationRng, payloadLength: number): Uint8Array {
  let padding = 8 - ((1 + payloadLength) % 8);
  if (padding < 4) padding += 8;
  return rng.bytes(4 + 1 + payloadLength + padding + 16);
}

/** Several encrypted packets back to back (what one TCP write of an scp transfer holds). */
export function sshEncryptedStream(rng: SimulationRng, payloadLengths: readonly number[]): Uint8Array {
  return concatBytes(payloadLengths.map((n) => sshEncryptedPacket(rng, n)));
}

function sshString(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.length);
  writeU32(out, 0, bytes.length);
  out.set(bytes, 4);
  return out;
}

function nameList(names: readonly string[]): Uint8Array {
  return sshString(new TextEncoder().encode(names.join(',')));
}
