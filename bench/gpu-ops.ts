// `npm run bench:gpu`: per-op time of the CPU kernels vs every gpu.js mode that runs here, at DCL-MoE's sizes (batch 64 and 1024), and each mode's crossover batch per op.
//
// Modes: in Node gpu.js webasm and cpu, and headlessgl where the native `gl` package loads (built by
// scripts/headlessgl.sh into .cache/headlessgl; run as below); in headless Chromium on SwiftShader
// (bench/gpu-ops-browser.ts) webgl2, webgl and webgpu. CPU columns: the reference kernels and the
// wasm-simd kernels (where that backend takes the op; its default threads); the CPU time a mode must beat
// is the kernel the CPU backend runs (wasm-simd where it takes the op, else the reference).
// What a GPU time includes: see bench/gpu-timing.ts (device-resident inputs, the device's work finished).
// Crossover: the smallest batch of a doubling sweep 16..16384 where the mode is faster than the CPU.
//
//   npm run bench:gpu                          all modes; one table, and a JSON file (--out, default runs/bench/gpu-ops.json)
//   npm run bench:gpu -- --no-browser          Node modes only
//   npm run bench:gpu -- --modes webgl2,webasm only these modes;  npm run bench:gpu -- dense   only cases whose name has "dense"
//   NODE_PATH=$PWD/.cache/headlessgl/node_modules xvfb-run -a npm run bench:gpu    with headlessgl

import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Kernel, KernelTable } from '../src/kernels/backend.ts';
import type { OpName } from '../src/tensor/op-table.ts';
import type { Tensor } from '../src/tensor/tensor.ts';
import { createGpuContext, gpuKernels, probeGpu, type GpuContext, type GpuMode } from '../src/kernels/gpu/index.ts';
import { wasmBackend, wasmKernelsEnabled, stopWasmThreads, wasmGemmThreads } from '../src/kernels/wasm/index.ts';
import { useDefaultBackends, useDefaultThreads } from '../src/kernels/default-backends.ts';
import { writeFileAtomic } from '../src/util/atomic-write.ts';
import { BATCH_CASES, CLIP_NAME, LONG_REDUCTIONS, MAX_CASE_VALUES, SWEEP_BATCHES, TABLE_BATCHES, caseValues, type OpCase } from './gpu-ops-cases.ts';
import { referenceKernel, sweepMode, timeClip, timeCpu, timeGpu, type Measured, type ModeSweep } from './gpu-timing.ts';
import { BROWSER_MODES, openBrowserBench, type BrowserBench } from './gpu-ops-browser.ts';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'no-browser': { type: 'boolean', default: false }, modes: { type: 'string' }, out: { type: 'string', default: 'runs/bench/gpu-ops.json' } },
});
const filter = positionals[0];
const wanted = flags.modes?.split(',') as GpuMode[] | undefined;
const want = (mode: GpuMode): boolean => wanted === undefined || wanted.includes(mode);
const cases = BATCH_CASES.filter((c) => !filter || c.name.includes(filter));
const longCases = LONG_REDUCTIONS.filter((c) => !filter || c.name.includes(filter) || 'long reductions'.includes(filter));

useDefaultBackends();
const threads = await useDefaultThreads();
const loadAtStart = loadavg()[0];

// ---- the CPU side (memoised: every mode's sweep compares with the same figures) ------------------------

interface CpuTimes {
  reference: number;
  /** The wasm-simd kernel, where that backend implements and takes the op at this size. */
  wasm: number | null;
}
const cpuCache = new Map<string, Promise<CpuTimes>>();

function wasmKernel(c: OpCase, inputs: readonly Tensor[]): Kernel<OpName> | null {
  if (!wasmKernelsEnabled()) return null;
  const kernel = wasmBackend.kernels[c.op] as Kernel<OpName> | undefined;
  const accepts = wasmBackend.accepts?.[c.op] as ((x: readonly Tensor[], a: unknown) => boolean) | undefined;
  return kernel !== undefined && (accepts?.(inputs, c.attrs) ?? true) ? kernel : null;
}

function cpuTimes(c: OpCase, B: number): Promise<CpuTimes> {
  const key = `${c.name}@${B}`;
  let times = cpuCache.get(key);
  if (times === undefined) {
    times = (async () => {
      const inputs = c.inputs(B);
      const reference = (await timeCpu(referenceKernel(c), c, inputs)).ms;
      const wasm = wasmKernel(c, inputs);
      const wasmMs = wasm === null ? null : (await timeCpu(wasm, c, inputs)).ms;
      inputs.forEach((t) => t.dispose());
      return { reference, wasm: wasmMs };
    })();
    cpuCache.set(key, times);
  }
  return times;
}

/** The time a mode must beat: the kernel the CPU backend runs. */
const cpuBest = async (c: OpCase, B: number): Promise<number> => {
  const t = await cpuTimes(c, B);
  return t.wasm ?? t.reference;
};

