// The `data inspect` report: per-class counts, link types, protocols and warnings of a loaded dataset, as text tables.
import { linkTypeName } from '../capture/index.ts';
import type { Dataset } from './types.ts';

const PROTOCOL_NAMES: Record<number, string> = {
  1: 'ICMP', 2: 'IGMP', 6: 'TCP', 17: 'UDP', 41: 'IPv6-in-IPv4', 47: 'GRE', 50: 'ESP', 58: 'ICMPv6', 132: 'SCTP',
};
const count = (n: number): string => n.toLocaleString('en-US');

export function protocolName(protocol: number): string {
  return `${PROTOCOL_NAMES[protocol] ?? 'proto'} (${protocol})`;
}

/** Right-aligns numbers and left-aligns text, under a header and a rule. */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows].map((r) => r.map((c) => (typeof c === 'number' ? c.toLocaleString('en-US') : c)));
  const numeric = header.map((_, j) => rows.length > 0 && rows.every((r) => typeof r[j] === 'number'));
  const widths = header.map((_, j) => Math.max(...cells.map((r) => r[j]!.length)));
  const line = (r: readonly string[]): string => r.map((c, j) => (numeric[j] ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/**
 * A plain-text report of a dataset: a per-class table, then link types and protocols over all captures, then
 * warnings (the first `maxWarnings` listed, all counted).
 *
 * @example
 *   console.log(inspectDataset(await loadDataset('captures/')));
 */
export function inspectDataset(data: Dataset, maxWarnings = 20): string {
  const out: string[] = [];
  if (data.kind === 'features') {
    out.push(
      `${data.path}: CSV feature table, ${data.features.rows.toLocaleString('en-US')} rows, ${data.features.cols} feature columns, ${data.classNames.length} classes`,
      '',
    );
    const rows = data.classNames.map((name, c) => [name, data.labels.filter((l) => l === c).length]);
    out.push(formatTable(['class', 'rows'], rows), '', `features: ${data.features.names.join(', ')}`);
    return out.join('\n');
  }
  out.push(
    `${data.path}: ${data.format}, ${data.flows.length.toLocaleString('en-US')} flows, ${data.classNames.length} classes`,
    '',
  );

  const perClass = data.classNames.map(() => ({
    flows: 0,
    packets: 0,
    bytes: 0,
    tcp: 0,
    udp: 0,
    other: 0,
    links: new Set<string>(),
  }));
  data.flows.forEach((f, i) => {
    const c = perClass[data.labels[i]!]!;
    c.flows++;
    c.packets += f.packetsClientToServer + f.packetsServerToClient;
    c.bytes += f.bytesClientToServer + f.bytesServerToClient;
    if (f.protocol === 6) c.tcp++;
    else if (f.protocol === 17) c.udp++;
    else c.other++;
  });
  for (const capture of data.captures) {
    if (capture.classIndex === null) continue;
    for (const lt of Object.keys(capture.stats.linkTypes)) perClass[capture.classIndex]!.links.add(linkTypeName(Number(lt)));
  }
  const classRows = data.classNames.map((name, c) => {
    const s = perClass[c]!;
    return [name, s.flows, s.packets, s.bytes, s.tcp, s.udp, s.other, [...s.links].sort().join(', ') || '-'];
  });
  const sum = (key: 'flows' | 'packets' | 'bytes' | 'tcp' | 'udp' | 'other'): number => perClass.reduce((a, s) => a + s[key], 0);
  classRows.push(['total', sum('flows'), sum('packets'), sum('bytes'), sum('tcp'), sum('udp'), sum('other'), '']);
  out.push(formatTable(['class', 'flows', 'packets', 'IP bytes', 'TCP flows', 'UDP flows', 'other', 'link types'], classRows));

  const linkTypes = new Map<number, number>();
  const protocols = new Map<number, number>();
  let frames = 0;
  let skipped = 0;
  for (const { stats } of data.captures) {
    frames += stats.frames;
    skipped += stats.skippedNonIp + stats.skippedUnsupportedLink + stats.malformedPackets + stats.truncatedPackets;
    for (const [k, n] of Object.entries(stats.linkTypes)) linkTypes.set(Number(k), (linkTypes.get(Number(k)) ?? 0) + n);
    for (const [k, n] of Object.entries(stats.protocols)) protocols.set(Number(k), (protocols.get(Number(k)) ?? 0) + n);
  }
  if (data.captures.length > 0) {
    out.push(
      '',
      `${count(data.captures.length)} captures, ${count(frames)} frames, ` +
        `${count(skipped)} not decoded (non-IP, unsupported link, malformed or truncated)`,
      '',
    );
    out.push(
      formatTable(['link type', 'frames'], [...linkTypes].sort((a, b) => b[1] - a[1]).map(([k, n]) => [`${linkTypeName(k)} (${k})`, n])),
      '',
    );
    out.push(
      formatTable(['protocol', 'packets'], [...protocols].sort((a, b) => b[1] - a[1]).map(([k, n]) => [protocolName(k), n])),
    );
  } else {
    // No captures (CertTA): count flows per protocol instead.
    const flowsBy = new Map<number, number>();
    for (const f of data.flows) flowsBy.set(f.protocol, (flowsBy.get(f.protocol) ?? 0) + 1);
    out.push(
      '',
      'no captures (flow sequences only)',
      '',
      formatTable(['protocol', 'flows'], [...flowsBy].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k === 0 ? 'unknown (0)' : protocolName(k), n])),
    );
  }

  out.push('', `warnings: ${data.warnings.length.toLocaleString('en-US')}`);
  if (data.warnings.length > 0) {
    const shown = data.warnings.slice(0, maxWarnings).map((w) => [w.file, w.offset, w.message]);
    out.push(formatTable(['file', 'offset', 'message'], shown));
    if (data.warnings.length > maxWarnings) out.push(`... and ${(data.warnings.length - maxWarnings).toLocaleString('en-US')} more`);
  }
  return out.join('\n');
}
