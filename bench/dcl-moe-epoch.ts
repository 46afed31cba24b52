// DCL-MoE training speed: one epoch over 20,000 flows x 40 features, 20 classes, batch 64, side by side with PyTorch.
//
//   npm run bench:dcl-moe                 netmoe, then PyTorch if a python3 with torch is found
//   npm run bench:dcl-moe -- --no-peer    netmoe only
// PyTorch is run the fair way for this 2-core machine: OpenBLAS single-threaded, torch.set_num_threads(2).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDclModel, type DclModelKind } from '../src/models/dcl-moe.ts';
import { createOptimizer, DEFAULT_TRAIN_CONFIG, evaluate, train, type TrainConfig } from '../src/train/trainer.ts';
import type { TabularData, TabularSplit } from '../src/train/dataset.ts';
import { Rng } from '../src/tensor/random.ts';
import { useDefaultBackends } from '../src/kernels/default-backends.ts';
import { startWasmThreads, stopWasmThreads } from '../src/kernels/wasm/index.ts';

const N = 20_000;
const F = 40;
const C = 20;
const BATCH = 64;

/** Seeded features with labels from a random linear teacher, so the loss means something. */
function syntheticSplit(n: number, seed: number): TabularSplit {
  const rng = new Rng(seed);
  const teacher = new Rng(99);
  const w = Float64Array.from({ length: F * C }, () => teacher.normal());
  const x = new Float32Array(n * F);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) x[i * F + f] = rng.normal();
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let f = 0; f < F; f++) s += x[i * F + f] * w[f * C + c];
      if (s > bestScore) [best, bestScore] = [c, s];
    }
    y[i] = best;
  }
  return { x, y };
}

function epochSeconds(kind: DclModelKind, data: TabularData): { seconds: number; samplesPerSecond: number } {
  const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, epochs: 1, batchSize: BATCH, patience: 0, progress: false };
  const model = createDclModel({ kind, numFeatures: F, numClasses: C, dropout: 0.3, seed: 1 });
  const state = train(model, data, config, createOptimizer(model, config), { log: () => {} });
  const { seconds, samplesPerSecond } = state.history[0];
  return { seconds, samplesPerSecond };
}

function inferenceFlowsPerSecond(data: TabularData): number {
  const model = createDclModel({ kind: 'dcl-moe', numFeatures: F, numClasses: C, dropout: 0.3, seed: 1 });
  evaluate(model, data.validation, F, C, 0, 1024); // warm-up
  const started = performance.now();
  const rounds = 3;
  for (let r = 0; r < rounds; r++) evaluate(model, data.train, F, C, 0, 1024);
  return (rounds * N) / ((performance.now() - started) / 1000);
}

function findTorchPython(): string | null {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status === 0) return python;
  }
  return null;
}

useDefaultBackends();
const noPeer = process.argv.includes('--no-peer');
// --threads 2: split large GEMMs across both cores (worker threads on the shared wasm memory).
const threadsFlag = process.argv.indexOf('--threads');
const threads = threadsFlag >= 0 ? Number(process.argv[threadsFlag + 1]) : 1;
if (threads > 1) console.log(`wasm GEMM threads: ${await startWasmThreads(threads)}`);
const data: TabularData = { numFeatures: F, classNames: Array.from({ length: C }, (_, c) => `c${c}`), train: syntheticSplit(N, 1), validation: syntheticSplit(2048, 2), test: syntheticSplit(16, 3) };
console.log(`DCL-MoE training epoch: ${N} samples x ${F} features, ${C} classes, batch ${BATCH} (one warm-up epoch first)`);
epochSeconds('dcl-moe', { ...data, train: syntheticSplit(2048, 4) }); // JIT warm-up
const moe = epochSeconds('dcl-moe', data);
const lstm = epochSeconds('lstm', data);
const inference = inferenceFlowsPerSecond(data);
console.log(`netmoe  dcl-moe epoch ${moe.seconds.toFixed(2)} s (${Math.round(moe.samplesPerSecond)} samples/s); lstm expert alone ${lstm.seconds.toFixed(2)} s; inference ${Math.round(inference)} flows/s at batch 1024`);

await stopWasmThreads();
const python = noPeer ? null : findTorchPython();
const script = fileURLToPath(new URL('./peers/dcl_moe_torch.py', import.meta.url));
if (python && existsSync(script)) {
  const run = spawnSync(python, [script, String(N), String(F), String(C), String(BATCH)], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '2' },
  });
  if (run.status !== 0) {
    console.log(`PyTorch run failed: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  } else {
    const peer = JSON.parse(run.stdout.trim().split('\n').pop()!) as { moe: number; lstm: number; inference: number; version: string };
    console.log(`pytorch ${peer.version}  dcl-moe epoch ${peer.moe.toFixed(2)} s; lstm expert alone ${peer.lstm.toFixed(2)} s; inference ${Math.round(peer.inference)} flows/s at batch 1024`);
    console.log(`ratio (netmoe / pytorch time): dcl-moe ${(moe.seconds / peer.moe).toFixed(2)}x, lstm ${(lstm.seconds / peer.lstm).toFixed(2)}x, inference ${(peer.inference / inference).toFixed(2)}x`);
  }
} else if (!noPeer) {
  console.log('PyTorch not found (Debian: apt-get install python3-torch libopenblas0-pthread); netmoe figures only.');
}
