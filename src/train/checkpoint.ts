// Checkpoints: a versioned JSON manifest plus a binary weights file, written atomically, verified on load.
//
// Layout of a model directory:
//   manifest.json            format, version, model kind + config, class names, feature pipeline, metrics,
//                            and for each parameter its name, shape, dtype and byte range in the weights file
//   weights-<hash>.bin       the parameters, little-endian float32, concatenated in manifest order
//   training-state.json      (only while training) epoch, history, early-stopping state, optimiser state
//   optimizer-<hash>.bin     the optimiser's buffers, indexed by training-state.json
// Binary files are named by their content's SHA-256 and written first; the JSON file that names them is
// written last (atomically) and is the commit point. A crash at any moment leaves the previous JSON file
// pointing at its own, still present, binary file: the previous checkpoint stays readable.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Module } from '../layers/module.ts';
import type { OptimizerState } from '../optim/optimizer.ts';
import { formatShape, shapesEqual } from '../tensor/shape.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

export const CHECKPOINT_FORMAT = 'netmoe-checkpoint';
export const CHECKPOINT_VERSION = 2; // 2: content-addressed weights file named by the manifest

export interface ParameterEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  byteOffset: number;
  length: number;
}

export interface CheckpointManifest<Extra = Record<string, unknown>> {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  createdAt: string;
  /** The weights file in the same directory, and its SHA-256. */
  weightsFile: string;
  weightsSha256: string;
  parameters: ParameterEntry[];
  /** Everything the model owner needs to rebuild and use the model (kind, config, classes, features...). */
  meta: Extra;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Write `bytes` as `<prefix>-<hash>.bin` in `dir`; returns the file name. */
function writeContentAddressed(dir: string, prefix: string, bytes: Uint8Array): { file: string; hash: string } {
  const hash = sha256(bytes);
  const file = `${prefix}-${hash.slice(0, 16)}.bin`;
  writeFileAtomic(join(dir, file), bytes);
  return { file, hash };
}

/** After the commit point: remove the `<prefix>-*.bin` files the new JSON no longer names. */
function removeStale(dir: string, prefix: string, keep: string): void {
  for (const name of readdirSync(dir)) {
    if (name.startsWith(`${prefix}-`) && name.endsWith('.bin') && name !== keep) rmSync(join(dir, name), { force: true });
  }
}

/** Save the model's parameters and `meta` into `dir` (created if needed). */
export function saveCheckpoint<Extra>(dir: string, model: Module, meta: Extra): CheckpointManifest<Extra> {
  const params = model.namedParameters();
  const total = params.reduce((n, p) => n + p.tensor.size, 0);
  const weights = new Float32Array(total);
  const entries: ParameterEntry[] = [];
  let offset = 0;
  for (const p of params) {
    weights.set(p.tensor.contiguous().values, offset);
    entries.push({ name: p.name, shape: [...p.tensor.shape], dtype: 'float32', byteOffset: offset * 4, length: p.tensor.size });
    offset += p.tensor.size;
  }
  const { file, hash } = writeContentAddressed(dir, 'weights', new Uint8Array(weights.buffer));
  const manifest: CheckpointManifest<Extra> = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    createdAt: new Date().toISOString(),
    weightsFile: file,
    weightsSha256: hash,
    parameters: entries,
    meta,
  };
  writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n'); // the commit point
  removeStale(dir, 'weights', file);
  return manifest;
}

