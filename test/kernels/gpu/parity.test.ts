// Backend parity: every gpu.js kernel against the CPU kernel on the same float32 inputs, in each gpu.js mode that runs here.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuKernels } from '../../../src/kernels/cpu/index.ts';
import type { Kernel } from '../../../src/kernels/backend.ts';
import type { OpName } from '../../../src/tensor/op-table.ts';
import type { Tensor } from '../../../src/tensor/tensor.ts';
import { tidy } from '../../../src/tensor/storage.ts';
import { createGpuBackend, createGpuContext, gpuKernels } from '../../../src/kernels/gpu/index.ts';
import { GpuContext } from '../../../src/kernels/gpu/context.ts';
import { parityCases } from './parity-cases.ts';
import { RTOL, atolFor, withinTolerance } from './parity-tolerance.ts';
import { admitsRoutingOp } from '../../../src/kernels/gpu/routing.ts';
import { gpuTestModes } from './gpu-modes.ts';
import * as nm from '../../../src/index.ts';

function compare(gpu: Tensor, cpu: Tensor, label: string, atol: number): void {
  expect(gpu.shape, `${label}: shape`).toEqual(cpu.shape);
  expect(gpu.dtype, `${label}: dtype`).toBe(cpu.dtype);
  const g = gpu.toFlatArray();
  const c = cpu.toFlatArray();
  for (let i = 0; i < c.length; i++) {
    if (!withinTolerance(g[i], c[i], atol)) expect.fail(`${label}: element ${i}: gpu ${g[i]}, cpu ${c[i]} (rtol ${RTOL}, atol ${atol})`);
  }
}

// The modes CI always has: WebAssembly (the gpu.js backend Node falls back to) and gpu.js's transpiled-JS cpu mode;
// headless-gl (the native `gl` package, under an X server: scripts/headlessgl.sh) runs where the probe finds
// it and is skipped with its reason elsewhere. NETMOE_GPU_MODES names the modes instead (see gpu-modes.ts).
const MODES = gpuTestModes(['webasm', 'cpu']);

for (const { mode, skip } of MODES) describe.skipIf(skip !== null)(`gpu.js ${mode} kernels match the CPU kernels${skip === null ? '' : ` (skipped: ${skip})`}`, () => {
  // Built when the suite runs, not when it is collected: a skipped mode never builds one.
  let context: GpuContext;
  let kernels: ReturnType<typeof gpuKernels>;
  let backend: ReturnType<typeof createGpuBackend>;
  beforeAll(() => {
    context = createGpuContext(mode);
    kernels = gpuKernels(context);
    backend = createGpuBackend(context);
  });
  afterAll(() => context?.dispose());

  it.each(parityCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    tidy(() => {
      const kernel = kernels[c.op] as Kernel<OpName> | undefined;
      expect(kernel, `${c.op} has a GPU kernel`).toBeDefined();
      const inputs = c.inputs();
      const accepts = backend.accepts?.[c.op] as ((x: readonly Tensor[], a: unknown) => boolean) | undefined;
      // The routing choice runs on the CPU in the emulated modes by measurement (routing.ts): its kernels are checked all the same.
      expect(accepts?.(inputs, c.attrs) ?? true, `${c.op}: the GPU backend accepts these inputs`).toBe(admitsRoutingOp(c.op, mode));
      const expected = (cpuKernels[c.op] as Kernel<OpName>)(inputs, c.attrs);
      const got = kernel!(c.inputs(), c.attrs);
      // Outputs stay on the device until read: nothing was downloaded by the kernel itself.
      for (const y of got.outputs) expect(y.storage.device, `${c.op}: output is device-resident`).not.toBeNull();
      expect(got.outputs.length).toBe(expected.outputs.length);
      got.outputs.forEach((y, i) => compare(y, expected.outputs[i], `${c.op} output ${i}`, atolFor(c)));
      expect(got.saved?.length ?? 0).toBe(expected.saved?.length ?? 0);
      (got.saved ?? []).forEach((s, i) => compare(s, expected.saved![i], `${c.op} saved ${i}`, atolFor(c)));
    });
  });
});

describe('parity coverage', () => {
  it('every op with a GPU kernel has at least one parity case', () => {
    const context = createGpuContext('cpu');
    const withKernel = Object.keys(gpuKernels(context)).sort();
    context.dispose();
    const covered = new Set(parityCases.map((c) => c.op));
    expect(withKernel.filter((op) => !covered.has(op as OpName))).toEqual([]);
  });
});

describe('admission', () => {
  it('declines float64 (gradient checks), int32 arithmetic and empty tensors; takes int32 labels where an op expects them', () => {
    const context = createGpuContext('cpu');
    const accepts = createGpuBackend(context).accepts!;
    const f32 = nm.tensor([[1, 2], [3, 4]]);
    const f64 = nm.tensor([[1, 2], [3, 4]], { dtype: 'float64' });
    const i32 = nm.tensor([1, 0], { dtype: 'int32' });
    expect(accepts.add!([f32, f32], {})).toBe(true);
    expect(accepts.add!([f64, f64], {})).toBe(false);
    expect(accepts.add!([i32, i32], {})).toBe(false);
    expect(accepts.relu!([nm.zeros([0, 3])], {})).toBe(false);
    expect(accepts.nllFromProbs!([f32, i32], { reduction: 'mean', eps: 1e-7 })).toBe(true);
    expect(accepts.nllFromProbs!([f64, i32], { reduction: 'mean', eps: 1e-7 })).toBe(false);
    context.dispose();
  });
});
