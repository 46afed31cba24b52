// Groups decoded packets into bidirectional 5-tuple flows: client = sender of the first packet seen, idle timeout,
// TCP FIN/RST teardown, the first packets of each flow copied and capped, totals over every packet.
//
// Data structures (all O(1) per packet):
// - a hash table keyed by a direction-free 5-tuple hash (Map<number, Entry>, collisions chained through the entries);
// - two lists ordered by last-seen time, one for open flows (idle timeout) and one for closed TCP flows (linger), so
//   expiring is popping from the head. Time is the capture's, made monotonic (a packet stamped earlier than one
//   already seen counts as "now"), which keeps both lists sorted even on captures with reordered timestamps;
// - a map from (src, dst, protocol, IP id) of first fragments to their flow, for later fragments.
//
// NOTE fragment policy: an IP fragment with offset 0 carries the ports and joins its 5-tuple flow like any packet;
// if more fragments follow, its (src, dst, protocol, id) is remembered for `fragmentTimeout` seconds and each later
// fragment joins that flow (counted in the totals and kept like any packet, payload only). A later fragment seen
// before its first fragment, or after the timeout, is counted in `stats.unattachedFragments` and dropped: we do not
// buffer or reassemble.
import type { DecodedPacket, Flow, FlowPacket } from '../types.ts';
import type { FlowOptions, ResolvedFlowOptions } from './flow-options.ts';
import { resolveFlowOptions } from './flow-options.ts';
import { PacketKey } from './flow-key.ts';

const TCP = 6;
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/** Counters over one assembler's life. */
export interface FlowAssemblyStats {
  packets: number;
  flows: number;
  /** Later fragments that joined the flow of their first fragment. */
  attachedFragments: number;
  /** Later fragments with no known first fragment (or dropped by `fragments: 'drop'`). */
  unattachedFragments: number;
  /** Flows ended early because maxActiveFlows was reached. */
  evictedFlows: number;
  /** Flows split off because a SYN arrived on a closed TCP flow. */
  reopenedFlows: number;
}

class Entry {
  // 5-tuple, client side first.
  version = 4;
  protocol = 0;
  c0 = 0;
  c1 = 0;
  c2 = 0;
  c3 = 0;
  s0 = 0;
  s1 = 0;
  s2 = 0;
  s3 = 0;
  clientPort = 0;
  serverPort = 0;
  hash = 0;
  /** Next entry in the same hash bucket. */
  chain: Entry | null = null;
  /** Neighbours in the open or closed list. */
  prev: Entry | null = null;
  next: Entry | null = null;
  lastSeen = 0;
  finFromClient = false;
  finFromServer = false;
  closeReason: 'fin' | 'rst' | null = null;
  ended = false;
  constructor(readonly flow: Flow) {}
}

/** Doubly linked list of entries ordered by lastSeen (head = oldest). */
class LastSeenList {
  head: Entry | null = null;
  tail: Entry | null = null;
  size = 0;

  push(e: Entry): void {
    e.prev = this.tail;
    e.next = null;
    if (this.tail !== null) this.tail.next = e;
    else this.head = e;
    this.tail = e;
    this.size++;
  }

  remove(e: Entry): void {
    if (e.prev !== null) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next !== null) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = null;
    this.size--;
  }

  touch(e: Entry): void {
    if (this.tail === e) return;
    this.remove(e);
    this.push(e);
  }
}

interface FragmentTrack {
  entry: Entry;
  /** True when the first fragment was sent by the flow's client. */
  fromClient: boolean;
  seen: number;
}

/**
 * Assembles flows from packets in capture order.
 *
 * @example
 *   const a = new FlowAssembler('trace.pcap', { idleTimeout: 60 });
 *   await readCaptureFile('trace.pcap', { onPacket: (p) => a.add(p) });
 *   const flows = a.finish();
 */
export class FlowAssembler {
  readonly stats: FlowAssemblyStats = {
    packets: 0,
    flows: 0,
    attachedFragments: 0,
    unattachedFragments: 0,
    evictedFlows: 0,
    reopenedFlows: 0,
  };
  private readonly options: ResolvedFlowOptions;
  private readonly table = new Map<number, Entry>();
  private readonly open = new LastSeenList();
  private readonly closed = new LastSeenList();
  private readonly fragmentFlows = new Map<string, FragmentTrack>();
  private readonly finished: Flow[] = [];
  private readonly key = new PacketKey();
  private clock = -Infinity;
  private nextId = 0;
  private done = false;

  constructor(
    readonly source: string,
    options?: FlowOptions,
  ) {
    this.options = resolveFlowOptions(options);
    if (options?.source !== undefined) this.source = options.source;
  }

