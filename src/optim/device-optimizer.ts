// The hook through which a device backend supplies its optimisers, one factory per kind (so the trainer never imports a backend).

import type { NamedParameter } from '../layers/module.ts';
import type { AdamOptions } from './adam.ts';
import type { Optimizer } from './optimizer.ts';
import type { SgdOptions } from './sgd.ts';

/**
 * What a device optimiser does to the raw gradients inside its step, so they never go to the host for
 * `applyL2Penalty` or `clipGradNorm` (src/optim/regularisation.ts). Both default to 0 (off).
 */
export interface DeviceGradientOptions {
  /** λ of an L2 penalty λ Σ ||w||² over the parameters with `decay`, folded in as g += 2λw. */
  l2?: number;
  /** Scale the gradients (after the L2 term) so their global L2 norm is at most this. */
  clipNorm?: number;
}

/** Each optimiser kind's options on a device: the host optimiser's, plus the folded gradient terms. */
export interface DeviceOptimizerOptions {
  adam: AdamOptions & DeviceGradientOptions;
  adamw: AdamOptions & DeviceGradientOptions;
  sgd: SgdOptions & DeviceGradientOptions;
}

export type DeviceOptimizerKind = keyof DeviceOptimizerOptions;

/** A backend's optimisers whose parameters and state live on its device, keyed by kind. */
export type DeviceOptimizerFactories = {
  [K in DeviceOptimizerKind]: (params: NamedParameter[], options: DeviceOptimizerOptions[K]) => Optimizer;
};

let factories: DeviceOptimizerFactories | null = null;

/** Called by a device backend when it becomes active (and with null when it is removed). */
export function setDeviceOptimizers(next: DeviceOptimizerFactories | null): void {
  factories = next;
}

/**
 * The active device backend's optimiser factories, or null when training runs on the host.
 *
 * @example
 * const device = deviceOptimizers();
 * const opt = device ? device.sgd(params, { lr: 0.1, momentum: 0.9, l2: 1e-4 }) : new Sgd(params, { lr: 0.1, momentum: 0.9 });
 */
export function deviceOptimizers(): DeviceOptimizerFactories | null {
  return factories;
}
