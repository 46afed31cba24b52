// The reference backend: typed-array TypeScript kernels for every op (the spec all other backends match).

import type { Backend, KernelTable } from '../backend.ts';
import { elementwiseKernels } from './elementwise.ts';
import { reduceKernels } from './reduce.ts';
import { movementKernels } from './movement.ts';
import { linalgKernels } from './linalg.ts';
import { convKernels } from './conv.ts';
import { normalizationKernels } from './normalization.ts';
import { recurrentKernels } from './recurrent.ts';
import { lossKernels } from './loss.ts';
import { routingKernels } from './routing.ts';

/** Every op's CPU kernel. A mapped type: an op without a kernel here is a compile error. */
export const cpuKernels: KernelTable = {
  ...elementwiseKernels,
  ...reduceKernels,
  ...movementKernels,
  ...linalgKernels,
  ...convKernels,
  ...normalizationKernels,
  ...recurrentKernels,
  ...lossKernels,
  ...routingKernels,
};

export const referenceBackend: Backend = { name: 'reference', kernels: cpuKernels };
