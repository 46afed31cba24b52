// A WireGuard-like tunnel: wraps a simulated flow's IP packets into one UDP flow with WireGuard's message framing.
import type { SimulationRng } from './random.ts';
import type { FlowPath, SimPacket } from './flow-path.ts';
import { udpIpv4Packet } from './frames.ts';

/** Inner MTU WireGuard configures by default (1500 - 80 bytes of worst-case IPv6 + UDP + WireGuard overhead). */
export const WIREGUARD_INNER_MTU = 1420;
export const WIREGUARD_PORT = 51820;

const HANDSHAKE_INITIATION_LENGTH = 148;
const HANDSHAKE_RESPONSE_LENGTH = 92;
const DATA_HEADER_LENGTH = 16; // type, reserved, receiver index, 64-bit counter
const AEAD_TAG_LENGTH = 16;
// WireGuard sends a keepalive when it has received data but sent nothing for 10 s (passive keepalive).
const KEEPALIVE_TIMEOUT = 10;

/**
 * Encapsulates `inner` (packets of a flow between tunnel addresses) into the outer flow described by `outer`:
 * a handshake initiation and response first, then one transport-data message per inner packet, whose encrypted
 * part is the inner packet zero-padded to a multiple of 16 plus a 16-byte Poly1305 tag.
 * The inner packets are delayed by the handshake (one outer RTT) and a few microseconds of encryption.
 */
export function wireGuardEncapsulate(rng: SimulationRng, outer: FlowPath, inner: readonly SimPacket[], startTime: number): SimPacket[] {
  const out: SimPacket[] = [];
  const clientIndex = rng.uint32();
  const serverIndex = rng.uint32();
  const counters = [0, 0];
  const emit = (time: number, fromClient: boolean, payload: Uint8Array): void => {
    const from = fromClient ? outer.client : outer.server;
    const to = fromClient ? outer.server : outer.client;
    out.push({ time, fromClient, ip: udpIpv4Packet(outer.ipFields(fromClient), from.port, to.port, payload) });
  };

  const initiation = rng.bytes(HANDSHAKE_INITIATION_LENGTH);
  initiation.set([1, 0, 0, 0], 0);
  setU32LE(initiation, 4, clientIndex);
  emit(startTime, true, initiation);
  const response = rng.bytes(HANDSHAKE_RESPONSE_LENGTH);
  response.set([2, 0, 0, 0], 0);
  setU32LE(response, 4, serverIndex);
  setU32LE(response, 8, clientIndex);
  const handshakeDone = startTime + outer.rtt * rng.uniform(0.95, 1.1);
  emit(handshakeDone, false, response);

  const sorted = [...inner].sort((a, b) => a.time - b.time);
  const shift = sorted.length > 0 ? handshakeDone + rng.uniform(50e-6, 300e-6) - sorted[0]!.time : 0;
  const lastSent = [handshakeDone, handshakeDone];
  const lastReceived = [handshakeDone, handshakeDone];
  for (const p of sorted) {
    const side = p.fromClient ? 0 : 1;
    const time = p.time + shift + rng.uniform(5e-6, 40e-6);
    // Passive keepalive: the other side heard from us but has been silent for 10 s.
    const other = 1 - side;
    if (lastReceived[other]! > lastSent[other]! && time - lastReceived[other]! > KEEPALIVE_TIMEOUT) {
      const t = lastReceived[other]! + KEEPALIVE_TIMEOUT;
      emit(t, other === 0, dataMessage(rng, other === 0 ? serverIndex : clientIndex, counters[other]!++, new Uint8Array(0)));
      lastSent[other] = t;
    }
    emit(time, p.fromClient, dataMessage(rng, p.fromClient ? serverIndex : clientIndex, counters[side]!++, p.ip));
    lastSent[side] = time;
    lastReceived[other] = time;
  }
  return out;
}

function dataMessage(rng: SimulationRng, receiverIndex: number, counter: number, innerPacket: Uint8Array): Uint8Array {
  const padded = Math.ceil(innerPacket.length / 16) * 16;
  const out = new Uint8Array(DATA_HEADER_LENGTH + padded + AEAD_TAG_LENGTH);
  out[0] = 4; // transport data
  setU32LE(out, 4, receiverIndex);
  setU32LE(out, 8, counter); // 64-bit little-endian counter; we never pass 2^32
  // The ciphertext is random: nothing of the inner packet shows through.
  rng.fillBytes(out, DATA_HEADER_LENGTH);
  return out;
}

function setU32LE(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value & 0xff;
  out[offset + 1] = (value >>> 8) & 0xff;
  out[offset + 2] = (value >>> 16) & 0xff;
  out[offset + 3] = (value >>> 24) & 0xff;
}
