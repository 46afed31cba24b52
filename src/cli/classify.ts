// `npm run classify -- --model <dir> <capture.pcap>`: one line per flow with its predicted class and the gate weights.

import { extractFeatures, readFlows } from '../data/index.ts';
import { loadModelDir } from '../train/model-dir.ts';
import { evaluate } from '../train/trainer.ts';
import { type FlagSpec, UsageError, isPositiveInteger, numberFlag, parseFlags, runMain, usage } from './args.ts';
import { useDefaultBackends, useDefaultThreads } from '../kernels/default-backends.ts';

const SPEC = {
  model: { type: 'string', value: '<dir>', description: 'model directory written by npm run train' },
  json: { type: 'boolean', description: 'one JSON object per flow (JSON Lines) instead of a table' },
  threads: { type: 'string', value: '<n>', description: 'CPU threads for the WebAssembly kernels (or NETMOE_THREADS)', default: 'min(2, cores)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} satisfies Record<string, FlagSpec>;

const PROTOCOLS: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

/** host:port, with IPv6 addresses in brackets ([2001:db8::1]:443) so the port stays readable. */
const endpoint = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

async function main(): Promise<void> {
  const { flags, positionals } = parseFlags(process.argv.slice(2), SPEC, { positionals: true });
  if (flags.help) {
    console.log(usage('npm run classify --', '--model <dir> <capture.pcap|pcapng>', SPEC));
    return;
  }
  useDefaultBackends();
  await useDefaultThreads(flags.threads === undefined ? undefined : numberFlag('threads', flags.threads, 1, isPositiveInteger, 'a positive integer'));
  if (!flags.model) throw new UsageError('--model <dir> is required');
  if (positionals.length !== 1) throw new UsageError(`expected exactly one capture file, got ${positionals.length}`);
  const capture = positionals[0];
  const { model, meta, standardiser } = loadModelDir(flags.model);
  const { flows, warnings } = await readFlows(capture);
  for (const w of warnings.slice(0, 5)) console.error(`warning: ${w.file}: at byte ${w.offset}: ${w.message}`);
  if (flows.length === 0) throw new Error(`${capture}: no IP flows found`);
  const features = extractFeatures(flows, meta.featureSet);
  const F = features.cols;
  if (F !== meta.model.numFeatures) throw new Error(`feature set '${meta.featureSet}' gives ${F} features, the model expects ${meta.model.numFeatures}`);
  const x = standardiser.transform(features.data);
  const C = meta.classNames.length;
  const result = evaluate(model, { x, y: new Int32Array(flows.length) }, F, C);
  const experts = model.expertNames;
  flows.forEach((flow, i) => {
    const label = meta.classNames[result.predictions[i]];
    const confidence = result.probs[i * C + result.predictions[i]];
    const gates = result.gates ? Array.from(result.gates.subarray(i * experts.length, (i + 1) * experts.length)) : null;
    const proto = PROTOCOLS[flow.protocol] ?? String(flow.protocol);
    if (flags.json) {
      console.log(JSON.stringify({
        flow: flow.id, protocol: proto, client: endpoint(flow.clientIp, flow.clientPort), server: endpoint(flow.serverIp, flow.serverPort),
        packets: flow.packetsClientToServer + flow.packetsServerToClient, label, confidence,
        gates: gates ? Object.fromEntries(experts.map((e, k) => [e, gates[k]])) : null,
      }));
    } else {
      const gateText = gates ? '  gates ' + experts.map((e, k) => `${e} ${gates[k].toFixed(2)}`).join(' ') : '';
      console.log(`${proto.padEnd(4)} ${endpoint(flow.clientIp, flow.clientPort).padEnd(22)} -> ${endpoint(flow.serverIp, flow.serverPort).padEnd(22)} ${label.padEnd(16)} ${(100 * confidence).toFixed(1).padStart(5)}%${gateText}`);
    }
  });
}

await runMain('classify', main);
