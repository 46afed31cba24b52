// An on-disk cache of extracted features: entries keyed by a SHA-256 of the input's content and the configuration.
import { createHash } from 'node:crypto';
import { openSync, readFileSync, readSync, closeSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files up to this size are hashed by content; larger ones by path, size and modification time (see fingerprintInput). */
export const CONTENT_HASH_LIMIT = 64 * 1024 * 1024;

const MAGIC = 'NMFC'; // netmoe feature cache
const FORMAT_VERSION = 1;
const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Default cache folder: `<project>/.cache/features/` (gitignored). */
export function defaultCacheDir(): string {
  return join(PROJECT_ROOT, '.cache', 'features');
}

/**
 * A fingerprint of a file or folder (every file below it, sorted by relative path). Files up to CONTENT_HASH_LIMIT
 * (64 MiB) are hashed by their bytes, so a changed, copied or re-generated file is recognised exactly; bigger files by
 * relative path + size + mtime, which is cheap but misses an edit that keeps size and mtime (rare; delete the cache
 * entry then).
 */
export function fingerprintInput(path: string): string {
  const hash = createHash('sha256');
  const root = resolve(path);
  const add = (file: string): void => {
    const s = statSync(file);
    hash.update(`${relative(root, file) || '.'}\0${s.size}\0`);
    if (s.size <= CONTENT_HASH_LIMIT) hashFileInto(hash, file);
    else hash.update(`mtime:${s.mtimeMs}\0`);
  };
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else add(full);
    }
  };
  if (statSync(root).isDirectory()) walk(root);
  else add(root);
  return hash.digest('hex');
}

function hashFileInto(hash: ReturnType<typeof createHash>, file: string): void {
  // Streamed in 1 MiB reads: the whole dataset need not fit in memory at once.
  const fd = openSync(file, 'r');
  const buffer = Buffer.allocUnsafe(1 << 20);
  try {
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** JSON with object keys sorted at every level, so the same configuration always gives the same key. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The key of an entry: SHA-256 of the input fingerprint and the configuration that produced the features. */
export function cacheKey(inputFingerprint: string, config: unknown): string {
  return createHash('sha256').update(`${inputFingerprint}\0${stableStringify(config)}`).digest('hex');
}

type CachedArray = Float32Array | Float64Array | Int32Array | Uint8Array;
const ARRAY_TYPES = { Float32Array, Float64Array, Int32Array, Uint8Array } as const;
type ArrayTypeName = keyof typeof ARRAY_TYPES;

/** What an entry holds: JSON metadata (class names, feature names...) and named typed arrays. */
export interface CacheEntry {
  meta: unknown;
  arrays: Record<string, CachedArray>;
}

interface Header {
  version: number;
  meta: unknown;
  arrays: { name: string; type: ArrayTypeName; length: number; offset: number }[];
  payloadBytes: number;
  payloadSha256: string;
}

/**
 * Feature cache in one folder, one file per key. File layout: "NMFC", uint32 LE header length, the JSON header
 * (metadata, array directory, payload SHA-256), then the arrays' bytes, each 8-byte aligned.
 * Writes go to a temporary file that is renamed into place, so readers see a whole entry or none; an entry that fails
 * any check (magic, header, lengths, checksum) is deleted and treated as a miss.
 *
 * @example
 *   const cache = new FeatureCache();
 *   const key = cacheKey(fingerprintInput(path), { featureSet: 'packet-sequence', flow: {} });
 *   const { entry, hit } = await cache.getOrCompute(key, async () => ({ meta: {...}, arrays: { x } }));
 */
export class FeatureCache {
  /** Entries found corrupt (and deleted) by this instance: for tests and logs. */
  corruptEntries = 0;

  constructor(readonly dir: string = defaultCacheDir()) {}

  pathOf(key: string): string {
    if (!/^[0-9a-f]{16,128}$/.test(key)) throw new Error(`FeatureCache: key must be hex (got "${key}")`);
    return join(this.dir, `${key}.bin`);
  }

  /** The entry under `key`, or null when absent or corrupt. */
  get(key: string): CacheEntry | null {
    const path = this.pathOf(key);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      return null;
    }
    const entry = decode(bytes);
    if (!entry) {
      this.corruptEntries++;
      try {
        unlinkSync(path);
      } catch {
        // Another process may have replaced or removed it meanwhile: nothing to do.
      }
    }
    return entry;
  }

  set(key: string, entry: CacheEntry): void {
    writeFileAtomic(this.pathOf(key), encode(entry));
  }

  /** The cached entry for `key`, or `compute()`'s result, stored before it is returned. */
  async getOrCompute(key: string, compute: () => CacheEntry | Promise<CacheEntry>): Promise<{ entry: CacheEntry; hit: boolean }> {
    const cached = this.get(key);
    if (cached) return { entry: cached, hit: true };
    const entry = await compute();
    this.set(key, entry);
    return { entry, hit: false };
  }
}

function arrayTypeName(a: CachedArray): ArrayTypeName {
  if (a instanceof Float32Array) return 'Float32Array';
  if (a instanceof Float64Array) return 'Float64Array';
  if (a instanceof Int32Array) return 'Int32Array';
  return 'Uint8Array';
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

function encode(entry: CacheEntry): Buffer {
  const directory: Header['arrays'] = [];
  let payloadBytes = 0;
  for (const [name, a] of Object.entries(entry.arrays)) {
    directory.push({ name, type: arrayTypeName(a), length: a.length, offset: payloadBytes });
    payloadBytes = align8(payloadBytes + a.byteLength);
  }
  const payload = Buffer.alloc(payloadBytes);
  Object.values(entry.arrays).forEach((a, i) => payload.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), directory[i]!.offset));
  const header: Header = {
    version: FORMAT_VERSION,
    meta: entry.meta,
    arrays: directory,
    payloadBytes,
    payloadSha256: createHash('sha256').update(payload).digest('hex'),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const start = align8(8 + json.length);
  const out = Buffer.alloc(start + payloadBytes);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(json.length, 4);
  json.copy(out, 8);
  payload.copy(out, start);
  return out;
}

/** Parses an entry; null for anything that does not check out (never throws on bad bytes). */
function decode(bytes: Buffer): CacheEntry | null {
  if (bytes.length < 8 || bytes.toString('latin1', 0, 4) !== MAGIC) return null;
  const jsonLength = bytes.readUInt32LE(4);
  if (8 + jsonLength > bytes.length) return null;
  let header: Header;
  try {
    header = JSON.parse(bytes.toString('utf8', 8, 8 + jsonLength)) as Header;
  } catch {
    return null;
  }
  const start = align8(8 + jsonLength);
  if (header.version !== FORMAT_VERSION || !Array.isArray(header.arrays) || start + header.payloadBytes !== bytes.length) return null;
  const payload = bytes.subarray(start);
  if (createHash('sha256').update(payload).digest('hex') !== header.payloadSha256) return null;
  const arrays: Record<string, CachedArray> = {};
  for (const { name, type, length, offset } of header.arrays) {
    const Type = ARRAY_TYPES[type];
    if (!Type || !Number.isInteger(length) || !Number.isInteger(offset) || offset + length * Type.BYTES_PER_ELEMENT > payload.length) return null;
    // Copy into a fresh, aligned buffer: the file buffer's offset need not suit the element size.
    const copy = new Uint8Array(length * Type.BYTES_PER_ELEMENT);
    copy.set(payload.subarray(offset, offset + copy.length));
    arrays[name] = new Type(copy.buffer);
  }
  return { meta: header.meta, arrays };
}
