// One entry point for every dataset kind: detects what a path holds and calls the matching loader.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { readFlows } from '../flows/index.ts';
import { isCaptureFile, loadCaptureFolder, type FlowReadOptions } from './capture-folder.ts';
import { loadLabelledCapture } from './labelled-capture.ts';
import { loadCsvFeatures, type CsvFeatureOptions } from './csv-features.ts';
import { loadCertTa } from './certta.ts';
import { isUstcIdx, loadUstcIdx, type UstcOptions } from './ustc-idx.ts';
import type { Dataset, FlowDataset } from './types.ts';

export type DatasetKind = 'capture-folder' | 'capture' | 'csv' | 'certta' | 'ustc-idx';

export interface LoadDatasetOptions {
  /** Flow assembly and capture reader options (captures, capture folders, USTC-TFC2016 rows). */
  flow?: FlowReadOptions;
  /** Label file for a single capture (see LABEL_FILE_FORMAT). Without one, every flow gets the file's name as class. */
  labels?: string;
  csv?: CsvFeatureOptions;
  ustc?: Omit<UstcOptions, 'flow'>;
}

const KINDS_HELP =
  'a folder of captures with one sub-folder per class, a .pcap/.pcapng/.cap file (optionally with a label file), ' +
  'a .csv feature table, a CertTA folder or valid.json (with labels.json), or USTC-TFC2016 idx files (*-images-idx3-ubyte.gz or their folder)';

/** What `path` holds, judged from its name and, for folders, what is inside. */
export function detectDatasetKind(path: string): DatasetKind {
  if (!existsSync(path)) throw new Error(`${path}: no such file or folder`);
  if (statSync(path).isDirectory()) {
    const entries = readdirSync(path);
    if (entries.includes('valid.json') && entries.includes('labels.json')) return 'certta';
    if (isUstcIdx(path)) return 'ustc-idx';
    return 'capture-folder';
  }
  const name = basename(path).toLowerCase();
  if (isCaptureFile(name)) return 'capture';
  if (extname(name) === '.csv') return 'csv';
  if (extname(name) === '.json') return 'certta';
  if (isUstcIdx(path)) return 'ustc-idx';
  throw new Error(`${path}: unknown dataset kind; expected ${KINDS_HELP}`);
}

/**
 * Loads a labelled dataset of any supported kind.
 *
 * @example
 *   const data = await loadDataset(ensureBuiltinDataset());           // folder of captures
 *   const doh = await loadDataset('../shared/data/certta/CICDOH20'); // CertTA sequences
 *   if (data.kind === 'flows') extractFeatures(data.flows);
 */
export async function loadDataset(path: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  switch (detectDatasetKind(path)) {
    case 'capture-folder':
      return loadCaptureFolder(path, options.flow);
    case 'capture':
      return options.labels ? loadLabelledCapture(path, options.labels, options.flow) : loadUnlabelledCapture(path, options.flow);
    case 'csv':
      return loadCsvFeatures(path, options.csv);
    case 'certta':
      return loadCertTa(path);
    case 'ustc-idx':
      return loadUstcIdx(path, { ...options.ustc, ...(options.flow ? { flow: options.flow } : {}) });
  }
}

/** A capture without a label file: one class, named after the file (useful for inspection and prediction). */
async function loadUnlabelledCapture(path: string, options: FlowReadOptions = {}): Promise<FlowDataset> {
  const result = await readFlows(path, { ...options, source: options.source ?? basename(path) });
  return {
    kind: 'flows',
    format: 'capture',
    path,
    classNames: [basename(path)],
    flows: result.flows,
    labels: new Int32Array(result.flows.length),
    warnings: result.warnings,
    captures: [{ file: path, classIndex: 0, stats: result.stats }],
  };
}
