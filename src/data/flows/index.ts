// Public surface of flow assembly: packets in, bidirectional 5-tuple flows out, plus header anonymisation for model inputs.
export { FlowAssembler } from './flow-assembler.ts';
export type { FlowAssemblyStats } from './flow-assembler.ts';
export type { FlowOptions } from './flow-options.ts';
export { readFlows, readFlowsFromBytes } from './read-flows.ts';
export type { ReadFlowsResult } from './read-flows.ts';
export { anonymiseHeader } from './anonymise.ts';
export type { AnonymiseMode, AnonymiseOptions } from './anonymise.ts';
