// `npx tsx bench/gpu-routing.ts`: where top-k routing runs fastest when the router logits are on the gpu.js device, and the MoE ops CPU vs GPU.
//
// A routing plan's counts fix the experts' batch shapes, so the host must learn something every step. Three
// ways to get there from device-resident logits [N, E], each timed end to end with its transfers:
//   A  top-k on the device, plan on the CPU:  download indices [N, k], counting sort, upload the plan's maps
//   B  top-k and plan on the device:          blocked counting sort in kernels, download counts [E]
//   C  both on the CPU:                       download logits [N, E], select, sort, upload weights and maps
// and, for scale, the reference CPU kernels alone (no device), then each MoE op CPU vs device.
// Sizes: TrafficMoE-ish tokens N = B·T = 64·50 and 1024·50, E = 8 experts, top-2, D = 64.
// Then `steps`: whole top-k MoE block training steps (N = 640, E = 8, k = 2, D = 64, fresh routing every
// step) with exact and with bucketed expert capacities: kernels compiled per step and ms per step.
// Filter: npx tsx bench/gpu-routing.ts [webasm | headlessgl] [route | steps]

import { cpuKernels } from '../src/kernels/cpu/index.ts';
import type { Kernel, KernelTable } from '../src/kernels/backend.ts';
import type { OpAttrs, OpName } from '../src/tensor/op-table.ts';
import { type Tensor, tensorFromData } from '../src/tensor/tensor.ts';
import * as nm from '../src/index.ts';
import { createGpuContext, gpuKernels, probeGpu, type GpuContext, type GpuMode } from '../src/kernels/gpu/index.ts';
import type { GpuArray } from '../src/kernels/gpu/context.ts';
import { deviceTensor, storageArg, stridedCopy } from '../src/kernels/gpu/device.ts';
import { useBackend } from '../src/kernels/gpu/index.ts';
import { type Capacity, capacityOf } from '../src/tensor/ops/routing-capacity.ts';

const E = 8;
const K = 2;
const D = 64;
/** The plans the route timings build: the engine's default. */
const CAPACITY: Capacity = 'bucket';
const SIZES: [string, number][] = [
  ['B·T = 64·50', 64 * 50],
  ['B·T = 1024·50', 1024 * 50],
];

/**
 * Median ms per call of several functions timed in alternation (one round of each in turn), so a machine
 * whose load changes during the run (other jobs on 2 cores) weighs on each of them alike.
 */
function timeInterleaved(fns: readonly (() => void)[], rounds = 9): number[] {
  const reps = fns.map((fn) => {
    fn();
    let n = 1;
    for (;;) {
      const t = performance.now();
      for (let i = 0; i < n; i++) fn();
      if (performance.now() - t >= 30 || n >= 1 << 12) return n;
      n *= 2;
    }
  });
  const samples: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, k) => {
      const t = performance.now();
      for (let i = 0; i < reps[k]; i++) fn();
      samples[k].push((performance.now() - t) / reps[k]);
    });
  }
  return samples.map((s) => s.sort((a, b) => a - b)[Math.floor(rounds / 2)]);
}

const run = <K extends OpName>(table: Partial<KernelTable>, op: K, inputs: Tensor[], attrs: OpAttrs[K]): Tensor[] => (table[op] as Kernel<K>)(inputs, attrs).outputs;
const dispose = (ts: readonly Tensor[]): void => ts.forEach((t) => t.dispose());
/** Device -> host copy of a device-resident tensor, leaving the tensor on the device (counted in stats.downloads). */
const download = (t: Tensor): Tensor => tensorFromData((t.storage.device as GpuArray).download(), t.shape, t.dtype);
/** Host -> device, as a GPU kernel reading a host tensor does. */
const upload = (context: GpuContext, ts: readonly Tensor[]): void => ts.forEach((t) => void storageArg(context, t));

/** The three ways from device logits to (weights, plan) with the host knowing the counts; each frees what it made. */
function routeChoices(context: GpuContext, gpu: Partial<KernelTable>, logits: Tensor): Record<'A' | 'B' | 'C', () => void> {
  return {
    A: () => {
      const [weights, indices] = run(gpu, 'topkSoftmax', [logits], { k: K });
      const host = download(indices);
      const plan = run(cpuKernels, 'moeRoute', [host], { numExperts: E, capacity: CAPACITY });
      upload(context, plan.slice(0, 3));
      dispose([weights, indices, host, ...plan]);
    },
    B: () => {
      const [weights, indices] = run(gpu, 'topkSoftmax', [logits], { k: K });
      const plan = run(gpu, 'moeRoute', [indices], { numExperts: E, capacity: CAPACITY });
      download(plan[3]).dispose();
      dispose([weights, indices, ...plan]);
    },
    C: () => {
      const host = download(logits);
      const [weights, indices] = run(cpuKernels, 'topkSoftmax', [host], { k: K });
      const plan = run(cpuKernels, 'moeRoute', [indices], { numExperts: E, capacity: CAPACITY });
      upload(context, [weights, ...plan.slice(0, 3)]);
      dispose([host, weights, indices, ...plan]);
    },
  };
}

