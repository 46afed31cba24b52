// `npm run bench`: every kernel suite in one run (add a suite by importing it here). Filter: npm run bench -- <substring>.

import { runCases, type BenchCase } from './harness.ts';
import { suite as lstmSuite } from './suites/lstm.ts';
import { suite as softmaxCeSuite } from './suites/softmax-ce.ts';
import { suite as wasmSuite } from './suites/wasm.ts';
import { suite as linalgConvSuite } from './suites/linalg-conv.ts';
import { suite as gpuSuite } from './suites/gpu.ts';

type Suite = { title: string; cases: () => BenchCase[] };

const suites: Suite[] = [
  // Each suite module lives in bench/suites/ and exports `suite: Suite`.
  lstmSuite,
  softmaxCeSuite,
  wasmSuite,
  linalgConvSuite,
  gpuSuite,
];

const filter = process.argv[2];
for (const s of suites) {
  const cases = s.cases().filter((c) => !filter || c.name.includes(filter) || s.title.includes(filter));
  if (cases.length > 0) runCases(s.title, cases);
}