/** Read and verify a checkpoint's manifest (format, version, weights hash). */
export function readCheckpoint<Extra>(dir: string): { manifest: CheckpointManifest<Extra>; weights: Float32Array } {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new Error(`checkpoint: ${manifestPath} not found (is '${dir}' a model directory written by netmoe train?)`);
  let manifest: CheckpointManifest<Extra>;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    throw new Error(`checkpoint: ${manifestPath} is not valid JSON (${(error as Error).message})`);
  }
  if (manifest.format !== CHECKPOINT_FORMAT) throw new Error(`checkpoint: ${manifestPath} is not a netmoe checkpoint (format '${manifest.format}')`);
  if (manifest.version !== CHECKPOINT_VERSION) {
    throw new Error(`checkpoint: ${manifestPath} has format version ${manifest.version}; this netmoe reads version ${CHECKPOINT_VERSION}`);
  }
  if (typeof manifest.weightsFile !== 'string' || !/^weights-[0-9a-f]+\.bin$/.test(manifest.weightsFile)) {
    throw new Error(`checkpoint: ${manifestPath} names no valid weights file`);
  }
  const weightsPath = join(dir, manifest.weightsFile);
  if (!existsSync(weightsPath)) throw new Error(`checkpoint: ${weightsPath} not found`);
  const bytes = new Uint8Array(readFileSync(weightsPath));
  if (sha256(bytes) !== manifest.weightsSha256) throw new Error(`checkpoint: ${weightsPath} does not match its manifest (SHA-256 differs): the files are from different saves or corrupted`);
  const weights = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { manifest, weights };
}

/** Copy checkpoint weights into `model`, checking names and shapes. */
export function loadParameters(model: Module, manifest: CheckpointManifest<unknown>, weights: Float32Array): void {
  const params = model.namedParameters();
  const byName = new Map(manifest.parameters.map((e) => [e.name, e]));
  for (const p of params) {
    const entry = byName.get(p.name);
    if (!entry) throw new Error(`checkpoint: no weights for parameter '${p.name}' (the checkpoint was saved from a different model)`);
    if (!shapesEqual(entry.shape, p.tensor.shape)) {
      throw new Error(`checkpoint: parameter '${p.name}' has shape ${formatShape(entry.shape)} in the checkpoint, the model expects ${formatShape(p.tensor.shape)}`);
    }
    p.tensor.values.set(weights.subarray(entry.byteOffset / 4, entry.byteOffset / 4 + entry.length));
    byName.delete(p.name);
  }
  if (byName.size > 0) throw new Error(`checkpoint: weights for parameters the model does not have: ${[...byName.keys()].join(', ')}`);
}

// ---- training state (for --resume) -----------------------------------------------------------------

export interface TrainingState<History = unknown> {
  epoch: number;
  history: History;
  bestValLoss: number;
  epochsWithoutImprovement: number;
  optimizer: { kind: string; step: number; file: string; buffers: Record<string, Record<string, { offset: number; length: number }>> };
}

export function saveTrainingState<History>(dir: string, state: Omit<TrainingState<History>, 'optimizer'>, optimizer: OptimizerState): void {
  let total = 0;
  for (const buffers of Object.values(optimizer.buffers)) for (const b of Object.values(buffers)) total += b.length;
  const data = new Float64Array(total); // float64 so float64 optimiser buffers survive; float32 ones widen exactly
  const index: TrainingState['optimizer']['buffers'] = {};
  let offset = 0;
  for (const [name, buffers] of Object.entries(optimizer.buffers)) {
    index[name] = {};
    for (const [key, b] of Object.entries(buffers)) {
      data.set(b, offset);
      index[name][key] = { offset, length: b.length };
      offset += b.length;
    }
  }
  const { file } = writeContentAddressed(dir, 'optimizer', new Uint8Array(data.buffer));
  const full: TrainingState<History> = { ...state, optimizer: { kind: optimizer.kind, step: optimizer.step, file, buffers: index } };
  writeFileAtomic(join(dir, 'training-state.json'), JSON.stringify(full) + '\n'); // the commit point
  removeStale(dir, 'optimizer', file);
}

export function readTrainingState<History>(dir: string, float64: boolean): { state: TrainingState<History>; optimizer: OptimizerState } | null {
  const statePath = join(dir, 'training-state.json');
  if (!existsSync(statePath)) return null;
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as TrainingState<History>;
  const bytes = readFileSync(join(dir, state.optimizer.file));
  const data = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const buffers: OptimizerState['buffers'] = {};
  for (const [name, entries] of Object.entries(state.optimizer.buffers)) {
    buffers[name] = {};
    for (const [key, { offset, length }] of Object.entries(entries)) {
      const slice = data.subarray(offset, offset + length);
      buffers[name][key] = float64 ? Float64Array.from(slice) : Float32Array.from(slice);
    }
  }
  return { state, optimizer: { kind: state.optimizer.kind, step: state.optimizer.step, buffers } };
}
