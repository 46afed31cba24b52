// Expert capacities of a routing plan: how many rows each expert's block gets (its token count, or that count rounded up to a bucket).
//
// Why buckets: an expert's block is [rows_e, D], and rows_e changes every step with the routing. gpu.js fixes a
// kernel's output and argument sizes when it compiles it, so every new row count compiles new kernels (the
// expert's dense forward and backward, the dispatch and combine passes): on a GL or WebGPU device, where a
// compile takes milliseconds to tens of milliseconds, MoE training becomes compile-bound and the kernel cache
// grows without bound. Rounding each count up to one of a few sizes per doubling bounds the set of block
// shapes a run ever sees; the padded rows are zeros that the experts compute and the combine ignores.
// The CPU needs no fixed shapes, but pads alike (bit-for-bit the same results), so a plan means one thing on
// every backend.

/**
 * How a routing plan sizes each expert's block:
 * - `'bucket'` (the default): rows_e = bucketCapacity(count_e); the extra rows are padding (see routing.ts).
 * - `'exact'`: rows_e = count_e, no padding (one kernel shape per distinct count on a GPU).
 */
export type Capacity = 'bucket' | 'exact';

/** The smallest granule: blocks of fewer than 32 tokens round up to a multiple of 8 rows. */
export const MIN_GRANULE = 8;

/**
 * The rows of a block that holds `count` tokens: `count` rounded up to a multiple of the granule
 * max(8, 2^floor(log2 count) / 4), so 4 sizes per doubling above 32 (160, 192, 224, 256, then 320, ...)
 * and multiples of 8 below. Padding is under one granule: fewer than max(8, count / 4) rows, i.e. at most
 * 25% of the count or 7 rows. An expert with no tokens keeps an empty block.
 *
 * @example
 * [0, 1, 8, 9, 33, 100, 129, 600].map(bucketCapacity);   // [0, 8, 8, 16, 40, 112, 160, 640]
 */
export function bucketCapacity(count: number): number {
  if (count <= 0) return 0;
  let power = 1; // 2^floor(log2 count), by doubling: exact for any integer count
  while (power * 2 <= count) power *= 2;
  const granule = Math.max(MIN_GRANULE, power / 4);
  return Math.ceil(count / granule) * granule;
}

/** Block rows for `count` tokens under `capacity`. */
export function capacityOf(count: number, capacity: Capacity): number {
  return capacity === 'bucket' ? bucketCapacity(count) : count;
}

/**
 * Length of a plan's slot arrays (tokenOfSlot, pairOfSlot) for `pairs` = N·k routing choices over
 * `numExperts` experts. Exact: one slot per pair. Bucketed: a length that depends on (N, k, E) only, never on
 * the routing, so the uploads and gathers of the slot arrays compile once; it bounds the padded total
 * Σ_e bucketCapacity(count_e) <= N·k + Σ_e max(7, floor(count_e / 4)) <= N·k + floor(N·k / 4) + 7·E.
 * The slots past the last expert's block belong to no expert (padding, like the blocks' extra rows).
 */
export function slotCount(pairs: number, numExperts: number, capacity: Capacity): number {
  return capacity === 'bucket' ? pairs + Math.floor(pairs / 4) + (MIN_GRANULE - 1) * numExperts : pairs;
}