/** The MoE ops at one size, inputs built once: [name, op, inputs, attrs]. */
function moeOps(N: number): [string, OpName, Tensor[], OpAttrs[OpName]][] {
  const rng = new nm.Rng('bench/gpu-routing');
  const logits = nm.randn([N, E], { rng }).keep();
  const [weights, indices] = cpuKernels.topkSoftmax([logits], { k: K }).outputs.map((t) => t.keep());
  const [tokenOfSlot, pairOfSlot, slotOfPair, counts] = cpuKernels.moeRoute([indices], { numExperts: E, capacity: CAPACITY }).outputs.map((t) => t.keep());
  const c = Array.from(counts.values, (n) => capacityOf(n, CAPACITY));
  const x = nm.randn([N, D], { rng }).keep();
  const dy = nm.randn([N, D], { rng }).keep();
  const ys = c.map((n) => nm.randn([n, D], { rng }).keep());
  return [
    ['topkSoftmax', 'topkSoftmax', [logits], { k: K }],
    ['topkBackward', 'topkBackward', [weights, indices], { size: E }],
    ['moeRoute', 'moeRoute', [indices], { numExperts: E, capacity: CAPACITY }],
    ['moeDispatch', 'moeDispatch', [x, tokenOfSlot, slotOfPair], { capacities: c }],
    ['moeDispatchBackward', 'moeDispatchBackward', [tokenOfSlot, slotOfPair, ...ys], {}],
    ['moeCombine', 'moeCombine', [weights, pairOfSlot, slotOfPair, ...ys], {}],
    ['moeCombineBackward', 'moeCombineBackward', [dy, weights, pairOfSlot, slotOfPair, ...ys], {}],
  ];
}

/** Device copies of the float inputs (activations live there in training); int32 plan maps stay host-side once, then device. */
function onDevice(context: GpuContext, inputs: Tensor[]): Tensor[] {
  return inputs.map((x) => (x.size > 0 ? deviceTensor(stridedCopy(context, x)!, x.shape, x.dtype).keep() : x));
}

const args = process.argv.slice(2);
const filter = args.find((a) => a !== 'route' && a !== 'steps');
const sections = args.includes('route') || args.includes('steps') ? args.filter((a) => a === 'route' || a === 'steps') : ['route', 'steps'];
const modes: GpuMode[] = ['webasm'];
const hardware = probeGpu(['headlessgl']);
if (hardware.context) modes.unshift('headlessgl');
hardware.context?.dispose();
const fmt = (ms: number): string => (ms < 1 ? ms.toFixed(3) : ms.toFixed(2)).padStart(9);

console.log(`gpu.js modes here: ${modes.join(', ')}${hardware.context ? '' : ` (headlessgl: ${hardware.attempts[0].error})`}`);
for (const mode of modes) {
  if ((filter && mode !== filter) || !sections.includes('route')) continue;
  const context = createGpuContext(mode);
  const gpu = gpuKernels(context);
  for (const [label, N] of SIZES) {
    console.log(`\n## ${mode}, ${label} tokens, E = ${E}, k = ${K}, D = ${D}: ms per call`);
    const rng = new nm.Rng('bench/gpu-routing/logits');
    const hostLogits = nm.randn([N, E], { rng }).keep();
    const logits = deviceTensor(stridedCopy(context, hostLogits)!, [N, E]).keep();
    const cpuOnly = (): void => {
      const [w, i] = run(cpuKernels, 'topkSoftmax', [hostLogits], { k: K });
      const plan = run(cpuKernels, 'moeRoute', [i], { numExperts: E, capacity: CAPACITY });
      dispose([w, i, ...plan]);
    };
    const choices = routeChoices(context, gpu, logits);
    const keys = ['A', 'B', 'C'] as const;
    const downloads = keys.map((key) => {
      const before = context.stats.downloads;
      choices[key]();
      return context.stats.downloads - before;
    });
    const [reference, ...times] = timeInterleaved([cpuOnly, ...keys.map((key) => choices[key])]);
    console.log(`${'route, reference CPU kernels (no device)'.padEnd(52)} ${fmt(reference)}`);
    const names = { A: 'A top-k on device, plan on CPU (download N·k)', B: 'B top-k and plan on device (download E)', C: 'C both on CPU (download N·E)' };
    keys.forEach((key, i) => console.log(`${`route, ${names[key]}`.padEnd(52)} ${fmt(times[i])}   (${downloads[i]} download per call)`));
    logits.dispose();
    hostLogits.dispose();
    // NOTE: a GL kernel call returns before the kernel has run (nothing waits for it without a readback), so
    // per-op times mean something only in the synchronous modes; the route times above end in a download.
    if (mode !== 'webasm' && mode !== 'cpu') {
      console.log('(per-op times: webasm only; a GL call returns before its kernel ran)');
      continue;
    }
    for (const [name, op, inputs, attrs] of moeOps(N)) {
      const device = onDevice(context, inputs);
      const [cpu, ms] = timeInterleaved([() => dispose(run(cpuKernels, op, inputs, attrs)), () => dispose(run(gpu, op, device, attrs))]);
      dispose(device.filter((t, i) => t !== inputs[i]));
      console.log(`${`${name}: cpu / ${mode}`.padEnd(52)} ${fmt(cpu)} ${fmt(ms)}  (${(cpu / ms).toFixed(2)}x)`);
    }
  }
  context.dispose();
}

