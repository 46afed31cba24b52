// Worker threads for the wasm GEMM: each worker instantiates the same compiled module over the same shared memory and waits for jobs on an Atomics mailbox.
//
// Protocol (one mailbox of 32 int32 slots per worker, inside the shared wasm memory):
//   main:   write the job's arguments, CLAIM = 0, Atomics.store(SEQ, seq + 1), Atomics.notify(SEQ)
//   worker: Atomics.wait(SEQ, lastSeen); claim the job (CLAIM 0 -> 1); run gemm (+ epilogue);
//           Atomics.store(DONE, seq), notify(DONE)
//   main:   runs its own share meanwhile, then tries to claim the worker's job itself (CLAIM 0 -> 2): if
//           the worker has not started it (its core is busy with another process), the main thread runs
//           it; otherwise it waits for DONE. So a busy second core costs at most the split's overhead, not
//           a wait for the scheduler (measured: 8 instead of 39 GFLOP/s at 64x40x128 without stealing).
// The seq-cst Atomics stores publish the plain argument writes before them (and DONE the worker's writes
// to C), so no other fence is needed. Operands must already be in the shared memory (gemm.ts
// copies them in first). NOTE: workers are `unref`ed once ready, so they never keep the process alive.
//
// The worker body is plain JavaScript in a string (`eval: true`): no loader or path resolution is needed in
// tsx, vitest or a bundle, and it only forwards numbers to the wasm exports.

import { Worker } from 'node:worker_threads';
import { gemmScratchBytes } from './gemm-module.ts';
import type { WasmRuntime } from './runtime.ts';

const SLOTS = 32;
/** 1 while the worker sleeps in Atomics.wait (the last slot; arguments never reach it). */
const SLEEPING = SLOTS - 1;
const SEQ = 0;
const DONE = 1;
const STATUS = 2;
const CMD = 3;
/** 0: job free to take; 1: taken by the worker; 2: taken back by the main thread. */
const CLAIM = 4;
/** Job arguments start here, in `gemm`'s order, then bias and act for `biasAct`. */
const ARGS = 5;
const CMD_GEMM = 0;
const CMD_STOP = 1;
/** Row shares of the LSTM cell passes (`postCall`): the args are the wasm export's, in order. */
export const CMD_LSTM_CELL = 2;
export const CMD_LSTM_CELL_BACKWARD = 3;
/**
 * Polls of the mailbox before an idle worker sleeps (~140 µs: ~7 ns per Atomics.load). Back-to-back
 * 64x64x256 GEMMs on 2 threads took 48 µs without the spin (every job paid a futex wake-up) and 26 µs
 * with it (1 thread: 49 µs).
 */
const WORKER_SPIN = 20000;
/** Jobs taken back in a row after which the pool stops splitting but for probes (see `shouldSplit`). */
const CONGESTED_AFTER = 3;
const PROBE_EVERY = 64;
/** How long the main thread waits on a worker before declaring it dead (a hang is worse than an error). */
const WAIT_TIMEOUT_MS = 60_000;

