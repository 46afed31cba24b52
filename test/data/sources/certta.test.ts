// The CertTA flow-sequence loader on the real files in ../shared/data/certta.
import { describe, expect, it } from 'vitest';
import { loadCertTa, loadDataset } from '../../../src/data/sources/index.ts';
import { extractFeatures } from '../../../src/data/features/index.ts';

const ROOT = '../shared/data/certta';
const counts = (labels: Int32Array, n: number): number[] => Array.from({ length: n }, (_, c) => labels.filter((l) => l === c).length);

describe('CertTA loader', () => {
  it('loads CICDOH20: 600 flows, 4 classes 300/100/100/100', () => {
    const d = loadCertTa(`${ROOT}/CICDOH20`);
    expect(d.classNames).toEqual(['Benign', 'DNS2TCP', 'DNSCat2', 'Iodine']);
    expect(d.flows.length).toBe(600);
    expect(counts(d.labels, 4)).toEqual([300, 100, 100, 100]);
  });

  it('loads TIISSRC23: 480 flows, 5 classes 120/120/80/80/80', async () => {
    const d = await loadDataset(`${ROOT}/TIISSRC23`);
    expect(d.kind).toBe('flows');
    if (d.kind !== 'flows') return;
    expect(d.format).toBe('certta');
    expect(d.classNames).toEqual(['Audio', 'Video', 'BruteForce_http', 'BruteForce_telnet', 'Mirai']);
    expect(d.flows.length).toBe(480);
    expect(counts(d.labels, 5)).toEqual([120, 120, 80, 80, 80]);
  });

  it('maps direction_length and timestamp onto packets with no bytes', () => {
    const flow = loadCertTa(`${ROOT}/CICDOH20/valid.json`).flows[0]!;
    // First flow of the file: 52 packets; +454 at 0 s, then -1500 at 0.02246 s; source TCP_...
    expect(flow.packets.length).toBe(52);
    expect(flow.packets[0]).toMatchObject({ direction: 1, ipLength: 454, timestamp: 0, payloadLength: 0 });
    expect(flow.packets[1]).toMatchObject({ direction: -1, ipLength: 1500, timestamp: 0.02246 });
    expect(flow.packets[1]!.payloadBytes.length).toBe(0);
    expect(flow.protocol).toBe(6);
    expect(flow.packetsClientToServer + flow.packetsServerToClient).toBe(52);
    const x = extractFeatures([flow]).data;
    expect([x[0], x[2]]).toEqual([454, -1500]);
    expect(x[3]).toBeCloseTo(Math.log1p(22.46), 4);
  });
});
