// The hook through which a device backend supplies its own Adam (so the trainer never imports a backend).

import type { NamedParameter } from '../layers/module.ts';
import type { Optimizer } from './optimizer.ts';

/** Builds an Adam whose state lives on a device, with the L2 penalty folded into its update. */
export type DeviceAdamFactory = (params: NamedParameter[], options: { lr: number; l2: number }) => Optimizer;

let factory: DeviceAdamFactory | null = null;

/** Called by a device backend when it becomes active (and with null when it is removed). */
export function setDeviceAdamFactory(next: DeviceAdamFactory | null): void {
  factory = next;
}

/** The active device backend's Adam factory, or null when training runs on the host. */
export function deviceAdamFactory(): DeviceAdamFactory | null {
  return factory;
}
