// The wasm linear memory every wasm kernel and worker thread shares, and the arena allocator that hands out float32 blocks inside it.
//
// Why an arena: a kernel can only read operands that live in its linear memory. Operands that already live
// there (Float32Array views over `memory.buffer`, from `allocateInWasm`) are passed to the kernel as a
// pointer, with no copy; anything else is copied into a staging block for the call and copied back after.
//
// Memory model (NOTE: the trap this avoids is a typed-array view going dead):
// - With SharedArrayBuffer (Node; browsers only when cross-origin isolated) the memory is `shared`
//   (threads proposal) so worker threads run kernels on it. It starts at INITIAL_SHARED_PAGES and grows on
//   demand up to MAX_PAGES. Growing a shared memory never detaches existing views: `memory.buffer` becomes a
//   new, longer SharedArrayBuffer over the same bytes, and old views stay valid over their old range. So
//   "does this array live in wasm memory" is a check against every buffer object the memory has had.
// - Without SharedArrayBuffer the memory is an ordinary one whose growth WOULD detach every view handed
//   out. It is therefore allocated once at FIXED_PAGES (reserved address space: pages are only committed
//   by the OS when first touched) and never grows; allocation past it throws.
// MAX_PAGES keeps every byte address below 2^31, so the kernels may compare addresses as signed i32.

const PAGE_BYTES = 65536;
/** 16 MiB to start; growth is cheap and views survive it (shared memory). */
const INITIAL_SHARED_PAGES = 256;
/** 2 GiB - 64 KiB: the highest address stays below 2^31. */
const MAX_PAGES = 32767;
/** 256 MiB for the non-shared fallback, which cannot grow safely. */
const FIXED_PAGES = 4096;
/** Block alignment: one cache line (and a multiple of the 16-byte v128). */
const ALIGN = 64;

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** The block size `bytes` is served from: 64-byte steps to 4 KiB, then 1, 1.25, 1.5, 1.75 x 2^k. */
export function sizeClass(bytes: number): number {
  if (bytes <= 4096) return roundUp(bytes, ALIGN);
  const quarter = 2 ** Math.floor(Math.log2(bytes)) / 4;
  return Math.ceil(bytes / quarter) * quarter;
}

/**
 * A bump allocator with exact-size free lists over one wasm memory (the same policy as the tensor buffer
 * pool in src/tensor/storage.ts: training steps reuse the same few sizes, so freed blocks are reused as is).
 */
export class WasmArena {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  private top = ALIGN; // address 0 is never handed out: kernels use pointer 0 for "absent" (e.g. no bias)
  private readonly freeBlocks = new Map<number, number[]>();
  private readonly live = new Map<number, number>(); // address -> block bytes
  private readonly buffers = new Set<ArrayBufferLike>();
  private heap: Float32Array;

  constructor(options: { shared?: boolean } = {}) {
    this.shared = options.shared ?? typeof SharedArrayBuffer !== 'undefined';
    this.memory = this.shared
      ? new WebAssembly.Memory({ initial: INITIAL_SHARED_PAGES, maximum: MAX_PAGES, shared: true })
      : new WebAssembly.Memory({ initial: FIXED_PAGES, maximum: FIXED_PAGES });
    this.heap = this.refreshHeap();
  }

  /** Page limits to declare in the kernel module's memory import (must match this memory). */
  get pageLimits(): { initialPages: number; maximumPages: number; shared: boolean } {
    return this.shared
      ? { initialPages: INITIAL_SHARED_PAGES, maximumPages: MAX_PAGES, shared: true }
      : { initialPages: FIXED_PAGES, maximumPages: FIXED_PAGES, shared: false };
  }

  /** A float32 view of the whole memory as it is now (re-read after any allocation: it may have grown). */
  get f32(): Float32Array {
    return this.heap.buffer === this.memory.buffer ? this.heap : this.refreshHeap();
  }

  /**
   * Reserve `bytes` and return the block's byte address. The block is rounded up to a size class (64-byte
   * steps up to 4 KiB, then four classes per power of two, at most 25% slack), so tensors of nearby sizes
   * (a last batch, a new capture's flow count) reuse each other's freed blocks instead of bumping the top.
   */
  alloc(bytes: number): number {
    const size = sizeClass(Math.max(bytes, 1));
    const reused = this.freeBlocks.get(size)?.pop();
    const address = reused ?? this.bump(size);
    this.live.set(address, size);
    return address;
  }

  /** Return a block from `alloc` to its free list. */
  free(address: number): void {
    const size = this.live.get(address);
    if (size === undefined) throw new Error(`WasmArena.free: ${address} is not a live block (double free, or not from alloc)`);
    this.live.delete(address);
    let list = this.freeBlocks.get(size);
    if (!list) this.freeBlocks.set(size, (list = []));
    list.push(address);
  }

  /** True when `array` is a view over this memory (any buffer object it has had), i.e. needs no copy. */
  contains(array: ArrayBufferView): boolean {
    return this.buffers.has(array.buffer);
  }

  /** Bytes handed out and currently live, and the memory's current size (for tests and benchmarks). */
  stats(): { liveBytes: number; liveBlocks: number; memoryBytes: number } {
    let liveBytes = 0;
    for (const size of this.live.values()) liveBytes += size;
    return { liveBytes, liveBlocks: this.live.size, memoryBytes: this.memory.buffer.byteLength };
  }

  private bump(size: number): number {
    const address = this.top;
    const end = address + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const maxBytes = this.pageLimits.maximumPages * PAGE_BYTES;
      if (!this.shared || end > maxBytes) {
        throw new Error(`allocateInWasm: wasm arena full (${have} bytes${this.shared ? '' : ', fixed size: no SharedArrayBuffer'}; need ${end})`);
      }
      // Grow by at least a quarter, so a sequence of allocations grows O(log n) times.
      const wantBytes = Math.min(maxBytes, Math.max(end, Math.ceil(have * 1.25)));
      this.memory.grow(Math.ceil((wantBytes - have) / PAGE_BYTES));
      this.refreshHeap();
    }
    this.top = end;
    return address;
  }

  private refreshHeap(): Float32Array {
    this.buffers.add(this.memory.buffer);
    this.heap = new Float32Array(this.memory.buffer);
    return this.heap;
  }
}
