// Loads a folder of captures whose sub-folder names are the class labels: <root>/<class>/**/*.pcap|pcapng|cap.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readFlows, type FlowOptions } from '../flows/index.ts';
import type { CaptureReadOptions } from '../capture/index.ts';
import type { CaptureWarning, Flow } from '../types.ts';
import type { CaptureSummary, FlowDataset } from './types.ts';

export type FlowReadOptions = FlowOptions & CaptureReadOptions;

const CAPTURE_EXTENSIONS = ['.pcap', '.pcapng', '.cap'];

export function isCaptureFile(name: string): boolean {
  const lower = name.toLowerCase();
  return CAPTURE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Capture files under `dir`, recursively, in sorted path order (hidden entries skipped). */
export function listCaptureFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.')) continue;
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (isCaptureFile(name)) out.push(full);
    }
  };
  walk(dir);
  return out;
}

/**
 * Reads every capture under `<root>/<class>/` into flows labelled `<class>`. Classes are the sub-folders that hold at
 * least one capture, in sorted name order (so the class index does not depend on the file system's listing order);
 * flows come class by class, file by file (sorted), each file's flows in start-time order.
 *
 * @example
 *   const data = await loadCaptureFolder(ensureBuiltinDataset());
 *   data.classNames; // ['bulk-download', 'bulk-upload', ...]
 */
export async function loadCaptureFolder(root: string, options: FlowReadOptions = {}): Promise<FlowDataset> {
  const classDirs = readdirSync(root)
    .filter((name) => !name.startsWith('.') && statSync(join(root, name)).isDirectory())
    .sort()
    .map((name) => ({ name, files: listCaptureFiles(join(root, name)) }))
    .filter((c) => c.files.length > 0);
  if (classDirs.length === 0) {
    throw new Error(`${root}: no class folders with captures (expected <root>/<class>/<file>.pcap|.pcapng|.cap)`);
  }
  const flows: Flow[] = [];
  const labels: number[] = [];
  const warnings: CaptureWarning[] = [];
  const captures: CaptureSummary[] = [];
  for (const [classIndex, cls] of classDirs.entries()) {
    for (const file of cls.files) {
      // Flow ids name the file relative to the root, so they are the same wherever the dataset is stored.
      const result = await readFlows(file, { ...options, source: relative(root, file) });
      for (const flow of result.flows) {
        flows.push(flow);
        labels.push(classIndex);
      }
      warnings.push(...result.warnings);
      captures.push({ file, classIndex, stats: result.stats });
    }
  }
  return { kind: 'flows', format: 'capture-folder', path: root, classNames: classDirs.map((c) => c.name), flows, labels: Int32Array.from(labels), warnings, captures };
}
