// Writes the synthetic dataset: one folder per class, several flows per capture, every file seeded on its own.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SimulationRng } from './random.ts';
import { FlowPath, type Endpoint, type SimPacket } from './flow-path.ts';
import { ethernetFrame } from './frames.ts';
import { PcapWriter } from './pcap-writer.ts';
import { TRAFFIC_CLASSES, publicAddress, type TrafficClass } from './traffic-classes.ts';
import { LinkType } from '../types.ts';

export interface SyntheticDatasetOptions {
  /** Seed of the whole dataset; each capture file derives its own stream from it. Default 'netmoe'. */
  seed?: string;
  /**
   * Flows of each class. Default 400: about 210 MB of captures (full packets) that generate in a few seconds and let a
   * small DCL-MoE train in a couple of minutes on a CPU.
   */
  flowsPerClass?: number;
  /** Flows per capture file. Default 50. */
  flowsPerFile?: number;
  /** Only these classes (by name); default all of `TRAFFIC_CLASSES`. */
  classes?: readonly string[];
  /** Epoch seconds at which the first capture starts. Default 2024-03-04T09:00:00Z. */
  startTime?: number;
  /** Capture snap length: frames are cut to it (lengths in the headers stay true). Default 262144: whole frames. */
  snapLength?: number;
}

export interface SyntheticClassSummary {
  name: string;
  flows: number;
  packets: number;
  /** Bytes written to the class's capture files. */
  bytes: number;
  files: string[];
}

export interface SyntheticDatasetSummary {
  dir: string;
  seed: string;
  classes: SyntheticClassSummary[];
}

const MIN_ETHERNET_FRAME = 60;
const DEFAULT_START = Date.UTC(2024, 2, 4, 9, 0, 0) / 1000;
// Real vendor prefixes (Intel, Apple, Raspberry Pi, Dell, Cisco, TP-Link) so the MACs look like a real LAN's.
const OUIS = [[0x00, 0x1b, 0x21], [0xf0, 0x18, 0x98], [0xb8, 0x27, 0xeb], [0x18, 0x66, 0xda], [0x00, 0x1e, 0x13], [0x50, 0xc7, 0xbf]];

/**
 * Generates `<dir>/<class>/<n>.pcap` for every class: Ethernet/IPv4 captures whose flows are simulated per class.
 * The same options give byte-identical files.
 *
 * @example
 *   const summary = generateSyntheticDataset('/tmp/synthetic', { flowsPerClass: 20 });
 *   console.log(summary.classes.map((c) => `${c.name}: ${c.flows}`));
 */
export function generateSyntheticDataset(dir: string, options: SyntheticDatasetOptions = {}): SyntheticDatasetSummary {
  const seed = options.seed ?? 'netmoe';
  const flowsPerClass = options.flowsPerClass ?? 400;
  const flowsPerFile = options.flowsPerFile ?? 50;
  if (!Number.isInteger(flowsPerClass) || flowsPerClass < 1) throw new Error(`generateSyntheticDataset: flowsPerClass must be a positive integer (got ${flowsPerClass})`);
  if (!Number.isInteger(flowsPerFile) || flowsPerFile < 1) throw new Error(`generateSyntheticDataset: flowsPerFile must be a positive integer (got ${flowsPerFile})`);
  const classes = selectClasses(options.classes);
  const summary: SyntheticDatasetSummary = { dir, seed, classes: [] };
  for (const cls of classes) {
    const classDir = join(dir, cls.name);
    mkdirSync(classDir, { recursive: true });
    const entry: SyntheticClassSummary = { name: cls.name, flows: 0, packets: 0, bytes: 0, files: [] };
    for (let file = 0; entry.flows < flowsPerClass; file++) {
      const flows = Math.min(flowsPerFile, flowsPerClass - entry.flows);
      const path = join(classDir, `${file}.pcap`);
      // Per-file seeds: a file does not change when another class or file is added.
      const rng = new SimulationRng(`${seed}/${cls.name}/${file}`);
      const fileStart = (options.startTime ?? DEFAULT_START) + file * 3600;
      const written = writeCapture(path, cls, rng, flows, fileStart, options.snapLength);
      entry.flows += flows;
      entry.packets += written.packets;
      entry.bytes += written.bytes;
      entry.files.push(path);
    }
    summary.classes.push(entry);
  }
  return summary;
}

function selectClasses(names: readonly string[] | undefined): readonly TrafficClass[] {
  if (!names) return TRAFFIC_CLASSES;
  return names.map((name) => {
    const cls = TRAFFIC_CLASSES.find((c) => c.name === name);
    if (!cls) throw new Error(`generateSyntheticDataset: unknown class "${name}" (known: ${TRAFFIC_CLASSES.map((c) => c.name).join(', ')})`);
    return cls;
  });
}

interface LanHost {
  address: number;
  mac: Uint8Array;
  /** Initial TTL of its operating system: 64 (Linux, macOS) or 128 (Windows). */
  ttl: number;
}

