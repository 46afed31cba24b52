// Loads a CSV table of per-flow features (one row per flow, a label column) into a labelled feature matrix.
import { readFileSync } from 'node:fs';
import { parseCsv } from './csv.ts';
import { indexLabels, type FeatureDataset } from './types.ts';

export interface CsvFeatureOptions {
  /** Column holding the class label (default 'label'). */
  labelColumn?: string;
  /** Feature columns in this order (default: every column except the label and `ignoreColumns`). */
  featureColumns?: readonly string[];
  /** Columns to leave out of the default feature list (ids, addresses, timestamps...). */
  ignoreColumns?: readonly string[];
}

/**
 * Reads `path`: a header row naming the columns, then one row per flow. Every feature cell must be a finite number
 * (as JavaScript's Number() reads it, surrounding spaces allowed); an error names the file, line, column and value.
 * Class names are the distinct label strings in sorted order.
 *
 * @example
 *   const table = loadCsvFeatures('flows.csv', { labelColumn: 'app', ignoreColumns: ['flow_id'] });
 *   table.features.data; // [rows, cols]
 */
export function loadCsvFeatures(path: string, options: CsvFeatureOptions = {}): FeatureDataset {
  const records = parseCsv(readFileSync(path, 'utf8'), path);
  if (records.length === 0) throw new Error(`${path}: empty CSV file (expected a header row)`);
  const header = records[0]!.fields.map((h) => h.trim());
  const labelColumn = options.labelColumn ?? 'label';
  const column = (name: string): number => {
    const at = header.indexOf(name);
    if (at < 0) throw new Error(`${path}: line ${records[0]!.line}: missing column "${name}" (columns: ${header.join(', ')})`);
    return at;
  };
  const labelAt = column(labelColumn);
  const ignored = new Set([labelColumn, ...(options.ignoreColumns ?? [])]);
  const names = options.featureColumns ? [...options.featureColumns] : header.filter((h) => !ignored.has(h));
  if (names.length === 0) throw new Error(`${path}: no feature columns left besides "${labelColumn}"`);
  const featureAt = names.map(column);
  const rows = records.slice(1);
  const data = new Float32Array(rows.length * names.length);
  const labelValues: string[] = [];
  rows.forEach((record, r) => {
    if (record.fields.length !== header.length) {
      throw new Error(`${path}: line ${record.line}: ${record.fields.length} fields, the header has ${header.length}`);
    }
    const label = record.fields[labelAt]!.trim();
    if (label === '') throw new Error(`${path}: line ${record.line}: column "${labelColumn}": empty label`);
    labelValues.push(label);
    featureAt.forEach((at, c) => {
      const text = record.fields[at]!;
      const value = text.trim() === '' ? NaN : Number(text);
      if (!Number.isFinite(value)) {
        throw new Error(`${path}: line ${record.line}: column "${names[c]}": not a number: ${JSON.stringify(text)}`);
      }
      data[r * names.length + c] = value;
    });
  });
  const { classNames, labels } = indexLabels(labelValues);
  return {
    kind: 'features',
    format: 'csv',
    path,
    classNames,
    labels,
    features: { featureSet: `csv:${path}`, rows: rows.length, cols: names.length, names, data },
    warnings: [],
  };
}
