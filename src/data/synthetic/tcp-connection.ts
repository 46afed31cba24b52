// A TCP connection simulator: handshake, MSS segmentation, slow start, delayed ACKs and FIN teardown, with real seq/ack numbers.
import type { SimulationRng } from './random.ts';
import type { FlowPath, SimPacket } from './flow-path.ts';
import { TcpFlag, tcpIpv4Packet } from './frames.ts';

export interface TcpConnectionOptions {
  /** Maximum segment size both ends agree on (1460 on Ethernet; 1380 inside a WireGuard tunnel's 1420-byte MTU). */
  mss: number;
  /** Initial congestion window in segments (RFC 6928: 10). */
  initialWindow?: number;
  /** Cap on the congestion window in segments (stands in for the receive window and the path's BDP). */
  maxWindow?: number;
}

const INITIAL_WINDOW = 10;
const MAX_WINDOW = 64;
// A sender that has been idle longer than one RTO restarts slow start (RFC 5681 §4.1); Linux's minimum RTO is 200 ms.
const IDLE_RESTART_SECONDS = 0.2;
const DELAYED_ACK_SECONDS = 0.04;

/**
 * Turns application messages into the segments a capture at the client would show.
 * Messages are sequential (request, response, ...), which is how the classes talk; the receiver ACKs every second
 * segment at once and a message's odd last segment after a delayed-ACK timeout, unless its own reply carries the ACK.
 *
 * @example
 *   const tcp = new TcpConnection(path, rng, startTime, { mss: 1460 });
 *   tcp.open();
 *   tcp.send(true, request, 0);
 *   tcp.send(false, response, path.rtt + 0.02); // the server answers one RTT + 20 ms later
 *   tcp.close(true, 0.5);
 */
export class TcpConnection {
  readonly packets: SimPacket[] = [];
  /** Capture time the script has reached: its last data segment or control packet (ACKs added for it may come later). */
  now: number;
  private clientSeq: number;
  private serverSeq: number;
  private readonly window: [number, number];
  private readonly cwnd: [number, number];
  private readonly lastSend: [number, number];
  private readonly mss: number;
  private readonly initialWindow: number;
  private readonly maxWindow: number;
  private readonly lastEmit: [number, number] = [-Infinity, -Infinity];
  private pendingAck: { time: number; fromClient: boolean; seq: number; ack: number } | null = null;

  constructor(
    readonly path: FlowPath,
    private readonly rng: SimulationRng,
    startTime: number,
    options: TcpConnectionOptions,
  ) {
    this.now = startTime;
    this.clientSeq = rng.uint32();
    this.serverSeq = rng.uint32();
    this.mss = options.mss;
    this.initialWindow = options.initialWindow ?? INITIAL_WINDOW;
    this.maxWindow = options.maxWindow ?? MAX_WINDOW;
    this.cwnd = [this.initialWindow, this.initialWindow];
    this.lastSend = [startTime, startTime];
    // Advertised windows after scaling is negotiated: small numbers like 501 or 2052 are typical on the wire.
    this.window = [rng.pick([501, 502, 1024, 2048, 8212, 64240]), rng.pick([83, 235, 501, 1026, 2052, 65535])];
  }

  /** Three-way handshake starting at `now`. */
  open(): void {
    const t0 = this.now;
    const clientIsn = this.clientSeq;
    const serverIsn = this.serverSeq;
    this.emit(t0, true, TcpFlag.SYN, EMPTY, clientIsn, 0, synOptions(this.mss, this.rng.pick([7, 8, 9])), 64240);
    const tSynAck = t0 + this.jitter(this.path.rtt);
    this.emit(tSynAck, false, TcpFlag.SYN | TcpFlag.ACK, EMPTY, serverIsn, (clientIsn + 1) >>> 0, synOptions(this.mss, 9), 65535);
    this.clientSeq = (clientIsn + 1) >>> 0; // SYN consumes one sequence number
    this.serverSeq = (serverIsn + 1) >>> 0;
    const tAck = tSynAck + this.rng.uniform(20e-6, 120e-6);
    this.emit(tAck, true, TcpFlag.ACK, EMPTY, this.clientSeq, this.serverSeq);
    this.now = tAck;
    this.lastSend[0] = this.lastSend[1] = tAck;
  }