  /** Adds one packet. Its byte arrays are copied if kept, so the packet may be a view into a reader's buffer. */
  add(p: DecodedPacket): void {
    if (this.done) throw new Error(`FlowAssembler(${this.source}): add() after finish()`);
    this.stats.packets++;
    const ts = p.timestamp;
    const now = ts > this.clock ? ts : this.clock; // NaN and backwards steps both become "now"
    this.clock = now;
    this.expire(now);

    const frag = p.fragment;
    if (frag !== null && frag.offset !== 0) {
      this.addLaterFragment(p, frag.id, now);
      return;
    }

    const key = this.key;
    key.fill(p);
    let entry = this.table.get(key.hash) ?? null;
    let forward = true;
    while (entry !== null) {
      if (entry.protocol === key.protocol && entry.version === key.version) {
        if (sameForward(entry, key)) break;
        if (sameReverse(entry, key)) {
          forward = false;
          break;
        }
      }
      entry = entry.chain;
    }
    // A new connection attempt on a torn-down TCP flow is a new flow, however soon it comes.
    if (entry !== null && entry.closeReason !== null && (p.tcpFlags & (SYN | ACK)) === SYN && p.protocol === TCP) {
      this.end(entry, entry.closeReason);
      this.stats.reopenedFlows++;
      entry = null;
    }
    if (entry === null) {
      entry = this.create(p, key, now);
      forward = true;
    }
    this.update(entry, p, forward, now);

    if (frag !== null && frag.moreFragments && this.options.fragments === 'attach') {
      this.rememberFirstFragment(p, frag.id, entry, forward, now);
    }
  }

  /**
   * Ends every open flow ('eof', or 'fin'/'rst' for torn-down TCP flows still lingering) and returns all flows in
   * start-time order; with `onFlow` set, hands them to it instead and returns [].
   */
  finish(): Flow[] {
    if (this.done) return [];
    for (const list of [this.closed, this.open]) {
      while (list.head !== null) {
        const e = list.head;
        this.end(e, e.closeReason ?? 'eof');
      }
    }
    this.done = true;
    this.fragmentFlows.clear();
    const flows = this.finished.splice(0);
    flows.sort((a, b) => a.startTime - b.startTime || flowNumber(a) - flowNumber(b));
    return flows;
  }

  /** Flows currently open or lingering. */
  get activeFlows(): number {
    return this.open.size + this.closed.size;
  }

  private expire(now: number): void {
    const idle = this.options.idleTimeout;
    while (this.open.head !== null && now - this.open.head.lastSeen > idle) this.end(this.open.head, 'idle');
    const linger = this.options.closeLinger;
    while (this.closed.head !== null && now - this.closed.head.lastSeen > linger) {
      const e = this.closed.head;
      this.end(e, e.closeReason ?? 'eof');
    }
  }

  private create(p: DecodedPacket, key: PacketKey, now: number): Entry {
    if (this.activeFlows >= this.options.maxActiveFlows) {
      const victim = this.closed.head ?? this.open.head;
      if (victim !== null) {
        this.stats.evictedFlows++;
        this.end(victim, victim.closeReason ?? 'idle');
      }
    }
    const flow: Flow = {
      id: `${this.source}#${this.nextId++}`,
      source: this.source,
      protocol: p.protocol,
      clientIp: p.srcIp,
      clientPort: p.srcPort,
      serverIp: p.dstIp,
      serverPort: p.dstPort,
      startTime: Number.isFinite(p.timestamp) ? p.timestamp : now,
      endTime: Number.isFinite(p.timestamp) ? p.timestamp : now,
      packetsClientToServer: 0,
      packetsServerToClient: 0,
      bytesClientToServer: 0,
      bytesServerToClient: 0,
      packets: [],
      endReason: 'eof',
    };
    const e = new Entry(flow);
    e.version = key.version;
    e.protocol = key.protocol;
    e.c0 = key.s0;
    e.c1 = key.s1;
    e.c2 = key.s2;
    e.c3 = key.s3;
    e.s0 = key.d0;
    e.s1 = key.d1;
    e.s2 = key.d2;
    e.s3 = key.d3;
    e.clientPort = key.srcPort;
    e.serverPort = key.dstPort;
    e.hash = key.hash;
    e.chain = this.table.get(key.hash) ?? null;
    this.table.set(key.hash, e);
    e.lastSeen = now;
    this.open.push(e);
    this.stats.flows++;
    return e;
  }

