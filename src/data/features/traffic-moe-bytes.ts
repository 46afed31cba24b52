// TrafficMoE's byte input: the first M packets' header and payload bytes, cropped/padded, cut into L_s-byte tokens.
import seedrandom from 'seedrandom';
import type { Flow } from '../types.ts';
import { anonymiseHeader } from '../flows/anonymise.ts';

/** N_h and N_p presets (models-spec §1.2 and §4 item 1). */
export const TRAFFIC_MOE_PRESETS = {
  /** NetMamba lineage: 80 header + 240 payload bytes per packet, 400 tokens of 4 bytes for 5 packets. */
  paper: { headerBytes: 80, payloadBytes: 240 },
  /** The paper's "64 bytes per packet" read as 40 + 24: 80 tokens for 5 packets, for CPU-speed runs. */
  small: { headerBytes: 40, payloadBytes: 24 },
} as const;

export type TrafficMoePreset = keyof typeof TRAFFIC_MOE_PRESETS;

export interface TrafficMoeByteOptions {
  /** Starting point for headerBytes/payloadBytes (default 'paper'). */
  preset?: TrafficMoePreset;
  /** M: packets per flow (default 5). */
  packets?: number;
  /** N_h: header bytes per packet (IP header + transport header, cropped or zero-padded). */
  headerBytes?: number;
  /** N_p: payload bytes per packet. */
  payloadBytes?: number;
  /** L_s: bytes per token (default 4). N_h and N_p must be multiples of it. */
  strideLength?: number;
  /**
   * How IP addresses and ports in the header bytes are masked (default 'zero'): 'random' draws them from a stream
   * seeded per flow with `seed`; 'off' keeps them (a model will then learn addresses and ports, not behaviour).
   */
  anonymise?: 'zero' | 'random' | 'off';
  /** Seed for anonymise 'random' (default 'netmoe'). */
  seed?: string;
}

/** The resolved token layout, the same for every flow. */
export interface TrafficMoeLayout {
  packets: number;
  headerBytes: number;
  payloadBytes: number;
  strideLength: number;
  /** T = M * (N_h + N_p) / L_s. */
  tokensPerFlow: number;
  headerTokensPerPacket: number;
  payloadTokensPerPacket: number;
}

/** Token tensors for TrafficMoE, as typed arrays (row-major). */
export interface TrafficMoeInputs extends TrafficMoeLayout {
  numFlows: number;
  /** [numFlows, T, L_s]: bytes scaled to [-1, 1] by x / 127.5 - 1 (so a padding byte 0 becomes -1). */
  tokens: Float32Array;
  /** [numFlows, T]: 0 = header token, 1 = payload token. */
  segment: Int32Array;
  /** [numFlows, T]: which of the M packets the token comes from (0-based). */
  packetIndex: Int32Array;
  /** [numFlows]: packets the flow really had (<= M); tokens of the packets after it are all padding. */
  packetCount: Int32Array;
}

/** Checks the options and works out the layout; the error names the offending sizes. */
export function trafficMoeLayout(options: TrafficMoeByteOptions = {}): TrafficMoeLayout {
  const preset = TRAFFIC_MOE_PRESETS[options.preset ?? 'paper'];
  if (!preset) throw new Error(`trafficMoeLayout: unknown preset "${options.preset}" (known: ${Object.keys(TRAFFIC_MOE_PRESETS).join(', ')})`);
  const packets = options.packets ?? 5;
  const headerBytes = options.headerBytes ?? preset.headerBytes;
  const payloadBytes = options.payloadBytes ?? preset.payloadBytes;
  const strideLength = options.strideLength ?? 4;
  for (const [name, value] of [['packets', packets], ['headerBytes', headerBytes], ['payloadBytes', payloadBytes], ['strideLength', strideLength]] as const) {
    if (!Number.isInteger(value) || value < (name === 'payloadBytes' || name === 'headerBytes' ? 0 : 1)) {
      throw new Error(`trafficMoeLayout: ${name} must be a ${name === 'payloadBytes' || name === 'headerBytes' ? 'non-negative' : 'positive'} integer (got ${value})`);
    }
  }
  // A token must be all header or all payload, or the two branches cannot be told apart (models-spec §1.2 notes).
  if (headerBytes % strideLength !== 0 || payloadBytes % strideLength !== 0) {
    throw new Error(
      `trafficMoeLayout: headerBytes (N_h=${headerBytes}) and payloadBytes (N_p=${payloadBytes}) must be multiples of strideLength (L_s=${strideLength})`,
    );
  }
  const headerTokensPerPacket = headerBytes / strideLength;
  const payloadTokensPerPacket = payloadBytes / strideLength;
  return {
    packets,
    headerBytes,
    payloadBytes,
    strideLength,
    tokensPerFlow: packets * (headerTokensPerPacket + payloadTokensPerPacket),
    headerTokensPerPacket,
    payloadTokensPerPacket,
  };
}