// ---- steps: compiles per step of a whole MoE block, exact vs bucketed capacities ---------------------

const STEP_N = 640;
const STEPS = 20;
/** Steps 0..WARM_UP-1 meet new block shapes; the later ones show what a long run pays per step. */
const WARM_UP = 10;

/**
 * STEPS forward + backward passes of a top-k MoE block (router dense, top-2 of 8, dispatch, 8 dense+tanh
 * experts, combine) on the gpu backend, with a fresh batch x every step (so fresh routing), each ending with
 * a read of dx (so GL modes are timed to completion). Returns per step: kernels compiled, ms, capacities.
 */
function moeSteps(mode: GpuMode, capacity: Capacity): { compiles: number; ms: number; cached: number; capacities: readonly number[] }[] {
  const { context } = useBackend('gpu', { modes: [mode] });
  const rng = new nm.Rng('bench/gpu-routing/steps');
  const wRouter = nm.randn([D, E], { rng }).requireGrad().keep();
  const bRouter = nm.randn([E], { rng, std: 0.3 }).requireGrad().keep();
  const wExperts = Array.from({ length: E }, () => nm.randn([D, D], { rng, std: 0.2 }).requireGrad().keep());
  const bExperts = Array.from({ length: E }, () => nm.randn([D], { rng, std: 0.1 }).requireGrad().keep());
  const params = [wRouter, bRouter, ...wExperts, ...bExperts];
  const rows = [];
  for (let step = 0; step < STEPS; step++) {
    const before = context!.stats.compiles;
    const t = performance.now();
    let capacities: readonly number[] = [];
    nm.tidy(() => {
      const x = nm.randn([STEP_N, D], { rng }).requireGrad();
      const g = nm.randn([STEP_N, D], { rng });
      const { weights, indices } = nm.topkSoftmax(nm.dense(x, wRouter, bRouter), K);
      const plan = nm.routingPlan(indices, E, { capacity });
      capacities = plan.capacities;
      const ys = nm.moeDispatch(x, plan).map((xe, e) => (plan.counts[e] > 0 ? nm.dense(xe, wExperts[e], bExperts[e], 'tanh') : null));
      nm.sum(nm.mul(nm.moeCombine(ys, weights, plan), g)).backward();
      x.grad!.toFlatArray();
      for (const p of params) {
        p.grad?.dispose();
        p.grad = null;
      }
    });
    rows.push({ compiles: context!.stats.compiles - before, ms: performance.now() - t, cached: context!.cachedKernels, capacities });
  }
  params.forEach((p) => p.dispose());
  useBackend('cpu');
  return rows;
}

if (sections.includes('steps')) {
  for (const mode of modes) {
    if (filter && mode !== filter) continue;
    console.log(`\n## ${mode}: MoE block steps, N = ${STEP_N}, E = ${E}, k = ${K}, D = ${D}, fresh routing every step`);
    console.log(`${'capacity'.padEnd(10)} ${'compiles, steps 0-9'.padEnd(40)} ${'compiles, steps 10-19'.padEnd(40)} cache  ms/step: median of steps 10-19 | of the steps that compiled nothing`);
    for (const capacity of ['exact', 'bucket'] as const) {
      const rows = moeSteps(mode, capacity);
      const later = rows.slice(WARM_UP);
      const median = (ms: number[]): number => ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)] ?? NaN;
      const list = (rs: typeof rows): string => rs.map((r) => r.compiles).join(' ');
      const warm = median(rows.slice(1).filter((r) => r.compiles === 0).map((r) => r.ms));
      console.log(`${capacity.padEnd(10)} ${list(rows.slice(0, WARM_UP)).padEnd(40)} ${list(later).padEnd(40)} ${String(rows[rows.length - 1].cached).padStart(5)}  ${fmt(median(later.map((r) => r.ms)))} | ${fmt(warm)}`);
      const shapes = new Set(rows.flatMap((r) => r.capacities));
      const rowsComputed = rows.reduce((a, r) => a + r.capacities.reduce((b, c) => b + c, 0), 0) / (rows.length * STEP_N * K);
      console.log(`${''.padEnd(10)} ${shapes.size} distinct block sizes over ${STEPS} steps; expert rows computed: ${((rowsComputed - 1) * 100).toFixed(1)}% more than the tokens routed`);
    }
  }
}
