// The GPU parity tolerances, shared by the Node parity test and the headless-Chromium one (one source of truth).

import type { ParityCase } from './parity-cases.ts';

/** rtol ~1e-4; atol grows with the reduction length (float32 sums of n terms carry ~n·2^-24 relative error). */
export const RTOL = 1e-4;
export const atolFor = (c: ParityCase): number => 1e-5 * Math.max(1, Math.sqrt(c.reduction ?? 1));

/** |g - c| <= atol + RTOL·|c| (NaN only where the CPU has NaN). */
export const withinTolerance = (g: number, c: number, atol: number): boolean =>
  Number.isNaN(c) ? Number.isNaN(g) : g === c || Math.abs(g - c) <= atol + RTOL * Math.abs(c);
