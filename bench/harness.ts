// The benchmark harness: benchmark.js cases that report ops/s, ms per call and GFLOP/s where a FLOP count is known.

import Benchmark from 'benchmark';

export interface BenchCase {
  name: string;
  /** Floating-point operations per call (2 per multiply-add), for GFLOP/s. */
  flops?: number;
  /** The timed body. Build inputs outside it (in the suite function), not per call. */
  fn: () => void;
}

export interface BenchResult {
  name: string;
  hz: number;
  msPerCall: number;
  rme: number;
  gflops?: number;
}

/** Run cases one after another with benchmark.js and print a table. */
export function runCases(title: string, cases: BenchCase[], options: { maxTime?: number } = {}): BenchResult[] {
  const results: BenchResult[] = [];
  console.log(`\n## ${title}`);
  for (const c of cases) {
    c.fn(); // warm up and fail fast before timing
    const bench = new Benchmark(c.name, c.fn, { maxTime: options.maxTime ?? 2, minSamples: 5 });
    bench.run();
    const hz = bench.hz;
    const result: BenchResult = { name: c.name, hz, msPerCall: 1000 / hz, rme: bench.stats.rme };
    if (c.flops !== undefined) result.gflops = (c.flops * hz) / 1e9;
    results.push(result);
    const gflops = result.gflops !== undefined ? `${result.gflops.toFixed(2).padStart(8)} GFLOP/s` : ''.padStart(16);
    console.log(`${c.name.padEnd(52)} ${hz.toFixed(1).padStart(10)} ops/s ${result.msPerCall.toFixed(3).padStart(10)} ms  ±${result.rme.toFixed(1)}%  ${gflops}`);
  }
  return results;
}
