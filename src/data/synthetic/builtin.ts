// The project's default dataset: generated once into a cache folder keyed by generator version and seed.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSyntheticDataset, type SyntheticDatasetSummary } from './generate.ts';

/**
 * Bump when the generator's output changes for the same seed: the cache folder name carries it, so an old dataset is
 * never mistaken for the current one.
 */
export const SYNTHETIC_GENERATOR_VERSION = 1;
export const BUILTIN_SEED = 'netmoe';
export const BUILTIN_FLOWS_PER_CLASS = 400;

const MANIFEST = 'dataset.json';
const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where the built-in dataset lives by default: `<project>/.cache/builtin-v<version>-<seed>/` (gitignored). */
export function builtinDatasetDir(): string {
  return join(PROJECT_ROOT, '.cache', `builtin-v${SYNTHETIC_GENERATOR_VERSION}-${BUILTIN_SEED}`);
}

interface Manifest {
  generatorVersion: number;
  seed: string;
  flowsPerClass: number;
  classes: { name: string; flows: number; packets: number; bytes: number }[];
}

/**
 * Returns the folder of the built-in dataset (`<dir>/<class>/<n>.pcap`), generating it first if it is missing
 * (about 2 s and 210 MB for the default 400 flows per class; `flowsPerClass` is for tests and quick runs).
 * Generation writes into a sibling temporary folder and renames it into place, so concurrent callers (test workers)
 * and interrupted runs never see half a dataset; `dataset.json` marks a complete one.
 *
 * @example
 *   const dir = ensureBuiltinDataset();
 *   const data = await loadDataset(dir);
 */
export function ensureBuiltinDataset(dir: string = builtinDatasetDir(), options: { flowsPerClass?: number } = {}): string {
  const flowsPerClass = options.flowsPerClass ?? BUILTIN_FLOWS_PER_CLASS;
  if (isComplete(dir, flowsPerClass)) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  const temp = `${dir}.${process.pid}.tmp`;
  rmSync(temp, { recursive: true, force: true });
  const summary = generateSyntheticDataset(temp, { seed: BUILTIN_SEED, flowsPerClass });
  writeFileSync(join(temp, MANIFEST), `${JSON.stringify(manifestOf(summary, flowsPerClass), null, 2)}\n`);
  // Leftovers of a crash, or a dataset of another size: replaced.
  if (existsSync(dir) && !isComplete(dir, flowsPerClass)) rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(temp, dir);
  } catch (error) {
    // Another process finished first: its dataset is identical (same version and seed), keep it.
    rmSync(temp, { recursive: true, force: true });
    if (!isComplete(dir, flowsPerClass)) throw error;
  }
  return dir;
}

function manifestOf(summary: SyntheticDatasetSummary, flowsPerClass: number): Manifest {
  return {
    generatorVersion: SYNTHETIC_GENERATOR_VERSION,
    seed: summary.seed,
    flowsPerClass,
    classes: summary.classes.map(({ name, flows, packets, bytes }) => ({ name, flows, packets, bytes })),
  };
}

function isComplete(dir: string, flowsPerClass: number): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Partial<Manifest>;
    return manifest.generatorVersion === SYNTHETIC_GENERATOR_VERSION && manifest.seed === BUILTIN_SEED && manifest.flowsPerClass === flowsPerClass;
  } catch {
    return false;
  }
}
