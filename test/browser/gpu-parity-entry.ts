// Browser entry for the GPU parity run: every parity case on a gpu.js GL mode in the page, results as JSON on globalThis.
//
// Bundled by test/kernels/gpu/browser-parity.test.ts (esbuild, IIFE) and run in headless Chromium on
// SwiftShader. It does what test/kernels/gpu/parity.test.ts does per case, with the same tolerances
// (./parity-tolerance.ts), but reports instead of asserting: vitest runs in Node, the kernels in the page.

import { cpuKernels } from '../../src/kernels/cpu/index.ts';
import type { Kernel } from '../../src/kernels/backend.ts';
import type { OpName } from '../../src/tensor/op-table.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { tidy } from '../../src/tensor/storage.ts';
import { createGpuBackend, createGpuContext, gpuKernels, type GpuMode } from '../../src/kernels/gpu/index.ts';
import { parityCases, type ParityCase } from '../kernels/gpu/parity-cases.ts';
import { RTOL, atolFor, withinTolerance } from '../kernels/gpu/parity-tolerance.ts';

/** One case's outcome: `failure` is null when every output and saved tensor is within tolerance. */
export interface BrowserParityResult {
  name: string;
  op: OpName;
  failure: string | null;
  /** Largest |gpu - cpu| over all compared elements (NaN pairs excluded). */
  maxAbsError: number;
  /** Largest |gpu - cpu| / (atol + RTOL·|cpu|): below 1 means within tolerance. */
  maxToleranceRatio: number;
}

export interface BrowserParityReport {
  mode: GpuMode;
  /** The WebGL renderer string (SwiftShader here), or why it could not be read. */
  renderer: string;
  results: BrowserParityResult[];
  /** Set when the mode could not start at all (no context, probe failed). */
  error: string | null;
  ms: number;
}

/** Compare one GPU tensor with its CPU counterpart; returns a failure message or null, and updates the error stats. */
function compare(gpu: Tensor, cpu: Tensor, label: string, atol: number, stats: { maxAbsError: number; maxToleranceRatio: number }): string | null {
  if (gpu.shape.join(',') !== cpu.shape.join(',')) return `${label}: shape gpu [${gpu.shape}] cpu [${cpu.shape}]`;
  if (gpu.dtype !== cpu.dtype) return `${label}: dtype gpu ${gpu.dtype} cpu ${cpu.dtype}`;
  const g = gpu.toFlatArray();
  const c = cpu.toFlatArray();
  for (let i = 0; i < c.length; i++) {
    if (!withinTolerance(g[i], c[i], atol)) return `${label}: element ${i}: gpu ${g[i]}, cpu ${c[i]} (rtol ${RTOL}, atol ${atol})`;
    if (Number.isNaN(c[i])) continue;
    const err = Math.abs(g[i] - c[i]);
    stats.maxAbsError = Math.max(stats.maxAbsError, err);
    stats.maxToleranceRatio = Math.max(stats.maxToleranceRatio, err / (atol + RTOL * Math.abs(c[i])));
  }
  return null;
}

function runCase(c: ParityCase, kernels: ReturnType<typeof gpuKernels>, accepts: ReturnType<typeof createGpuBackend>['accepts']): BrowserParityResult {
  const stats = { maxAbsError: 0, maxToleranceRatio: 0 };
  let failure: string | null = null;
  try {
    tidy(() => {
      const kernel = kernels[c.op] as Kernel<OpName> | undefined;
      if (kernel === undefined) return void (failure = `${c.op} has no GPU kernel`);
      const inputs = c.inputs();
      const accept = accepts?.[c.op] as ((x: readonly Tensor[], a: unknown) => boolean) | undefined;
      if (!(accept?.(inputs, c.attrs) ?? true)) return void (failure = `${c.op}: the GPU backend declines these inputs`);
      const expected = (cpuKernels[c.op] as Kernel<OpName>)(inputs, c.attrs);
      const got = kernel(c.inputs(), c.attrs);
      if (got.outputs.some((y) => y.storage.device === null)) return void (failure = `${c.op}: an output is not device-resident`);
      if (got.outputs.length !== expected.outputs.length) return void (failure = `${c.op}: ${got.outputs.length} outputs, cpu ${expected.outputs.length}`);
      if ((got.saved?.length ?? 0) !== (expected.saved?.length ?? 0)) return void (failure = `${c.op}: saved count differs`);
      const pairs = [
        ...got.outputs.map((y, i) => [y, expected.outputs[i], `${c.op} output ${i}`] as const),
        ...(got.saved ?? []).map((s, i) => [s, expected.saved![i], `${c.op} saved ${i}`] as const),
      ];
      for (const [g, e, label] of pairs) {
        failure = compare(g, e, label, atolFor(c), stats);
        if (failure !== null) return;
      }
    });
  } catch (error) {
    failure = `${c.op}: threw ${error instanceof Error ? error.message : String(error)}`;
  }
  return { name: c.name, op: c.op, failure, ...stats };
}

/** The renderer behind `mode`'s WebGL context in this page (to show SwiftShader really ran). */
function rendererName(mode: GpuMode): string {
  try {
    const doc = (globalThis as { document?: { createElement(tag: string): { getContext(kind: string): unknown } } }).document;
    const gl = doc?.createElement('canvas').getContext(mode) as
      | { getExtension(name: string): { UNMASKED_RENDERER_WEBGL: number } | null; getParameter(p: number): string; RENDERER: number }
      | null;
    if (!gl) return `no ${mode} context`;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    return gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
  } catch (error) {
    return `unknown (${String(error)})`;
  }
}

/** Run every parity case on `mode` in this page. */
export function runBrowserParity(mode: GpuMode): BrowserParityReport {
  const start = performance.now();
  let context: ReturnType<typeof createGpuContext> | null = null;
  try {
    context = createGpuContext(mode);
    const kernels = gpuKernels(context);
    const { accepts } = createGpuBackend(context);
    const results = parityCases.map((c) => runCase(c, kernels, accepts));
    return { mode, renderer: rendererName(mode), results, error: null, ms: performance.now() - start };
  } catch (error) {
    return { mode, renderer: rendererName(mode), results: [], error: error instanceof Error ? error.message : String(error), ms: performance.now() - start };
  } finally {
    context?.dispose();
  }
}

// The driver calls this from the page (page.evaluate) once per mode.
(globalThis as { runBrowserParity?: typeof runBrowserParity }).runBrowserParity = runBrowserParity;
