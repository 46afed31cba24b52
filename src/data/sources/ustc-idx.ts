// Loads USTC-TFC2016 in MNIST-idx form: each 784-byte row is a truncated pcap of one session, decoded to its flow.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFlowsFromBytes } from '../flows/index.ts';
import type { CaptureStats } from '../capture/index.ts';
import { newCaptureStats } from '../capture/capture-types.ts';
import type { CaptureWarning, Flow } from '../types.ts';
import type { FlowReadOptions } from './capture-folder.ts';
import type { CaptureSummary, FlowDataset } from './types.ts';

const IMAGES_MAGIC = 2051;
const LABELS_MAGIC = 2049;
const IMAGES_SUFFIX = '-images-idx3-ubyte.gz';
const LABELS_SUFFIX = '-labels-idx1-ubyte.gz';
/**
 * USTC-TFC2016's sessions were cut by 5-tuple (SplitCap), whatever the gaps and TCP teardowns inside: read each row the
 * same way, as one flow, instead of letting a SYN retry after an RST or a two-minute pause start a second flow.
 */
const SESSION_FLOW_OPTIONS = { idleTimeout: 1e9, tcpClose: 'never' } as const;

/** Class names of the two 10-class sets (data README), in label order; together benign 0-9 then malware 10-19. */
export const USTC_BENIGN_CLASSES = ['BitTorrent', 'Facetime', 'FTP', 'Gmail', 'MySQL', 'Outlook', 'Skype', 'SMB', 'Weibo', 'WorldOfWarcraft'];
export const USTC_MALWARE_CLASSES = ['Cridex', 'Geodo', 'Htbot', 'Miuref', 'Neris', 'Nsis-ay', 'Shifu', 'Tinba', 'Virut', 'Zeus'];

export interface UstcOptions {
  /** Keep at most this many rows per class (the first ones in file order), to keep tests and quick looks fast. */
  rowsPerClass?: number;
  /** Options for the flow assembler and capture reader. */
  flow?: FlowReadOptions;
}

/** An idx file decoded: its dimensions and its data bytes after the header. */
export interface IdxFile {
  dims: number[];
  data: Uint8Array;
}

/** Parses a (gunzipped) idx file; `magic` 2051 = 3-D unsigned bytes (images), 2049 = 1-D (labels). */
export function parseIdx(bytes: Uint8Array, file: string, magic: number): IdxFile {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || v.getUint32(0) !== magic) {
    throw new Error(`${file}: not an idx file with magic ${magic} (found ${bytes.length >= 4 ? v.getUint32(0) : 'nothing'})`);
  }
  const rank = magic & 0xff; // the low byte of the magic is the number of dimensions
  const dims = Array.from({ length: rank }, (_, k) => v.getUint32(4 + 4 * k)); // big-endian, as idx requires
  const headerLength = 4 + 4 * rank;
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length < headerLength + size) throw new Error(`${file}: header says ${dims.join('x')} bytes of data, file has ${bytes.length - headerLength}`);
  return { dims, data: bytes.subarray(headerLength, headerLength + size) };
}

/** One set: `<prefix>-images-idx3-ubyte.gz` and `<prefix>-labels-idx1-ubyte.gz`. */
interface IdxSet {
  images: string;
  labels: string;
  classNames: string[] | null;
}

/**
 * Reads one idx set (an images .gz path) or a folder of them. In a folder, the Benign set comes first and the Malware
 * set's labels are shifted by 10, giving the 20-class USTC-TFC2016 task. Each row goes through the capture reader as an
 * in-memory pcap, as one session per 5-tuple (no idle-timeout or TCP-close splitting unless `flow` options say
 * otherwise); the row's first flow is kept. A row cut inside its last record is expected (rows are the first 784 bytes
 * of a pcap), so truncation warnings are summarised, not listed row by row.
 *
 * @example
 *   const ustc = loadUstcIdx('../shared/data/ustc-tfc2016', { rowsPerClass: 50 }); // 20 classes
 */
