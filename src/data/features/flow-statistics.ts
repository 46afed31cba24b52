// An alternative DCL-MoE input: 40 summary statistics of a flow's sizes and timing, per direction and overall.
import type { Flow, FlowPacket } from '../types.ts';
import type { FeatureSet } from './feature-set.ts';

const DIRECTION_STATS = [
  'packets_log', // log1p(packets in this direction), from the flow's totals (every packet, not only the kept ones)
  'bytes_log', // log1p(IP bytes in this direction), from the totals
  'size_mean', // IP length statistics over the kept packets of this direction (bytes)
  'size_std',
  'size_min',
  'size_max',
  'size_first', // IP length of this direction's first packet
  'iat_mean', // statistics of log1p(ms between consecutive packets of this direction)
  'iat_std',
  'iat_min',
  'iat_max',
  'payload_mean', // transport payload length (bytes)
  'empty_share', // share of packets without payload (pure ACKs)
  'large_share', // share of packets with IP length >= 1200 (full segments)
  'small_share', // share of packets with IP length <= 100 (keystrokes, ACKs, control)
  'burst_mean', // mean length of runs of consecutive packets in this direction
] as const;

const NAMES = [
  'duration_log_ms', // log1p(flow duration in ms)
  'packets_log', // log1p(all packets), from the totals
  'bytes_log',
  'c2s_packet_share', // share of packets sent by the client, from the totals
  'c2s_byte_share',
  'direction_changes', // direction changes / (kept packets - 1)
  'iat_mean', // log1p(ms) statistics over all kept packets, either direction
  'iat_std',
  ...DIRECTION_STATS.map((s) => `c2s_${s}`),
  ...DIRECTION_STATS.map((s) => `s2c_${s}`),
];

const LARGE_PACKET = 1200;
const SMALL_PACKET = 100;

/** Mean and population standard deviation; zeros for an empty list. */
function meanStd(values: readonly number[]): [number, number] {
  if (values.length === 0) return [0, 0];
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) * (v - mean);
  return [mean, Math.sqrt(squares / values.length)];
}

function logIats(packets: readonly FlowPacket[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < packets.length; i++) out.push(Math.log1p(Math.max(0, packets[i]!.timestamp - packets[i - 1]!.timestamp) * 1000));
  return out;
}

function writeDirection(flow: Flow, direction: 1 | -1, out: Float32Array | Float64Array, o: number): void {
  const packets = flow.packets.filter((p) => p.direction === direction);
  const sizes = packets.map((p) => p.ipLength);
  const [sizeMean, sizeStd] = meanStd(sizes);
  const iats = logIats(packets);
  const [iatMean, iatStd] = meanStd(iats);
  const share = (test: (p: FlowPacket) => boolean): number => (packets.length === 0 ? 0 : packets.filter(test).length / packets.length);
  let runs = 0;
  for (let i = 0; i < flow.packets.length; i++) {
    if (flow.packets[i]!.direction === direction && (i === 0 || flow.packets[i - 1]!.direction !== direction)) runs++;
  }
  const totals = direction === 1 ? [flow.packetsClientToServer, flow.bytesClientToServer] : [flow.packetsServerToClient, flow.bytesServerToClient];
  const values = [
    Math.log1p(totals[0]!),
    Math.log1p(totals[1]!),
    sizeMean,
    sizeStd,
    sizes.length ? Math.min(...sizes) : 0,
    sizes.length ? Math.max(...sizes) : 0,
    sizes[0] ?? 0,
    iatMean,
    iatStd,
    iats.length ? Math.min(...iats) : 0,
    iats.length ? Math.max(...iats) : 0,
    meanStd(packets.map((p) => p.payloadLength))[0],
    share((p) => p.payloadLength === 0),
    share((p) => p.ipLength >= LARGE_PACKET),
    share((p) => p.ipLength <= SMALL_PACKET),
    runs === 0 ? 0 : packets.length / runs,
  ];
  for (let k = 0; k < values.length; k++) out[o + k] = values[k]!;
}

/**
 * 40 statistics: 8 whole-flow values, then the same 16 for client-to-server and for server-to-client packets (names
 * in `featureNames`). Counts and byte totals come from the flow's totals; everything else from the packets the flow
 * assembler kept (its `maxPacketsPerFlow`, 32 by default), so the vector describes the start of long flows. Times are
 * log1p(milliseconds) before any statistic is taken, so one multi-second pause does not swamp the mean.
 */
export const flowStatistics: FeatureSet = {
  name: 'flow-statistics',
  description: '40 size/timing statistics: 8 per flow, 16 per direction (totals from all packets, the rest from kept packets)',
  size: NAMES.length,
  featureNames: NAMES,
  extract(flow: Flow, out: Float32Array | Float64Array, offset: number): void {
    const packets = flow.packets;
    const totalPackets = flow.packetsClientToServer + flow.packetsServerToClient;
    const totalBytes = flow.bytesClientToServer + flow.bytesServerToClient;
    let changes = 0;
    for (let i = 1; i < packets.length; i++) if (packets[i]!.direction !== packets[i - 1]!.direction) changes++;
    const [iatMean, iatStd] = meanStd(logIats(packets));
    const head = [
      Math.log1p(Math.max(0, flow.endTime - flow.startTime) * 1000),
      Math.log1p(totalPackets),
      Math.log1p(totalBytes),
      totalPackets === 0 ? 0 : flow.packetsClientToServer / totalPackets,
      totalBytes === 0 ? 0 : flow.bytesClientToServer / totalBytes,
      packets.length < 2 ? 0 : changes / (packets.length - 1),
      iatMean,
      iatStd,
    ];
    for (let k = 0; k < head.length; k++) out[offset + k] = head[k]!;
    writeDirection(flow, 1, out, offset + head.length);
    writeDirection(flow, -1, out, offset + head.length + DIRECTION_STATS.length);
  },
};
