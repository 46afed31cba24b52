// One call from a capture (file or bytes) to its flows: the reader feeding a FlowAssembler, warnings collected.
import { readCaptureBytes, readCaptureFile } from '../capture/capture-reader.ts';
import type { CaptureHandlers, CaptureReadOptions, CaptureStats } from '../capture/capture-types.ts';
import type { CaptureWarning, Flow } from '../types.ts';
import type { FlowAssemblyStats } from './flow-assembler.ts';
import { FlowAssembler } from './flow-assembler.ts';
import type { FlowOptions } from './flow-options.ts';

export interface ReadFlowsResult {
  /** All flows in start-time order ([] when `onFlow` received them). */
  flows: Flow[];
  warnings: CaptureWarning[];
  stats: CaptureStats;
  /** Flow-level counters: fragments attached or not, evictions, reopened TCP flows. */
  assembly: FlowAssemblyStats;
}

function wire(assembler: FlowAssembler, warnings: CaptureWarning[]): CaptureHandlers {
  return {
    onPacket: (p) => assembler.add(p),
    onWarning: (w) => warnings.push(w),
  };
}

/**
 * Reads a pcap/pcapng file into bidirectional flows.
 *
 * @example
 *   const { flows, warnings } = await readFlows('trace.pcapng', { idleTimeout: 60, maxPacketsPerFlow: 16 });
 */
export async function readFlows(path: string, options: FlowOptions & CaptureReadOptions = {}): Promise<ReadFlowsResult> {
  const assembler = new FlowAssembler(path, options);
  const warnings: CaptureWarning[] = [];
  const stats = await readCaptureFile(path, wire(assembler, warnings), options);
  const flows = assembler.finish();
  return { flows, warnings, stats, assembly: assembler.stats };
}

/** Same as readFlows for a capture held in memory (a USTC-TFC2016 row, a download...). */
export function readFlowsFromBytes(name: string, bytes: Uint8Array, options: FlowOptions & CaptureReadOptions = {}): ReadFlowsResult {
  const assembler = new FlowAssembler(name, options);
  const warnings: CaptureWarning[] = [];
  const stats = readCaptureBytes(name, bytes, wire(assembler, warnings), options);
  const flows = assembler.finish();
  return { flows, warnings, stats, assembly: assembler.stats };
}
