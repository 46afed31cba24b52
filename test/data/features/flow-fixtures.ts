// Hand-built flows for the feature tests: each packet given as direction, IP length, time and optional bytes.
import type { Flow, FlowPacket } from '../../../src/data/types.ts';

export interface PacketSpec {
  direction: 1 | -1;
  ipLength: number;
  /** Seconds. */
  time: number;
  payloadLength?: number;
  headerBytes?: number[];
  payloadBytes?: number[];
}

export function makeFlow(id: string, specs: readonly PacketSpec[]): Flow {
  const packets: FlowPacket[] = specs.map((s) => ({
    timestamp: s.time,
    direction: s.direction,
    ipLength: s.ipLength,
    payloadLength: s.payloadLength ?? Math.max(0, s.ipLength - 40),
    tcpFlags: 0x10,
    headerBytes: Uint8Array.from(s.headerBytes ?? []),
    payloadBytes: Uint8Array.from(s.payloadBytes ?? []),
  }));
  const sum = (dir: 1 | -1, f: (p: FlowPacket) => number): number => packets.filter((p) => p.direction === dir).reduce((a, p) => a + f(p), 0);
  return {
    id,
    source: 'fixture',
    protocol: 6,
    clientIp: '10.0.0.1',
    clientPort: 40000,
    serverIp: '192.0.2.1',
    serverPort: 443,
    startTime: packets[0]?.timestamp ?? 0,
    endTime: packets.at(-1)?.timestamp ?? 0,
    packetsClientToServer: sum(1, () => 1),
    packetsServerToClient: sum(-1, () => 1),
    bytesClientToServer: sum(1, (p) => p.ipLength),
    bytesServerToClient: sum(-1, (p) => p.ipLength),
    packets,
    endReason: 'fin',
  };
}