/**
 * Builds TrafficMoE's input for every flow. Per flow the byte sequence is
 * `[H_0, P_0, H_1, P_1, ..., H_{M-1}, P_{M-1}]` (each H_i exactly N_h bytes, P_i exactly N_p, cropped or zero-padded;
 * missing packets all zero), cut into T consecutive L_s-byte tokens; token t belongs to packet
 * floor(t / (tokens per packet)) and is a header token when it falls in that packet's first N_h / L_s tokens.
 *
 * @example
 *   const x = extractTrafficMoeInputs(flows, { preset: 'small' }); // x.tokens: [N, 80, 4]
 */
export function extractTrafficMoeInputs(flows: readonly Flow[], options: TrafficMoeByteOptions = {}): TrafficMoeInputs {
  const layout = trafficMoeLayout(options);
  const { packets: M, headerBytes: nh, payloadBytes: np, tokensPerFlow: T, strideLength: ls } = layout;
  const mode = options.anonymise ?? 'zero';
  const seed = options.seed ?? 'netmoe';
  const bytesPerFlow = T * ls;
  const tokens = new Float32Array(flows.length * bytesPerFlow).fill(-1); // -1 is the scaled padding byte 0
  const segment = new Int32Array(flows.length * T);
  const packetIndex = new Int32Array(flows.length * T);
  const packetCount = new Int32Array(flows.length);
  const tokensPerPacket = T / M;
  // The segment and packet-index rows are the same for every flow: build once, copy per flow.
  const segmentRow = new Int32Array(T);
  const packetRow = new Int32Array(T);
  for (let t = 0; t < T; t++) {
    packetRow[t] = Math.floor(t / tokensPerPacket);
    segmentRow[t] = t % tokensPerPacket < layout.headerTokensPerPacket ? 0 : 1;
  }
  flows.forEach((flow, f) => {
    segment.set(segmentRow, f * T);
    packetIndex.set(packetRow, f * T);
    const n = Math.min(M, flow.packets.length);
    packetCount[f] = n;
    const rng = mode === 'random' ? seedrandom(`${seed}/${flow.id}`) : undefined;
    for (let i = 0; i < n; i++) {
      const p = flow.packets[i]!;
      const header = mode === 'off' ? p.headerBytes : anonymiseHeader(p.headerBytes, undefined, mode, rng);
      const base = f * bytesPerFlow + i * (nh + np);
      writeScaled(tokens, base, header, nh);
      writeScaled(tokens, base + nh, p.payloadBytes, np);
    }
  });
  return { ...layout, numFlows: flows.length, tokens, segment, packetIndex, packetCount };
}

/** Writes min(bytes.length, width) bytes scaled to [-1, 1]; the rest of the width keeps the padding value -1. */
function writeScaled(out: Float32Array, offset: number, bytes: Uint8Array, width: number): void {
  const n = Math.min(bytes.length, width);
  for (let k = 0; k < n; k++) out[offset + k] = bytes[k]! / 127.5 - 1;
}
