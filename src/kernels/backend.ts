// Backends and kernel selection: which implementation of an op runs, chosen per op and per input size.
//
// A backend is a (possibly partial) table of kernels. `reference` (typed-array TypeScript, src/kernels/cpu)
// implements every op and is the spec; faster backends (WebAssembly SIMD, gpu.js) register in front of it
// and may decline an op for given inputs (`accepts`), e.g. below a size where their call overhead wins.
// NETMOE_KERNELS=reference forces the reference path everywhere, for debugging.

import type { OpAttrs, OpName } from '../tensor/op-table.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** A kernel returns its outputs and anything extra the gradient rule will need. */
export interface KernelResult {
  outputs: Tensor[];
  saved?: Tensor[];
}

/** Kernels receive validated inputs (front-end functions check shapes) and never touch autograd. */
export type Kernel<K extends OpName> = (inputs: readonly Tensor[], attrs: OpAttrs[K]) => KernelResult;

export type KernelsFor<Ops> = { [K in keyof Ops & OpName]: Kernel<K> };
export type KernelTable = KernelsFor<OpAttrs>;

export interface Backend {
  readonly name: string;
  readonly kernels: Partial<KernelTable>;
  /** Per-op admission test; a missing entry means the backend takes every call of that op it implements. */
  readonly accepts?: { [K in OpName]?: (inputs: readonly Tensor[], attrs: OpAttrs[K]) => boolean };
}

const backends: Backend[] = [];

/**
 * Register a backend. It is tried before those already registered, except with `fallback: true`
 * (the reference backend), which goes last.
 */
export function registerBackend(backend: Backend, options: { fallback?: boolean } = {}): void {
  const existing = backends.findIndex((b) => b.name === backend.name);
  if (existing >= 0) backends.splice(existing, 1);
  if (options.fallback) backends.push(backend);
  else backends.unshift(backend);
}

export function unregisterBackend(name: string): void {
  const i = backends.findIndex((b) => b.name === name);
  if (i >= 0 && name !== 'reference') backends.splice(i, 1);
}

export function registeredBackends(): readonly string[] {
  return backends.map((b) => b.name);
}

const forceReference = typeof process !== 'undefined' && process.env?.NETMOE_KERNELS === 'reference';

/** The kernel that runs `op` on these inputs: the first backend that implements and accepts it. */
export function pickKernel<K extends OpName>(op: K, inputs: readonly Tensor[], attrs: OpAttrs[K]): Kernel<K> {
  for (const backend of backends) {
    if (forceReference && backend.name !== 'reference') continue;
    const kernel = backend.kernels[op] as Kernel<K> | undefined;
    if (kernel === undefined) continue;
    const accepts = backend.accepts?.[op] as ((inputs: readonly Tensor[], attrs: OpAttrs[K]) => boolean) | undefined;
    if (accepts === undefined || accepts(inputs, attrs)) return kernel;
  }
  throw new Error(`${op}: no registered backend implements this op (backends: ${registeredBackends().join(', ') || 'none'})`);
}
