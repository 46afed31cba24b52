// Seeded random streams: every random number in netmoe (init, dropout, shuffling, data) comes from one of these.

import seedrandom from 'seedrandom';

/**
 * A deterministic random stream built on seedrandom's ARC4 generator. The same seed gives the same
 * sequence on every machine, so the same seed gives bit-identical tensors and runs.
 *
 * @example
 * const rng = new Rng(42);
 * const w = randn([3, 4], { rng });
 */
export class Rng {
  private readonly prng: seedrandom.PRNG;
  private spareNormal: number | null = null;

  constructor(readonly seed: number | string) {
    this.prng = seedrandom(String(seed));
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.prng();
  }

  /**
   * Uniform in [0, 1) with 32 random bits instead of 53: one ARC4 draw instead of two, about twice as
   * fast. Enough for masks and coin flips (dropout), not for values that need full double precision.
   */
  quick(): number {
    return this.prng.quick();
  }

  /** Uniform in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.prng();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.prng() * n);
  }

  /** Standard normal by the Box-Muller transform (the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.prng(); // log(0) would be -Infinity
    const v = this.prng();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An independent child stream, derived deterministically (e.g. one per layer or per epoch). */
  fork(label: string | number): Rng {
    return new Rng(`${this.seed}/${label}/${this.int(2 ** 31)}`);
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}