/** The sweep's batches for a case: those whose call stays under MAX_CASE_VALUES. */
const caseBatches = new Map(cases.map((c) => [c.name, SWEEP_BATCHES.filter((B) => caseValues(c, B) <= MAX_CASE_VALUES)]));

// ---- the modes ------------------------------------------------------------------------------------------

interface ModeInfo {
  mode: GpuMode;
  where: 'node' | 'chromium';
  /** The device that ran it (renderer / adapter), or why the mode did not start. */
  device: string;
  error: string | null;
}

interface ModeResults {
  sweeps: Record<string, ModeSweep>;
  long: Record<string, Measured>;
  clip: Measured;
  /** Device arrays alive after the mode's run (0 unless the bench leaks). */
  liveArrays: number;
}

const MEMORY_CAP = `larger batches touch over 2^${Math.log2(MAX_CASE_VALUES)} values (the sweep's memory cap)`;

/** Run every case on one mode, through `time` (in-process, or in the page). */
async function runMode(mode: GpuMode, time: (c: OpCase, B: number) => Promise<Measured>, clip: () => Promise<Measured>): Promise<Omit<ModeResults, 'liveArrays'>> {
  const sweeps: Record<string, ModeSweep> = {};
  for (const c of cases) {
    const batches = caseBatches.get(c.name)!;
    const sweep = await sweepMode(batches, Math.max(...TABLE_BATCHES), (B) => cpuBest(c, B), (B) => time(c, B));
    if (sweep.stopped === null && sweep.upTo < SWEEP_BATCHES.at(-1)!) sweep.stopped = MEMORY_CAP;
    sweeps[c.name] = sweep;
    process.stdout.write(`  ${mode.padEnd(10)} ${c.name.padEnd(38)} ${crossoverCell(sweep)}\n`);
  }
  const long: Record<string, Measured> = {};
  for (const c of longCases) long[c.name] = await time(c, 0);
  return { sweeps, long, clip: !filter || CLIP_NAME.includes(filter) ? await clip() : { error: 'filtered out' } };
}

const modes: ModeInfo[] = [];
const results = new Map<GpuMode, ModeResults>();

const nodeModes: GpuMode[] = ['headlessgl', 'webasm', 'cpu'].filter((m) => want(m as GpuMode)) as GpuMode[];
for (const mode of nodeModes) {
  const probe = probeGpu([mode]);
  probe.context?.dispose();
  if (probe.context === null) {
    modes.push({ mode, where: 'node', device: '', error: probe.attempts[0].error });
    continue;
  }
  const context: GpuContext = createGpuContext(mode);
  const kernels: Partial<KernelTable> = gpuKernels(context);
  modes.push({ mode, where: 'node', device: mode === 'headlessgl' ? 'headless-gl (Mesa, under Xvfb)' : `gpu.js ${mode} on the CPU`, error: null });
  console.log(`${mode}: measuring`);
  const run = await runMode(mode, (c, B) => timeGpu(context, kernels, c, B), () => timeClip(context));
  results.set(mode, { ...run, liveArrays: context.stats.liveArrays });
  context.dispose();
}

let browserVersion: string | null = null;
const browserModes = BROWSER_MODES.filter(want);
if (!flags['no-browser'] && browserModes.length > 0) {
  const bench: BrowserBench | string = await openBrowserBench();
  if (typeof bench === 'string') {
    for (const mode of browserModes) modes.push({ mode, where: 'chromium', device: '', error: bench });
  } else {
    browserVersion = bench.version;
    try {
      for (const mode of browserModes) {
        const started = await bench.start(mode);
        modes.push({ mode, where: 'chromium', device: started.renderer, error: started.error });
        if (started.error !== null) continue;
        console.log(`${mode} (${started.renderer}): measuring`);
        const run = await runMode(mode, (c, B) => bench.time(mode, c.name, B), () => bench.clip(mode));
        results.set(mode, { ...run, liveArrays: await bench.stop(mode) });
      }
    } finally {
      await bench.close();
    }
  }
}
const loadAtEnd = loadavg()[0];

// ---- the table ------------------------------------------------------------------------------------------

function crossoverCell(s: ModeSweep): string {
  if (s.crossover !== null) return String(s.crossover);
  if (s.upTo === SWEEP_BATCHES.at(-1)) return 'never';
  return s.upTo === 0 ? 'error' : `>${s.upTo}`;
}

const ran = modes.filter((m) => results.has(m.mode));
const fmt = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '-' : ms < 1 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(0));
const NAME = 38;
const COL = 10;
const header = `${'op'.padEnd(NAME)} ${['cpu ref', 'cpu wasm', ...ran.map((m) => m.mode)].map((h) => h.padStart(COL)).join(' ')}`;
const row = (name: string, cells: string[]): string => `${name.padEnd(NAME)} ${cells.map((s) => s.padStart(COL)).join(' ')}`;

