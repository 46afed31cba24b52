// SimulationRng: the generator's seeded random source (Alea; the engine's Rng in src/tensor/random.ts serves the models): distributions for sizes and timing, and a fast filler for encrypted-looking bytes.
import seedrandom from 'seedrandom';

/**
 * A seeded random stream. Every draw of the synthetic generator goes through one of these, so the same seed
 * gives byte-identical captures.
 *
 * @example
 *   const rng = new SimulationRng('builtin-v1/dns/0');
 *   const size = rng.int(40, 80);
 */
export class SimulationRng {
  // Alea: fast, good enough for simulation, and seedrandom makes it reproducible across platforms.
  private readonly next: seedrandom.PRNG;

  constructor(readonly seed: string) {
    this.next = seedrandom.alea(seed);
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi], both ends included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('SimulationRng.pick: empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Standard normal via Box-Muller (one value per call; the pair's twin is dropped to keep the stream simple). */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.next(); // (0, 1]: log(0) would be -inf
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal given its median: human think times and object sizes are heavy-tailed like this. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Log-uniform in [lo, hi): every order of magnitude equally likely (RTTs, bandwidths, file sizes). */
  logUniform(lo: number, hi: number): number {
    return lo * Math.exp(this.next() * Math.log(hi / lo));
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    return this.next.int32() >>> 0;
  }

  /**
   * Fills `bytes` with random bytes (the stand-in for ciphertext).
   * NOTE: payload bytes are most of the output, so they come from an inline xorshift32 seeded by the main stream
   * (four bytes per step) rather than one Alea draw per byte; still fully determined by the seed.
   */
  fillBytes(bytes: Uint8Array, start = 0, end = bytes.length): void {
    let x = this.uint32() | 1; // xorshift32 must not start at 0
    let i = start;
    for (; i + 4 <= end; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      bytes[i] = x;
      bytes[i + 1] = x >>> 8;
      bytes[i + 2] = x >>> 16;
      bytes[i + 3] = x >>> 24;
    }
    for (; i < end; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      bytes[i] = x;
    }
  }

  /** `n` fresh random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    this.fillBytes(out);
    return out;
  }
}