/** One share of a GEMM: the arguments of the `gemm` export, plus the epilogue's bias pointer and activation code. */
export interface GemmJob {
  transA: number; transB: number; M: number; N: number; K: number; alpha: number;
  A: number; lda: number; B: number; ldb: number; beta: number; C: number; ldc: number;
  bias: number; act: number;
}

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, mailbox, scratch } = workerData;
const { gemm, biasAct, lstmCell, lstmCellBackward } = new WebAssembly.Instance(module, { env: { memory } }).exports;
const box = new Int32Array(memory.buffer, mailbox, ${SLOTS});
const boxF = new Float32Array(memory.buffer, mailbox, ${SLOTS});
const a = ${ARGS};
let seen = Atomics.load(box, ${SEQ});
parentPort.postMessage('ready');
for (;;) {
  // Spin a little before sleeping: GEMMs often come back to back (an LSTM's steps), and a futex wake-up
  // costs tens of microseconds.
  for (let spin = 0; spin < ${WORKER_SPIN} && Atomics.load(box, ${SEQ}) === seen; spin++);
  Atomics.store(box, ${SLEEPING}, 1);
  Atomics.wait(box, ${SEQ}, seen);
  Atomics.store(box, ${SLEEPING}, 0);
  if (Atomics.load(box, ${SEQ}) === seen) continue;
  if (box[${CMD}] === ${CMD_STOP}) break;
  const claimed = Atomics.compareExchange(box, ${CLAIM}, 0, 1) === 0;
  seen = Atomics.load(box, ${SEQ}); // after the claim: the job this worker runs (or finds taken)
  if (!claimed) {
    Atomics.store(box, ${DONE}, seen);
    Atomics.notify(box, ${DONE});
    continue;
  }
  let status = 0;
  try {
    const cmd = box[${CMD}];
    if (cmd === ${CMD_LSTM_CELL}) {
      lstmCell(box[a], box[a + 1], box[a + 2], box[a + 3], box[a + 4], box[a + 5], box[a + 6], box[a + 7], box[a + 8], box[a + 9]);
    } else if (cmd === ${CMD_LSTM_CELL_BACKWARD}) {
      lstmCellBackward(box[a], box[a + 1], box[a + 2], box[a + 3], box[a + 4], box[a + 5], box[a + 6], box[a + 7],
        box[a + 8], box[a + 9], box[a + 10], box[a + 11], box[a + 12], box[a + 13]);
    } else {
      gemm(box[a], box[a + 1], box[a + 2], box[a + 3], box[a + 4], boxF[a + 5], box[a + 6], box[a + 7],
        box[a + 8], box[a + 9], boxF[a + 10], box[a + 11], box[a + 12], scratch);
      if (box[a + 13] !== 0 || box[a + 14] !== 0) biasAct(box[a + 11], box[a + 12], box[a + 2], box[a + 3], box[a + 13], box[a + 14]);
    }
  } catch (e) {
    status = 1;
  }
  Atomics.store(box, ${STATUS}, status);
  Atomics.store(box, ${DONE}, seen);
  Atomics.notify(box, ${DONE});
}
`;

interface PoolWorker {
  worker: Worker;
  box: Int32Array;
  boxF: Float32Array;
  mailbox: number;
  scratch: number;
  seq: number;
  /** The worker was asleep when its current job was posted: a take-back then says nothing about its core. */
  postedAsleep: boolean;
}

/** A fixed set of worker threads sharing the runtime's memory. Build with `WorkerPool.start`. */
export class WorkerPool {
  private stopped = false;
  /** Jobs in a row the main thread had to take back (the workers' cores were busy elsewhere). */
  private takenBackInARow = 0;
  private splitsSkipped = 0;

  private constructor(private readonly rt: WasmRuntime, private readonly workers: PoolWorker[]) {}

  /** Spawn `count` workers and resolve once every one has instantiated the module. */
  static async start(rt: WasmRuntime, count: number): Promise<WorkerPool> {
    if (!rt.arena.shared) throw new Error('wasm threads need SharedArrayBuffer (a shared wasm memory)');
    const workers: PoolWorker[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const mailbox = rt.arena.alloc(4 * SLOTS);
      const scratch = rt.arena.alloc(gemmScratchBytes(rt.tiling));
      const box = new Int32Array(rt.arena.memory.buffer, mailbox, SLOTS);
      box.fill(0);
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module: rt.module, memory: rt.arena.memory, mailbox, scratch } });
      ready.push(new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
      }));
      workers.push({ worker, box, boxF: new Float32Array(box.buffer, mailbox, SLOTS), mailbox, scratch, seq: 0, postedAsleep: false });
    }
    await Promise.all(ready);
    // Unref only now: an unref'ed worker would let a script awaiting `ready` exit early.
    for (const w of workers) w.worker.unref();
    return new WorkerPool(rt, workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Hand `job` to worker `i` (returns at once; `wait(i)` blocks until it is done). */
  post(i: number, job: GemmJob): void {
    if (this.stopped) throw new Error('WorkerPool: post after stop');
    const w = this.workers[i];
    const { box, boxF } = w;
    box[CMD] = CMD_GEMM;
    box[ARGS] = job.transA; box[ARGS + 1] = job.transB; box[ARGS + 2] = job.M; box[ARGS + 3] = job.N; box[ARGS + 4] = job.K;
    boxF[ARGS + 5] = job.alpha; box[ARGS + 6] = job.A; box[ARGS + 7] = job.lda; box[ARGS + 8] = job.B; box[ARGS + 9] = job.ldb;
    boxF[ARGS + 10] = job.beta; box[ARGS + 11] = job.C; box[ARGS + 12] = job.ldc; box[ARGS + 13] = job.bias; box[ARGS + 14] = job.act;
    Atomics.store(box, CLAIM, 0);
    w.postedAsleep = Atomics.load(box, SLEEPING) === 1;
    w.seq++;
    Atomics.store(box, SEQ, w.seq);
    Atomics.notify(box, SEQ);
  }

  /**
   * Hand worker `i` a call of a non-GEMM export (CMD_LSTM_CELL, CMD_LSTM_CELL_BACKWARD) with integer
   * arguments `args`, in the export's order; finish it with `finish` like a GEMM share.
   */
  postCall(i: number, cmd: number, args: readonly number[]): void {
    if (this.stopped) throw new Error('WorkerPool: post after stop');
    if (args.length > SLEEPING - ARGS) throw new Error(`WorkerPool: ${args.length} arguments do not fit the mailbox`);
    const w = this.workers[i];
    w.box[CMD] = cmd;
    for (let k = 0; k < args.length; k++) w.box[ARGS + k] = args[k];
    Atomics.store(w.box, CLAIM, 0);
    w.postedAsleep = Atomics.load(w.box, SLEEPING) === 1;
    w.seq++;
    Atomics.store(w.box, SEQ, w.seq);
    Atomics.notify(w.box, SEQ);
  }

  /**
   * Finish worker `i`'s job: run it here with `runHere` if the worker has not claimed it yet, else block until
   * the worker is done. Throws if the kernel trapped in the worker or the worker is gone.
   */
  finish<J>(i: number, job: J, runHere: (job: J) => void): void {
    const w = this.workers[i];
    if (Atomics.compareExchange(w.box, CLAIM, 0, 2) === 0) {
      // Only a worker that was awake (spinning) and still did not claim the job shows a busy core; a sleeping
      // one just had not woken yet (tens of µs), which happens after any gap between GEMMs on an idle core.
      if (!w.postedAsleep) this.takenBackInARow++;
      runHere(job);
      return;
    }
    this.takenBackInARow = 0;
    // Spin briefly first: the main thread's own share usually ends close to the worker's, and a futex
    // sleep/wake round trip costs tens of microseconds.
    for (let spin = 0; spin < 4000 && Atomics.load(w.box, DONE) !== w.seq; spin++);
    for (;;) {
      // NOTE: wait on the value just compared, never on a fresh load: if DONE became w.seq in between, a
      // fresh load would make us sleep until it changes again, i.e. until the timeout.
      const done = Atomics.load(w.box, DONE);
      if (done === w.seq) break;
      if (Atomics.wait(w.box, DONE, done, WAIT_TIMEOUT_MS) === 'timed-out') {
        throw new Error(`wasm gemm: worker ${i} did not finish within ${WAIT_TIMEOUT_MS} ms`);
      }
    }
    if (Atomics.load(w.box, STATUS) !== 0) throw new Error(`wasm gemm: worker ${i} trapped (operand out of bounds?)`);
  }

  /**
   * Whether to split the next GEMM. After CONGESTED_AFTER jobs in a row taken back by the main thread
   * (another process holds the other core), splitting only costs: the worker's spin competes with the main
   * thread for the core. Then only every PROBE_EVERY-th GEMM splits, to notice when the core is free again.
   * Measured on the shared 2-core box under load (load average ~3): 2 threads without this ran at 0.6x one.
   */
  shouldSplit(): boolean {
    if (this.takenBackInARow < CONGESTED_AFTER) return true;
    if (++this.splitsSkipped < PROBE_EVERY) return false;
    this.splitsSkipped = 0;
    return true;
  }

  /** Stop and terminate every worker, and return their mailboxes and scratch to the arena. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of this.workers) {
      w.box[CMD] = CMD_STOP;
      Atomics.store(w.box, SEQ, ++w.seq);
      Atomics.notify(w.box, SEQ);
    }
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    for (const w of this.workers) {
      this.rt.arena.free(w.mailbox);
      this.rt.arena.free(w.scratch);
    }
  }
}