console.log(`\nmodes: ${modes.map((m) => `${m.mode} (${m.error === null ? m.device : `not run: ${m.error}`})`).join('; ')}`);
console.log(`cpu: ${cpus()[0]?.model ?? '?'} x${availableParallelism()}, wasm-simd ${wasmKernelsEnabled() ? `on, ${threads} thread(s)` : 'off'}; 1-min load ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end`);
const tables: Record<number, Record<string, Record<string, number | null>>> = {};
for (const B of TABLE_BATCHES) {
  console.log(`\n## batch ${B}: ms per call`);
  console.log(header);
  tables[B] = {};
  for (const c of cases) {
    const cpu = await cpuTimes(c, B);
    const byMode = ran.map((m) => results.get(m.mode)!.sweeps[c.name].ms[B] ?? null);
    tables[B][c.name] = { 'cpu ref': cpu.reference, 'cpu wasm': cpu.wasm, ...Object.fromEntries(ran.map((m, i) => [m.mode, byMode[i]])) };
    console.log(row(c.name, [fmt(cpu.reference), fmt(cpu.wasm), ...byMode.map(fmt)]));
  }
}

console.log(`\n## crossover: smallest batch (${SWEEP_BATCHES[0]}..${SWEEP_BATCHES.at(-1)}, doubling) from which the mode beats the CPU backend's kernel at every larger batch measured; never = not at ${SWEEP_BATCHES.at(-1)}, >B = not at B, the largest measured (why: below)`);
console.log(`${'op'.padEnd(NAME)} ${ran.map((m) => m.mode.padStart(COL)).join(' ')}`);
for (const c of cases) console.log(`${c.name.padEnd(NAME)} ${ran.map((m) => crossoverCell(results.get(m.mode)!.sweeps[c.name]).padStart(COL)).join(' ')}`);
const capped = cases.filter((c) => caseBatches.get(c.name)!.at(-1)! < SWEEP_BATCHES.at(-1)!);
if (capped.length > 0) console.log(`  memory cap (2^${Math.log2(MAX_CASE_VALUES)} values per call): ${capped.map((c) => `${c.name} up to ${caseBatches.get(c.name)!.at(-1)}`).join('; ')}`);
for (const m of ran) {
  for (const c of cases) {
    const stopped = results.get(m.mode)!.sweeps[c.name].stopped;
    if (stopped !== null && stopped !== MEMORY_CAP) console.log(`  ${m.mode} / ${c.name}: ${stopped}`);
  }
}

if (longCases.length > 0) {
  console.log('\n## long reductions to few outputs (fixed sizes): ms per call');
  console.log(header);
  for (const c of longCases) {
    const cpu = await cpuTimes(c, 0);
    console.log(row(c.name, [fmt(cpu.reference), fmt(cpu.wasm), ...ran.map((m) => { const r = results.get(m.mode)!.long[c.name]; return 'error' in r ? 'error' : fmt(r.ms); })]));
  }
  console.log(row(CLIP_NAME, ['-', '-', ...ran.map((m) => { const r = results.get(m.mode)!.clip; return 'error' in r ? 'error' : fmt(r.ms); })]));
}
for (const m of ran) if (results.get(m.mode)!.liveArrays !== 0) console.log(`NOTE: ${m.mode} left ${results.get(m.mode)!.liveArrays} device arrays alive`);

const report = {
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? null, cores: availableParallelism(), load1AtStart: loadAtStart, load1AtEnd: loadAtEnd, node: process.version, chromium: browserVersion },
  cpu: { wasmSimd: wasmKernelsEnabled(), threads, gemmThreads: wasmGemmThreads() },
  filter: filter ?? null,
  sweepBatches: SWEEP_BATCHES,
  modes,
  tables,
  cases: await Promise.all(
    cases.map(async (c) => ({
      name: c.name,
      op: c.op,
      cpuByBatch: Object.fromEntries(await Promise.all(caseBatches.get(c.name)!.filter((B) => cpuCache.has(`${c.name}@${B}`)).map(async (B) => [B, await cpuTimes(c, B)]))),
      modes: Object.fromEntries(ran.map((m) => [m.mode, results.get(m.mode)!.sweeps[c.name]])),
    })),
  ),
  long: await Promise.all(longCases.map(async (c) => ({ name: c.name, op: c.op, cpu: await cpuTimes(c, 0), modes: Object.fromEntries(ran.map((m) => [m.mode, results.get(m.mode)!.long[c.name]])) }))),
  clip: Object.fromEntries(ran.map((m) => [m.mode, results.get(m.mode)!.clip])),
};
writeFileAtomic(flags.out!, `${JSON.stringify(report, null, 1)}\n`);
console.log(`\nwrote ${flags.out}`);
await stopWasmThreads();