  private update(e: Entry, p: DecodedPacket, forward: boolean, now: number): void {
    const flow = e.flow;
    if (forward) {
      flow.packetsClientToServer++;
      flow.bytesClientToServer += p.ipLength;
    } else {
      flow.packetsServerToClient++;
      flow.bytesServerToClient += p.ipLength;
    }
    if (p.timestamp > flow.endTime) flow.endTime = p.timestamp;
    if (flow.packets.length < this.options.maxPacketsPerFlow) flow.packets.push(this.keep(p, forward));
    e.lastSeen = now;

    if (p.protocol === TCP && this.options.tcpClose === 'fin-or-rst' && e.closeReason === null) {
      const flags = p.tcpFlags;
      if (flags & FIN) {
        if (forward) e.finFromClient = true;
        else e.finFromServer = true;
      }
      if (flags & RST) this.close(e, 'rst');
      else if (e.finFromClient && e.finFromServer) this.close(e, 'fin');
    }
    (e.closeReason === null ? this.open : this.closed).touch(e);
  }

  private close(e: Entry, reason: 'fin' | 'rst'): void {
    e.closeReason = reason;
    this.open.remove(e);
    this.closed.push(e);
  }

  /** Copies what a flow keeps of a packet: header whole, payload capped. */
  private keep(p: DecodedPacket, forward: boolean): FlowPacket {
    const payload = p.payloadBytes;
    const cap = this.options.maxPayloadBytes;
    return {
      timestamp: p.timestamp,
      direction: forward ? 1 : -1,
      ipLength: p.ipLength,
      payloadLength: p.payloadLength,
      tcpFlags: p.tcpFlags,
      headerBytes: p.headerBytes.slice(),
      payloadBytes: payload.length > cap ? payload.slice(0, cap) : payload.slice(),
    };
  }

  private end(e: Entry, reason: Flow['endReason']): void {
    if (e.ended) return;
    e.ended = true;
    (e.closeReason === null ? this.open : this.closed).remove(e);
    // Unlink from the hash bucket.
    const head = this.table.get(e.hash);
    if (head === e) {
      if (e.chain === null) this.table.delete(e.hash);
      else this.table.set(e.hash, e.chain);
    } else {
      let q = head ?? null;
      while (q !== null && q.chain !== e) q = q.chain;
      if (q !== null) q.chain = e.chain;
    }
    e.chain = null;
    e.flow.endReason = reason;
    if (this.options.onFlow !== null) this.options.onFlow(e.flow);
    else this.finished.push(e.flow);
  }

  private fragmentKey(p: DecodedPacket, id: number): string {
    return `${p.protocol}|${p.srcIp}|${p.dstIp}|${id}`;
  }

  private rememberFirstFragment(p: DecodedPacket, id: number, entry: Entry, forward: boolean, now: number): void {
    const map = this.fragmentFlows;
    if (map.size >= 1 << 16) {
      const timeout = this.options.fragmentTimeout;
      for (const [k, t] of map) if (now - t.seen > timeout || t.entry.ended) map.delete(k);
      if (map.size >= 1 << 16) map.clear(); // a fragment flood: forget rather than grow
    }
    map.set(this.fragmentKey(p, id), { entry, fromClient: forward, seen: now });
  }

  private addLaterFragment(p: DecodedPacket, id: number, now: number): void {
    if (this.options.fragments === 'drop') {
      this.stats.unattachedFragments++;
      return;
    }
    const k = this.fragmentKey(p, id);
    const t = this.fragmentFlows.get(k);
    if (t === undefined || t.entry.ended || now - t.seen > this.options.fragmentTimeout) {
      if (t !== undefined) this.fragmentFlows.delete(k);
      this.stats.unattachedFragments++;
      return;
    }
    this.stats.attachedFragments++;
    t.seen = now;
    if (!p.fragment?.moreFragments) this.fragmentFlows.delete(k);
    this.update(t.entry, p, t.fromClient, now);
  }
}

function sameForward(e: Entry, k: PacketKey): boolean {
  return (
    e.c3 === k.s3 && e.s3 === k.d3 && e.clientPort === k.srcPort && e.serverPort === k.dstPort &&
    e.c2 === k.s2 && e.c1 === k.s1 && e.c0 === k.s0 && e.s2 === k.d2 && e.s1 === k.d1 && e.s0 === k.d0
  );
}

function sameReverse(e: Entry, k: PacketKey): boolean {
  return (
    e.c3 === k.d3 && e.s3 === k.s3 && e.clientPort === k.dstPort && e.serverPort === k.srcPort &&
    e.c2 === k.d2 && e.c1 === k.d1 && e.c0 === k.d0 && e.s2 === k.s2 && e.s1 === k.s1 && e.s0 === k.s0
  );
}

function flowNumber(f: Flow): number {
  return Number(f.id.slice(f.id.lastIndexOf('#') + 1));
}
