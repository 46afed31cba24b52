// RTP packets (RFC 3550) for the VoIP classes: a 12-byte cleartext header around a (random) codec frame.
import type { SimulationRng } from './random.ts';
import { writeU16, writeU32 } from './frames.ts';

/** One direction of a media stream: the header fields that advance from packet to packet. */
export class RtpStream {
  private sequence: number;
  private timestamp: number;
  private readonly ssrc: number;
  private first = true;

  constructor(
    rng: SimulationRng,
    /** Payload type: 0 PCMU, 8 PCMA, 9 G.722, 111 Opus (dynamic). */
    readonly payloadType: number,
    /** Timestamp units per packet: 160 for 20 ms at 8 kHz, 960 for 20 ms of 48 kHz Opus. */
    readonly timestampStep: number,
  ) {
    this.sequence = rng.int(0, 0xffff); // random initial values, as RFC 3550 §5.1 asks
    this.timestamp = rng.uint32();
    this.ssrc = rng.uint32();
  }

  /** The next packet, carrying `payloadLength` bytes of (random) codec output. */
  next(rng: SimulationRng, payloadLength: number): Uint8Array {
    const out = new Uint8Array(12 + payloadLength);
    out[0] = 0x80; // version 2, no padding, no extension, no CSRCs
    out[1] = (this.first ? 0x80 : 0) | this.payloadType; // marker bit on the first packet of a talkspurt
    writeU16(out, 2, this.sequence);
    writeU32(out, 4, this.timestamp);
    writeU32(out, 8, this.ssrc);
    rng.fillBytes(out, 12);
    this.first = false;
    this.sequence = (this.sequence + 1) & 0xffff;
    this.timestamp = (this.timestamp + this.timestampStep) >>> 0;
    return out;
  }
}
