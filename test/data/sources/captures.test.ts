// Folder-of-captures and capture-plus-label-file sources, on small synthetic captures.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../../src/data/synthetic/index.ts';
import { readFlows } from '../../../src/data/flows/index.ts';
import { detectDatasetKind, loadCaptureFolder, loadDataset, loadLabelledCapture } from '../../../src/data/sources/index.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netmoe-captures-'));
  generateSyntheticDataset(join(dir, 'set'), { seed: 'sources', flowsPerClass: 4, classes: ['voip', 'dns', 'chat'] });
  // A stray non-capture file and a hidden folder must be ignored.
  writeFileSync(join(dir, 'set', 'dns', 'README.txt'), 'not a capture');
  mkdirSync(join(dir, 'set', '.hidden'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('folder of captures', () => {
  it('labels flows by sub-folder, classes in sorted order', async () => {
    expect(detectDatasetKind(join(dir, 'set'))).toBe('capture-folder');
    const d = await loadCaptureFolder(join(dir, 'set'));
    expect(d.classNames).toEqual(['chat', 'dns', 'voip']);
    expect(d.flows.length).toBe(12);
    expect(Array.from(d.labels)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(d.flows.slice(4, 8).every((f) => f.serverPort === 53)).toBe(true);
    expect(d.flows[0]!.id.startsWith('chat/0.pcap')).toBe(true);
    expect(d.captures.length).toBe(3);
  });

  it('errors on a folder without class sub-folders', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await expect(loadCaptureFolder(empty)).rejects.toThrow(/no class folders with captures/);
  });
});

describe('capture plus label file', () => {
  it('labels by flow index, leaving unlabelled flows out with a warning', async () => {
    const capture = join(dir, 'one.pcap');
    copyFileSync(join(dir, 'set', 'voip', '0.pcap'), capture);
    const labels = join(dir, 'by-index.csv');
    writeFileSync(labels, 'flow,label\n0,call\n2,"call, video"\n3,call\n9,ghost\n');
    const d = await loadLabelledCapture(capture, labels);
    expect(d.classNames).toEqual(['call', 'call, video']);
    expect(d.flows.length).toBe(3);
    expect(Array.from(d.labels)).toEqual([0, 1, 0]);
    expect(d.warnings.map((w) => w.message)).toEqual(['1 label rows match no flow (lines 5)', '1 of 4 flows have no label and were left out']);
  });

  it('labels by 5-tuple in either direction and by protocol name', async () => {
    const capture = join(dir, 'set', 'chat', '0.pcap');
    const { flows } = await readFlows(capture);
    const [a, b] = flows as [(typeof flows)[0], (typeof flows)[0]];
    const labels = join(dir, 'by-tuple.csv');
    writeFileSync(
      labels,
      'src_ip,src_port,dst_ip,dst_port,protocol,label\n' +
        `${a.clientIp},${a.clientPort},${a.serverIp},${a.serverPort},tcp,x\n` +
        `${b.serverIp},${b.serverPort},${b.clientIp},${b.clientPort},6,y\n`, // written server -> client
    );
    const d = await loadDataset(capture, { labels });
    expect(d.kind === 'flows' && d.flows.map((f) => f.clientPort)).toEqual([a.clientPort, b.clientPort]);
    expect(Array.from(d.labels)).toEqual([0, 1]);
    writeFileSync(labels, 'src_ip,dst_ip,label\n');
    await expect(loadDataset(capture, { labels })).rejects.toThrow(/missing column "src_port"/);
    writeFileSync(labels, 'flow,label\n0, \n');
    await expect(loadDataset(capture, { labels })).rejects.toThrow(/line 2: column "label": empty label/);
    writeFileSync(labels, 'flow,label\nfirst,x\n');
    await expect(loadDataset(capture, { labels })).rejects.toThrow(/line 2: column "flow": not a flow index: "first"/);
  });

  it('without a label file, puts every flow in one class named after the file', async () => {
    const d = await loadDataset(join(dir, 'set', 'dns', '0.pcap'));
    expect(d.classNames).toEqual(['0.pcap']);
    expect(d.kind === 'flows' && d.flows.length).toBe(4);
  });
});
