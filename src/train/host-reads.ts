// Host reads: the pauses of a loop written once as a generator, and its two drivers (synchronous for Node, asynchronous for WebGPU).
//
// Why a generator: the training loop must run synchronously (the CLI, `--resume`, every Node test) and
// asynchronously in a browser on WebGPU, where device values reach the host only through a Promise
// (src/kernels/gpu/context.ts: ops record kernels, `await tensor.toHost()` runs them and reads back).
// Written as `function*`, the loop stops at each host read with `yield read(tensors)`, naming the tensors
// its next lines read synchronously (`item()`, `values`); a driver decides what the stop means:
//   - runSync: nothing. The next lines read the values, downloading them where needed: what a
//     synchronous loop always did.
//   - runAsync: `await tensor.toHost()` on each, then resume; the same lines now find the values on the host.
// So the loop body exists once and the asynchronous path cannot drift from the synchronous one. Two
// async/sync copies of the loop, or an async loop run synchronously, would each give up one of the two.
//
// NOTE: a pause is a read, never a bare "flush": a deferred device runs its queued kernels when a value is
// read (GpuArray.downloadAsync flushes its context), and work between reads should stay queued (that is
// what the queue is for). It also keeps src/train free of any import from the GPU backend.

import type { Tensor } from '../tensor/tensor.ts';

/**
 * Why a loop pauses: `read` (its next lines read these tensors on the host), or `wait` for a Promise that
 * a hook returned (an asynchronous checkpoint), which only the asynchronous driver can wait for.
 */
export type HostRead = { kind: 'read'; tensors: readonly Tensor[] } | { kind: 'wait'; promise: PromiseLike<unknown>; who: string };

/** A loop written as a generator of host reads, returning `T`. */
export type Steps<T> = Generator<HostRead, T, void>;

/** The pause before reading `tensors` on the host. */
export function read(...tensors: Tensor[]): HostRead {
  return { kind: 'read', tensors };
}

/**
 * The pause that waits for what a hook returned when it is a Promise; null (no pause) otherwise.
 *
 * @example
 * const waiting = waitFor(hooks.onEpochEnd?.(record, isBest, state), 'onEpochEnd');
 * if (waiting) yield waiting;
 */
export function waitFor(value: unknown, who: string): HostRead | null {
  const thenable = typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
  return thenable ? { kind: 'wait', promise: value as PromiseLike<unknown>, who } : null;
}

/**
 * Run `steps` to the end synchronously: a read pause needs nothing (the loop's own reads download).
 * A hook's Promise cannot be waited for here: the loop fails at that point, naming the asynchronous driver.
 */
export function runSync<T>(steps: Steps<T>, asyncName: string): T {
  let next = steps.next();
  while (!next.done) {
    const pause = next.value;
    if (pause.kind === 'read') next = steps.next();
    else next = steps.throw(new Error(`${pause.who} returned a Promise, which the synchronous loop cannot wait for: use ${asyncName}`));
  }
  return next.value;
}

/**
 * Run `steps` to the end, awaiting each pause: the tensors of a read come to the host (`toHost()`, all at
 * once, so a device can overlap their readbacks), a hook's Promise settles. A failure resumes the loop
 * with it at the pause (its `finally` blocks run), as the synchronous read would have thrown there.
 */
export async function runAsync<T>(steps: Steps<T>): Promise<T> {
  let next = steps.next();
  while (!next.done) {
    const pause = next.value;
    try {
      if (pause.kind === 'read') await Promise.all(pause.tensors.map((t) => t.toHost()));
      else await pause.promise;
    } catch (error) {
      next = steps.throw(error);
      continue;
    }
    next = steps.next();
  }
  return next.value;
}