/** Simulates `flows` flows of one class on a small LAN and writes them, time-ordered, into one capture. */
function writeCapture(
  path: string,
  cls: TrafficClass,
  rng: SimulationRng,
  flows: number,
  fileStart: number,
  snapLength?: number,
): { packets: number; bytes: number } {
  const gatewayMac = macAddress(rng);
  const lanPrefix = rng.pick([0xc0a80100, 0xc0a80000, 0xc0a8b200, 0x0a000000, 0x0a0a0a00]); // 192.168.1/0/178, 10.0.0, 10.10.10
  const hosts: LanHost[] = Array.from({ length: rng.int(1, 4) }, () => ({
    address: (lanPrefix | rng.int(2, 250)) >>> 0,
    mac: macAddress(rng),
    ttl: rng.pick([64, 64, 128]),
  }));
  const used = new Set<string>();
  const frames: { time: number; order: number; frame: Uint8Array }[] = [];
  let start = fileStart + rng.uniform(0, 2);
  for (let f = 0; f < flows; f++) {
    const host = rng.pick(hosts);
    const flowPath = makePath(rng, cls, host, used);
    for (const p of cls.simulate(rng, flowPath, start)) {
      frames.push({ time: p.time, order: frames.length, frame: toEthernet(p, host.mac, gatewayMac) });
    }
    start += rng.exponential(1.5); // flows of one capture overlap in time, as on a real LAN
  }
  // Time order, ties kept in generation order (the stable sort plus `order` makes this explicit).
  frames.sort((a, b) => a.time - b.time || a.order - b.order);
  const writer = new PcapWriter(path, { linkType: LinkType.ETHERNET, ...(snapLength ? { snapLength } : {}) });
  let bytes = 24;
  try {
    for (const f of frames) {
      writer.write(f.time, f.frame);
      bytes += 16 + Math.min(f.frame.length, snapLength ?? Infinity);
    }
    writer.close();
  } catch (error) {
    writer.abort();
    throw error;
  }
  return { packets: frames.length, bytes };
}

/** Endpoints, RTT and bandwidth of one flow; the 5-tuple is unique within the capture. */
function makePath(rng: SimulationRng, cls: TrafficClass, host: LanHost, used: Set<string>): FlowPath {
  for (;;) {
    // DNS goes to a public resolver (8.8.8.8, 1.1.1.1, 9.9.9.9) or to the LAN's router at .1.
    const resolvers = [0x08080808, 0x01010101, 0x09090909, (host.address & 0xffffff00) | 1];
    const serverAddress = cls.name === 'dns' ? rng.pick(resolvers) >>> 0 : publicAddress(rng);
    const serverPort = cls.serverPort(rng);
    // Linux's ephemeral range is 32768-60999; Windows hosts (TTL 128) use 49152-65535.
    const clientPort = cls.clientPort?.(rng) ?? (host.ttl === 128 ? rng.int(49152, 65535) : rng.int(32768, 60999));
    const key = `${cls.protocol}/${host.address}:${clientPort}/${serverAddress}:${serverPort}`;
    if (used.has(key)) continue;
    used.add(key);
    const tcp = cls.protocol === 'tcp';
    const client: Endpoint = {
      address: host.address,
      port: clientPort,
      ttl: host.ttl,
      ipId: rng.int(0, 0xffff),
      tos: cls.clientTos(rng),
      dontFragment: tcp || rng.chance(0.5), // TCP does path-MTU discovery; UDP stacks differ
    };
    // The server's TTL arrives reduced by the hops in between.
    const server: Endpoint = {
      address: serverAddress,
      port: serverPort,
      ttl: rng.pick([64, 128, 255]) - rng.int(4, 24),
      ipId: rng.int(0, 0xffff),
      tos: 0,
      dontFragment: tcp || rng.chance(0.5),
    };
    const local = (serverAddress & 0xffffff00) === (host.address & 0xffffff00);
    const rtt = local ? rng.uniform(0.3e-3, 2e-3) : rng.logUniform(8e-3, 150e-3);
    return new FlowPath(client, server, rtt, rng.logUniform(8e6, 300e6));
  }
}

/**
 * NOTE frames that arrive from the wire are at least 60 bytes (Ethernet's 64-byte minimum less the FCS): the sender's
 * NIC pads a 54-byte TCP ACK with zeros, and the capture shows those trailer bytes. Frames the capturing host sends are
 * captured before its NIC pads them. Readers must take lengths from the IP header, not the frame.
 */
function toEthernet(p: SimPacket, hostMac: Uint8Array, gatewayMac: Uint8Array): Uint8Array {
  if (p.fromClient) return ethernetFrame(gatewayMac, hostMac, p.ip);
  const frame = ethernetFrame(hostMac, gatewayMac, p.ip);
  if (frame.length >= MIN_ETHERNET_FRAME) return frame;
  const padded = new Uint8Array(MIN_ETHERNET_FRAME);
  padded.set(frame);
  return padded;
}

function macAddress(rng: SimulationRng): Uint8Array {
  return Uint8Array.from([...rng.pick(OUIS), rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)]);
}