export function loadUstcIdx(path: string, options: UstcOptions = {}): FlowDataset {
  const sets = findSets(path);
  const classNames: string[] = [];
  const flows: Flow[] = [];
  const labels: number[] = [];
  const warnings: CaptureWarning[] = [];
  const captures: CaptureSummary[] = [];
  for (const set of sets) {
    const images = parseIdx(gunzipSync(readFileSync(set.images)), set.images, IMAGES_MAGIC);
    const rowLabels = parseIdx(gunzipSync(readFileSync(set.labels)), set.labels, LABELS_MAGIC);
    const [rows, height, width] = images.dims as [number, number, number];
    if (rowLabels.dims[0] !== rows) throw new Error(`${set.labels}: ${rowLabels.dims[0]} labels for ${rows} rows in ${set.images}`);
    const numClasses = Math.max(...rowLabels.data) + 1;
    const names = set.classNames ?? Array.from({ length: numClasses }, (_, k) => `${basename(set.images, IMAGES_SUFFIX)}-${k}`);
    if (numClasses > names.length) throw new Error(`${set.labels}: label ${numClasses - 1} but the set has ${names.length} classes`);
    const offset = classNames.length;
    classNames.push(...names);
    const rowBytes = height * width;
    const taken = new Array<number>(names.length).fill(0);
    const merged = newCaptureStats('pcap');
    let warnedRows = 0;
    let multiFlowRows = 0;
    let emptyRows = 0;
    for (let r = 0; r < rows; r++) {
      const label = rowLabels.data[r]!;
      if (options.rowsPerClass !== undefined && taken[label]! >= options.rowsPerClass) continue;
      taken[label]!++;
      const name = `${basename(set.images)}#${r}`;
      const row = images.data.subarray(r * rowBytes, (r + 1) * rowBytes);
      const result = readFlowsFromBytes(name, row, { ...SESSION_FLOW_OPTIONS, ...options.flow, source: name });
      if (result.flows.length > 1) multiFlowRows++;
      mergeStats(merged, result.stats);
      if (result.warnings.length > 0) warnedRows++;
      const flow = result.flows[0];
      if (!flow) {
        emptyRows++;
        if (emptyRows <= 10) warnings.push({ file: name, offset: 0, message: 'no IP flow recovered from this row' });
        continue;
      }
      flows.push(flow);
      labels.push(offset + label);
    }
    if (warnedRows > 0) {
      const why = `rows are pcaps cut at ${rowBytes} bytes, so a truncated last record is expected`;
      warnings.push({ file: set.images, offset: 0, message: `${warnedRows} rows raised reader warnings (${why})` });
    }
    if (multiFlowRows > 0) {
      warnings.push({ file: set.images, offset: 0, message: `${multiFlowRows} rows held more than one flow; the first was kept` });
    }
    if (emptyRows > 10) warnings.push({ file: set.images, offset: 0, message: `${emptyRows} rows gave no flow in all` });
    captures.push({ file: set.images, classIndex: null, stats: merged });
  }
  return { kind: 'flows', format: 'ustc-idx', path, classNames, flows, labels: Int32Array.from(labels), warnings, captures };
}

/** True when `path` is an idx images file or a folder holding at least one. */
export function isUstcIdx(path: string): boolean {
  if (!existsSync(path)) return false;
  if (statSync(path).isDirectory()) return readdirSync(path).some((f) => f.endsWith(IMAGES_SUFFIX));
  return path.endsWith(IMAGES_SUFFIX);
}

function findSets(path: string): IdxSet[] {
  const files = statSync(path).isDirectory() ? readdirSync(path).filter((f) => f.endsWith(IMAGES_SUFFIX)).map((f) => join(path, f)) : [path];
  if (files.length === 0) throw new Error(`${path}: no *${IMAGES_SUFFIX} files`);
  // Benign before Malware (the 20-class task's label order), then any other set by name.
  const rank = (f: string): number => (/benign/i.test(basename(f)) ? 0 : /malware/i.test(basename(f)) ? 1 : 2);
  files.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
  return files.map((images) => {
    const labels = images.slice(0, -IMAGES_SUFFIX.length) + LABELS_SUFFIX;
    if (!existsSync(labels)) throw new Error(`${images}: its labels file ${basename(labels)} is missing`);
    const classNames = /benign/i.test(basename(images)) ? USTC_BENIGN_CLASSES : /malware/i.test(basename(images)) ? USTC_MALWARE_CLASSES : null;
    return { images, labels, classNames };
  });
}

/** Adds the counters of `b` into `a` (per-row statistics become one per set). */
export function mergeStats(a: CaptureStats, b: CaptureStats): void {
  const counters = ['frames', 'packets', 'skippedNonIp', 'skippedUnsupportedLink', 'malformedPackets', 'truncatedPackets', 'fragments', 'warnings', 'bytesRead', 'sections', 'interfaces'] as const;
  for (const k of counters) a[k] += b[k];
  for (const [k, n] of Object.entries(b.linkTypes)) a.linkTypes[Number(k)] = (a.linkTypes[Number(k)] ?? 0) + n;
  for (const [k, n] of Object.entries(b.protocols)) a.protocols[Number(k)] = (a.protocols[Number(k)] ?? 0) + n;
}
