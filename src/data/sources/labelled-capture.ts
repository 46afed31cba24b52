// Loads one capture plus a label file that names the class of each flow, by flow index or by 5-tuple.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { readFlows } from '../flows/index.ts';
import type { CaptureWarning, Flow } from '../types.ts';
import { parseCsv } from './csv.ts';
import type { FlowReadOptions } from './capture-folder.ts';
import { indexLabels, type FlowDataset } from './types.ts';

/**
 * Label file format: CSV with a header row, one of two shapes.
 *
 * 1. By flow index: columns `flow,label`. `flow` is the 0-based index of the flow in the order `readFlows` returns
 *    them (start-time order, the order `data inspect` lists).
 * 2. By 5-tuple: columns `src_ip,src_port,dst_ip,dst_port,protocol,label`. A row matches a flow in either direction
 *    (client->server or server->client); `protocol` is a number (6, 17) or a name (tcp, udp, icmp). Every flow with
 *    that 5-tuple gets the label (a reused port pair gives several flows).
 *
 * Flows no row labels are left out, with one warning that counts them; rows that match no flow are warned about too.
 *
 * @example
 *   flow,label
 *   0,web
 *   1,"video, HD"
 */
export const LABEL_FILE_FORMAT = 'flow,label | src_ip,src_port,dst_ip,dst_port,protocol,label';

const PROTOCOL_NAMES: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 };

/** Reads `capturePath`, labels its flows from `labelPath`, and keeps the labelled ones. */
export async function loadLabelledCapture(capturePath: string, labelPath: string, options: FlowReadOptions = {}): Promise<FlowDataset> {
  const result = await readFlows(capturePath, { ...options, source: options.source ?? basename(capturePath) });
  const flowLabels = labelFlows(result.flows, labelPath);
  const warnings: CaptureWarning[] = [...result.warnings, ...flowLabels.warnings];
  const kept: Flow[] = [];
  const values: string[] = [];
  result.flows.forEach((flow, i) => {
    const label = flowLabels.labels[i];
    if (label === undefined) return;
    kept.push(flow);
    values.push(label);
  });
  const { classNames, labels } = indexLabels(values);
  const captures = [{ file: capturePath, classIndex: null, stats: result.stats }];
  return { kind: 'flows', format: 'capture', path: capturePath, classNames, flows: kept, labels, warnings, captures };
}

/** The label of each flow (undefined where the file has none) and the warnings about unmatched rows and flows. */
export function labelFlows(flows: readonly Flow[], labelPath: string): { labels: (string | undefined)[]; warnings: CaptureWarning[] } {
  const records = parseCsv(readFileSync(labelPath, 'utf8'), labelPath);
  if (records.length === 0) throw new Error(`${labelPath}: empty label file (expected a header: ${LABEL_FILE_FORMAT})`);
  const header = records[0]!.fields.map((h) => h.trim().toLowerCase());
  const at = (name: string): number => header.indexOf(name);
  const labelAt = at('label');
  if (labelAt < 0) throw new Error(`${labelPath}: line ${records[0]!.line}: missing column "label" (expected ${LABEL_FILE_FORMAT})`);
  const labels: (string | undefined)[] = new Array(flows.length).fill(undefined);
  const warnings: CaptureWarning[] = [];
  const unmatched: number[] = [];
  const cell = (fields: string[], column: number): string => (fields[column] ?? '').trim();
  const labelOf = (fields: string[], line: number): string => {
    const label = cell(fields, labelAt);
    if (label === '') throw new Error(`${labelPath}: line ${line}: column "label": empty label`);
    return label;
  };

  if (at('flow') >= 0) {
    for (const { line, fields } of records.slice(1)) {
      const text = cell(fields, at('flow'));
      const index = Number(text);
      if (text === '' || !Number.isInteger(index) || index < 0) throw new Error(`${labelPath}: line ${line}: column "flow": not a flow index: ${JSON.stringify(text)}`);
      if (index >= flows.length) unmatched.push(line);
      else labels[index] = labelOf(fields, line);
    }
  } else {
    const columns = ['src_ip', 'src_port', 'dst_ip', 'dst_port', 'protocol'].map((name) => {
      const c = at(name);
      if (c < 0) throw new Error(`${labelPath}: line ${records[0]!.line}: missing column "${name}" (expected ${LABEL_FILE_FORMAT})`);
      return c;
    });
    const byTuple = new Map<string, number[]>();
    flows.forEach((f, i) => {
      const forward = tupleKey(f.clientIp, f.clientPort, f.serverIp, f.serverPort, f.protocol);
      const backward = tupleKey(f.serverIp, f.serverPort, f.clientIp, f.clientPort, f.protocol);
      for (const key of [forward, backward]) byTuple.set(key, [...(byTuple.get(key) ?? []), i]);
    });
    for (const { line, fields } of records.slice(1)) {
      const [srcIp, srcPort, dstIp, dstPort, protocolText] = columns.map((c) => cell(fields, c)) as [string, string, string, string, string];
      const number = (name: string, text: string): number => {
        const v = Number(text);
        if (text === '' || !Number.isInteger(v) || v < 0) throw new Error(`${labelPath}: line ${line}: column "${name}": not a number: ${JSON.stringify(text)}`);
        return v;
      };
      const protocol = PROTOCOL_NAMES[protocolText.toLowerCase()] ?? number('protocol', protocolText);
      const matches = byTuple.get(tupleKey(srcIp, number('src_port', srcPort), dstIp, number('dst_port', dstPort), protocol));
      if (!matches) unmatched.push(line);
      else for (const i of new Set(matches)) labels[i] = labelOf(fields, line);
    }
  }
  if (unmatched.length > 0) {
    warnings.push(
      { file: labelPath, offset: 0, message: `${unmatched.length} label rows match no flow (lines ${unmatched.slice(0, 10).join(', ')}${unmatched.length > 10 ? ', ...' : ''})` },
    );
  }
  const unlabelled = labels.filter((l) => l === undefined).length;
  if (unlabelled > 0) warnings.push({ file: labelPath, offset: 0, message: `${unlabelled} of ${flows.length} flows have no label and were left out` });
  return { labels, warnings };
}

function tupleKey(srcIp: string, srcPort: number, dstIp: string, dstPort: number, protocol: number): string {
  return `${protocol}|${srcIp}|${srcPort}|${dstIp}|${dstPort}`;
}