  /**
   * Sends one application message `bytes` from one side; its first segment is captured `gap` seconds after `now`.
   * For a reply from the server `gap` should include the RTT. Afterwards `now` is the last data segment's time.
   */
  send(fromClient: boolean, bytes: Uint8Array, gap: number): void {
    if (bytes.length === 0) return;
    const side = fromClient ? 0 : 1;
    const start = this.now + gap;
    this.settlePendingAck(fromClient, start);
    if (start - this.lastSend[side] > IDLE_RESTART_SECONDS) this.cwnd[side] = this.initialWindow;
    const peerSeq = fromClient ? this.serverSeq : this.clientSeq;
    let seq = fromClient ? this.clientSeq : this.serverSeq;
    let t = start;
    let flightStart = start;
    let inFlight = 0;
    let segmentIndex = 0;
    for (let offset = 0; offset < bytes.length; offset += this.mss) {
      if (inFlight === this.cwnd[side]) {
        // The window is full: the next flight leaves when the first ACKs come back, one RTT after this one began.
        flightStart = Math.max(t, flightStart + this.jitter(this.path.rtt));
        this.cwnd[side] = Math.min(this.cwnd[side]! * 2, this.maxWindow);
        inFlight = 0;
      }
      const payload = bytes.subarray(offset, Math.min(offset + this.mss, bytes.length));
      const last = offset + this.mss >= bytes.length;
      if (segmentIndex > 0) t += this.path.transmitTime(payload.length + 40);
      t = Math.max(t, flightStart);
      this.emit(t, fromClient, TcpFlag.ACK | (last ? TcpFlag.PSH : 0), payload, seq, peerSeq);
      seq = (seq + payload.length) >>> 0;
      inFlight++;
      segmentIndex++;
      // Delayed ACK (RFC 1122 §4.2.3.2): the receiver acknowledges every second full segment at once; a lone last
      // segment waits up to 40 ms (Linux's minimum delay) for data going the other way to carry the ACK.
      const arrival = fromClient ? t + this.jitter(this.path.rtt) : t + this.rng.uniform(15e-6, 90e-6);
      if (segmentIndex % 2 === 0) this.emit(arrival, !fromClient, TcpFlag.ACK, EMPTY, peerSeq, seq);
      else if (last) this.pendingAck = { time: arrival + DELAYED_ACK_SECONDS, fromClient: !fromClient, seq: peerSeq, ack: seq };
    }
    if (fromClient) this.clientSeq = seq;
    else this.serverSeq = seq;
    this.lastSend[side] = t;
    this.now = t;
  }

  /**
   * One request and its response: the response's first segment arrives one RTT plus `serverTime` after the request's
   * last segment left.
   */
  exchange(request: Uint8Array, response: Uint8Array, gap: number, serverTime: number): void {
    this.send(true, request, gap);
    this.send(false, response, this.jitter(this.path.rtt) + serverTime);
  }

  /** FIN from one side, FIN from the other, final ACK: the orderly close. */
  close(clientCloses: boolean, gap: number): void {
    const t0 = this.now + gap;
    this.settlePendingAck(clientCloses, t0);
    const finAck = TcpFlag.FIN | TcpFlag.ACK;
    if (clientCloses) {
      this.emit(t0, true, finAck, EMPTY, this.clientSeq, this.serverSeq);
      this.clientSeq = (this.clientSeq + 1) >>> 0; // FIN consumes one sequence number
      const t1 = t0 + this.jitter(this.path.rtt);
      this.emit(t1, false, finAck, EMPTY, this.serverSeq, this.clientSeq);
      this.serverSeq = (this.serverSeq + 1) >>> 0;
      this.emit(t1 + this.rng.uniform(20e-6, 100e-6), true, TcpFlag.ACK, EMPTY, this.clientSeq, this.serverSeq);
      this.now = t1;
    } else {
      this.emit(t0, false, finAck, EMPTY, this.serverSeq, this.clientSeq);
      this.serverSeq = (this.serverSeq + 1) >>> 0;
      const t1 = t0 + this.rng.uniform(100e-6, 2e-3); // the client application notices EOF and closes
      this.emit(t1, true, finAck, EMPTY, this.clientSeq, this.serverSeq);
      this.clientSeq = (this.clientSeq + 1) >>> 0;
      this.emit(t1 + this.jitter(this.path.rtt), false, TcpFlag.ACK, EMPTY, this.serverSeq, this.clientSeq);
      this.now = t1;
    }
  }

  /**
   * A delayed ACK is dropped when the side that owes it sends data before the timer fires (the data carries the ACK),
   * and goes out on its own otherwise.
   */
  private settlePendingAck(nextSenderIsClient: boolean, nextTime: number): void {
    const p = this.pendingAck;
    if (!p) return;
    this.pendingAck = null;
    if (p.fromClient === nextSenderIsClient && nextTime <= p.time) return;
    this.emit(p.time, p.fromClient, TcpFlag.ACK, EMPTY, p.seq, p.ack);
  }

  /** A delay of about `seconds`, +-10 % (queueing noise), never below half of it. */
  jitter(seconds: number): number {
    return Math.max(seconds * 0.5, seconds * (1 + 0.1 * this.rng.normal()));
  }

  private emit(
    time: number,
    fromClient: boolean,
    flags: number,
    payload: Uint8Array,
    seq: number,
    ack: number,
    options?: Uint8Array,
    window?: number,
  ): void {
    const ip = tcpIpv4Packet(
      this.path.ipFields(fromClient),
      {
        srcPort: fromClient ? this.path.client.port : this.path.server.port,
        dstPort: fromClient ? this.path.server.port : this.path.client.port,
        seq,
        ack: flags & TcpFlag.ACK ? ack : 0,
        flags,
        window: window ?? this.window[fromClient ? 0 : 1]!,
        ...(options ? { options } : {}),
      },
      payload,
    );
    // One side's packets leave in the order it produced them (the order of its sequence numbers): independent RTT
    // jitter must not let a reply overtake an ACK sent before it.
    const side = fromClient ? 0 : 1;
    const at = Math.max(time, this.lastEmit[side]! + 1e-6);
    this.lastEmit[side] = at;
    this.packets.push({ time: at, fromClient, ip });
  }
}

const EMPTY = new Uint8Array(0);

/** SYN options as Linux sends them, minus timestamps: MSS, SACK permitted, window scale (12 bytes, word-aligned). */
function synOptions(mss: number, windowScale: number): Uint8Array {
  return Uint8Array.of(
    2, 4, mss >>> 8, mss & 0xff, // MSS
    4, 2, // SACK permitted
    1, // NOP
    3, 3, windowScale, // window scale
    1, 1, // NOP NOP: pad to a 4-byte boundary
  );
}
