// Benchmarks of the gpu.js backend (WebAssembly mode, the one Node has without headless-gl) against the CPU kernels at DCL-MoE's batch 64.

import type { BenchCase } from '../harness.ts';
import * as nm from '../../src/index.ts';
import { cpuKernels } from '../../src/kernels/cpu/index.ts';
import type { Kernel, KernelTable } from '../../src/kernels/backend.ts';
import type { OpAttrs, OpName } from '../../src/tensor/op-table.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import { createGpuContext, gpuKernels } from '../../src/kernels/gpu/index.ts';
import { deviceTensor, stridedCopy } from '../../src/kernels/gpu/device.ts';

function cases(): BenchCase[] {
  const context = createGpuContext('webasm');
  const gpu: Partial<KernelTable> = gpuKernels(context);
  const rng = new nm.Rng('bench/gpu');
  const normal = (shape: number[]): Tensor => nm.randn(shape, { rng }).keep();
  const onDevice = (x: Tensor): Tensor => deviceTensor(stridedCopy(context, x)!, x.shape).keep();
  const B = 64;
  const ops: { name: string; op: OpName; attrs: OpAttrs[OpName]; inputs: Tensor[]; flops?: number }[] = [
    { name: 'dense 40->128 relu', op: 'dense', attrs: { activation: 'relu' }, inputs: [normal([B, 40]), normal([40, 128]), normal([128])], flops: 2 * B * 40 * 128 },
    { name: 'conv1d 40x1 * 3x1x64 relu', op: 'conv1d', attrs: { stride: 1, padLeft: 0, outLength: 38, activation: 'relu' }, inputs: [normal([B, 40, 1]), normal([3, 1, 64]), normal([64])], flops: 2 * B * 38 * 3 * 64 },
    { name: 'softmax [64, 20]', op: 'softmax', attrs: { axis: 1 }, inputs: [normal([B, 20])] },
  ];
  return ops.flatMap(({ name, op, attrs, inputs, flops }) => {
    const run = (kernel: Kernel<OpName>, xs: Tensor[]) => (): void => {
      const { outputs, saved = [] } = kernel(xs, attrs);
      for (const t of [...outputs, ...saved]) t.dispose();
    };
    const deviceInputs = inputs.map(onDevice);
    return [
      { name: `${name}: cpu`, flops, fn: run(cpuKernels[op] as Kernel<OpName>, inputs) },
      { name: `${name}: gpu.js webasm`, flops, fn: run(gpu[op] as Kernel<OpName>, deviceInputs) },
    ];
  });
}

export const suite = { title: 'gpu.js backend (webasm) vs CPU kernels, batch 64 (full table: npm run bench:gpu)', cases };
