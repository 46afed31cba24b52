// Flow assembly settings, their defaults, and the reasons behind the defaults.
import type { Flow } from '../types.ts';

export interface FlowOptions {
  /**
   * Seconds without a packet after which a flow ends ('idle'). Default 120: the value of CICFlowMeter, which produced
   * the CIC datasets this project evaluates on, and of Cisco NetFlow's inactive timer scale; long enough that a
   * keep-alive-driven TLS session is one flow, short enough that memory is returned on long captures.
   */
  idleTimeout?: number;
  /**
   * How TCP teardown ends a flow. 'fin-or-rst' (default): a flow is closed once both sides have sent FIN, or either
   * side RST; 'never': only idle timeout and end of capture end TCP flows (nDPI's behaviour).
   */
  tcpClose?: 'fin-or-rst' | 'never';
  /**
   * Seconds a closed TCP flow keeps accepting trailing packets (the last ACK, retransmitted FIN or RST) before it is
   * emitted (default 5). A SYN on a closed flow always starts a new flow at once, whatever the linger.
   */
  closeLinger?: number;
  /** Packets kept (copied) per flow, from its start (default 32). Totals still count every packet. */
  maxPacketsPerFlow?: number;
  /** Payload bytes kept per kept packet (default 1500); header bytes are always kept whole. */
  maxPayloadBytes?: number;
  /**
   * Later IP fragments: 'attach' (default) adds them to the flow of their first fragment, matched by source,
   * destination, protocol and IP id; 'drop' ignores them (nDPI's ndpiReader does). Unmatched ones are counted only.
   */
  fragments?: 'attach' | 'drop';
  /** Seconds a first fragment's id stays matchable (default 30, Linux's ipfrag_time). */
  fragmentTimeout?: number;
  /**
   * At most this many flows are open at once (default 1,000,000); beyond it the least recently seen is ended early
   * (counted as evicted, endReason 'idle'). Bounds memory on scans and floods.
   */
  maxActiveFlows?: number;
  /**
   * Receives each flow as it ends. With it, finished flows are not kept: add() hands them over as they end and
   * finish() hands over the rest and returns []. Without it, finish() returns every flow.
   */
  onFlow?: (flow: Flow) => void;
  /** Name used in flow ids and Flow.source (default: the capture's path or name). */
  source?: string;
}

export interface ResolvedFlowOptions {
  idleTimeout: number;
  tcpClose: 'fin-or-rst' | 'never';
  closeLinger: number;
  maxPacketsPerFlow: number;
  maxPayloadBytes: number;
  fragments: 'attach' | 'drop';
  fragmentTimeout: number;
  maxActiveFlows: number;
  onFlow: ((flow: Flow) => void) | null;
}

export function resolveFlowOptions(options: FlowOptions = {}): ResolvedFlowOptions {
  return {
    idleTimeout: options.idleTimeout ?? 120,
    tcpClose: options.tcpClose ?? 'fin-or-rst',
    closeLinger: options.closeLinger ?? 5,
    maxPacketsPerFlow: options.maxPacketsPerFlow ?? 32,
    maxPayloadBytes: options.maxPayloadBytes ?? 1500,
    fragments: options.fragments ?? 'attach',
    fragmentTimeout: options.fragmentTimeout ?? 30,
    maxActiveFlows: Math.max(1, options.maxActiveFlows ?? 1_000_000),
    onFlow: options.onFlow ?? null,
  };
}
