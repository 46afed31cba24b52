// Loads CertTA's JSON flow sequences (signed packet lengths and timestamps, no bytes) as labelled Flow objects.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Flow, FlowPacket } from '../types.ts';
import type { FlowDataset } from './types.ts';

/** One flow as CertTA stores it. */
interface CertTaFlow {
  direction_length: number[];
  timestamp: number[];
  packet_num: number;
  label: number;
  source_file: string;
}

const EMPTY = new Uint8Array(0);

/**
 * Reads `<dir>/valid.json` (or the given .json file) with the `labels.json` next to it (`{ "Name": id, ... }`).
 * Each flow becomes a Flow whose packets have direction (sign of direction_length: + client to server), ipLength
 * (its absolute value), timestamp (seconds from the flow's start, so startTime is 0) and nothing else: payloadLength
 * is 0 and the byte arrays are empty because the format has no bytes. Addresses and ports are unknown ('' and 0);
 * the protocol comes from the source file name ("TCP_..." / "UDP_..."), else 0. Class names are ordered by id.
 *
 * @example
 *   const doh = loadCertTa('../shared/data/certta/CICDOH20'); // 600 flows, 4 classes
 */
export function loadCertTa(path: string): FlowDataset {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'valid.json') : path;
  const labelsFile = join(dirname(file), 'labels.json');
  const classNames = readClassNames(labelsFile);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(raw)) throw new Error(`${file}: expected a JSON array of flows`);
  const name = basename(dirname(file));
  const flows: Flow[] = [];
  const labels = new Int32Array(raw.length);
  raw.forEach((entry: unknown, i) => {
    const f = validate(entry, i, file, classNames.length);
    flows.push(toFlow(f, `${name}/${basename(file)}#${i}`));
    labels[i] = f.label;
  });
  return { kind: 'flows', format: 'certta', path: file, classNames, flows, labels, warnings: [], captures: [] };
}

function readClassNames(labelsFile: string): string[] {
  let map: unknown;
  try {
    map = JSON.parse(readFileSync(labelsFile, 'utf8'));
  } catch (error) {
    throw new Error(`${labelsFile}: cannot read the CertTA label map (${(error as Error).message})`);
  }
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new Error(`${labelsFile}: expected an object { "ClassName": id }`);
  const entries = Object.entries(map as Record<string, unknown>);
  const names: string[] = [];
  for (const [className, id] of entries) {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= entries.length || names[id as number] !== undefined) {
      throw new Error(`${labelsFile}: class "${className}" has id ${JSON.stringify(id)}; ids must be 0..${entries.length - 1}, each once`);
    }
    names[id as number] = className;
  }
  return names;
}

function validate(entry: unknown, i: number, file: string, numClasses: number): CertTaFlow {
  const f = entry as Partial<CertTaFlow> | null;
  const where = `${file}: flow ${i}`;
  if (!f || !Array.isArray(f.direction_length) || !Array.isArray(f.timestamp)) throw new Error(`${where}: missing direction_length or timestamp arrays`);
  if (f.direction_length.length !== f.timestamp.length) {
    throw new Error(`${where}: ${f.direction_length.length} lengths but ${f.timestamp.length} timestamps`);
  }
  if (f.packet_num !== undefined && f.packet_num !== f.direction_length.length) {
    throw new Error(`${where}: packet_num ${f.packet_num} but ${f.direction_length.length} packets`);
  }
  if (!Number.isInteger(f.label) || f.label! < 0 || f.label! >= numClasses) throw new Error(`${where}: label ${JSON.stringify(f.label)} is not a class id 0..${numClasses - 1}`);
  if (f.direction_length.some((v) => typeof v !== 'number' || v === 0 || !Number.isFinite(v))) throw new Error(`${where}: direction_length must hold non-zero numbers`);
  if (f.timestamp.some((v) => typeof v !== 'number' || !Number.isFinite(v))) throw new Error(`${where}: timestamp must hold numbers`);
  return f as CertTaFlow;
}

function toFlow(f: CertTaFlow, id: string): Flow {
  const packets: FlowPacket[] = f.direction_length.map((signed, k) => ({
    timestamp: f.timestamp[k]!,
    direction: signed > 0 ? 1 : -1,
    ipLength: Math.abs(signed),
    payloadLength: 0,
    tcpFlags: 0,
    headerBytes: EMPTY,
    payloadBytes: EMPTY,
  }));
  const total = (dir: 1 | -1, bytes: boolean): number => packets.reduce((a, p) => a + (p.direction === dir ? (bytes ? p.ipLength : 1) : 0), 0);
  const source = f.source_file ?? '';
  const protocol = /(^|\/)TCP_/.test(source) ? 6 : /(^|\/)UDP_/.test(source) ? 17 : 0;
  return {
    id,
    source,
    protocol,
    clientIp: '',
    clientPort: 0,
    serverIp: '',
    serverPort: 0,
    startTime: packets[0]?.timestamp ?? 0,
    endTime: packets.at(-1)?.timestamp ?? 0,
    packetsClientToServer: total(1, false),
    packetsServerToClient: total(-1, false),
    bytesClientToServer: total(1, true),
    bytesServerToClient: total(-1, true),
    packets,
    endReason: 'eof',
  };
}
