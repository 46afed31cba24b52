// A small WebAssembly binary emitter: LEB128, the opcodes the kernels use (incl. 0xFD SIMD), and a module builder.
//
// Kernels are generated at run time as module bytes (no toolchain, no build step, like jax-js's wasm backend).
// Code is written as *folded expressions*: every builder returns the bytes of one instruction sequence that
// leaves its result on the stack, so `i32.add(local.get(p), i32.const(16))` reads like the WAT text
// `(i32.add (local.get $p) (i32.const 16))` and emits `local.get p; i32.const 16; i32.add`.
// References: the core binary format (webassembly.github.io/spec/core/binary) and the SIMD proposal's
// BinarySIMD.md (opcode table after the 0xFD prefix).

/** The bytes of one or more instructions. */
export type Code = number[];

/** Value types (binary encoding). */
export const ValType = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValType = (typeof ValType)[keyof typeof ValType];

// ---- encodings -----------------------------------------------------------------------------------------

/** Unsigned LEB128 (sizes, indices, alignment and offset immediates). */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`uleb: ${n} is not a non-negative integer`);
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32.const immediates). */
export function sleb(n: number): number[] {
  if (!Number.isInteger(n)) throw new Error(`sleb: ${n} is not an integer`);
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n = Math.floor(n / 128); // arithmetic shift that also works beyond 32 bits
    const signBitClear = (byte & 0x40) === 0;
    if ((n === 0 && signBitClear) || (n === -1 && !signBitClear)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function f32Bytes(x: number): number[] {
  return [...new Uint8Array(new Float32Array([x]).buffer)];
}

function utf8(s: string): number[] {
  return [...new TextEncoder().encode(s)];
}

/** A length-prefixed vector of already-encoded items. */
function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function concat(parts: Code[]): Code {
  const out: Code = [];
  for (const p of parts) for (const b of p) out.push(b);
  return out;
}

/** Concatenate instruction sequences (a function body, a loop body). */
export function seq(...parts: Code[]): Code {
  return concat(parts);
}

// ---- instructions ------------------------------------------------------------------------------------

/** A local variable (or parameter) of a function under construction. */
export interface Local {
  readonly index: number;
  readonly type: ValType;
}

const memarg = (alignLog2: number, offset: number): number[] => [...uleb(alignLog2), ...uleb(offset)];
const SIMD = 0xfd;
const simd = (op: number, ...operands: Code[]): Code => [...concat(operands), SIMD, ...uleb(op)];
const bin = (opcode: number) => (a: Code, b: Code): Code => [...a, ...b, opcode];
const un = (opcode: number) => (a: Code): Code => [...a, opcode];

export const local = {
  get: (x: Local): Code => [0x20, ...uleb(x.index)],
  set: (x: Local, value: Code): Code => [...value, 0x21, ...uleb(x.index)],
  tee: (x: Local, value: Code): Code => [...value, 0x22, ...uleb(x.index)],
};

export const i32 = {
  const: (n: number): Code => [0x41, ...sleb(n | 0)],
  /** NOTE: `offset` is a constant byte offset folded into the instruction (addressing-mode friendly). */
  load: (addr: Code, offset = 0): Code => [...addr, 0x28, ...memarg(2, offset)],
  store: (addr: Code, value: Code, offset = 0): Code => [...addr, ...value, 0x36, ...memarg(2, offset)],
  eqz: un(0x45),
  eq: bin(0x46),
  ne: bin(0x47),
  lt_s: bin(0x48),
  lt_u: bin(0x49),
  gt_s: bin(0x4a),
  gt_u: bin(0x4b),
  le_s: bin(0x4c),
  ge_s: bin(0x4e),
  add: bin(0x6a),
  sub: bin(0x6b),
  mul: bin(0x6c),
  and: bin(0x71),
  or: bin(0x72),
  shl: bin(0x74),
  shr_s: bin(0x75),
};

export const f32 = {
  const: (x: number): Code => [0x43, ...f32Bytes(x)],
  load: (addr: Code, offset = 0): Code => [...addr, 0x2a, ...memarg(2, offset)],
  store: (addr: Code, value: Code, offset = 0): Code => [...addr, ...value, 0x38, ...memarg(2, offset)],
  eq: bin(0x5b),
  ne: bin(0x5c),
  gt: bin(0x5e),
  add: bin(0x92),
  sub: bin(0x93),
  mul: bin(0x94),
  div: bin(0x95),
  min: bin(0x96),
  max: bin(0x97),
  neg: un(0x8c),
};

/** f64 scalars: only the conversions and products the exact float32 kernels need (see `dropoutScale`). */
export const f64 = {
  mul: bin(0xa2),
  /** f32 -> f64 (exact). */
  promote_f32: un(0xbb),
  /** f64 -> f32, rounded to nearest even (what a Float32Array store of a JS number does). */
  demote_to_f32: un(0xb6),
};

export const v128 = {
  /** 16-byte load; alignment hint 2^4 (a hint only: unaligned addresses are still correct). */
  load: (addr: Code, offset = 0): Code => [...addr, SIMD, ...uleb(0x00), ...memarg(4, offset)],
  /** Load one f32 and broadcast it to all four lanes (x64: vbroadcastss). */
  load32_splat: (addr: Code, offset = 0): Code => [...addr, SIMD, ...uleb(0x09), ...memarg(2, offset)],
  store: (addr: Code, value: Code, offset = 0): Code => [...addr, ...value, SIMD, ...uleb(0x0b), ...memarg(4, offset)],
  and: (a: Code, b: Code): Code => simd(0x4e, a, b),
  or: (a: Code, b: Code): Code => simd(0x50, a, b),
  /**
   * i8x16.shuffle on 32-bit lanes: lane l of the result is lane `lanes[l]` of a (0-3) or of b (4-7).
   * E.g. lanes [0, 4, 1, 5] interleaves the low halves of a and b (x64: one unpcklps).
   */
  shuffle32: (a: Code, b: Code, lanes: readonly [number, number, number, number]): Code =>
    [...a, ...b, SIMD, ...uleb(0x0d), ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])],
  /** Lane-wise `mask ? a : b` over bits. */
  bitselect: (a: Code, b: Code, mask: Code): Code => simd(0x52, a, b, mask),
};

export const f64x2 = {
  splat: (x: Code): Code => simd(0x14, x),
  mul: (a: Code, b: Code): Code => simd(0xf2, a, b),
  /** The low two f32 lanes of a, widened to f64 (exact). */
  promote_low_f32x4: (a: Code): Code => simd(0x5f, a),
  /** The two f64 lanes rounded to f32 into lanes 0-1; lanes 2-3 are 0. */
  demote_to_f32x4_zero: (a: Code): Code => simd(0x5e, a),
};

export const i32x4 = {
  splat: (x: Code): Code => simd(0x11, x),
  /** Lane-wise a == b: all ones where equal, else 0. */
  eq: (a: Code, b: Code): Code => simd(0x37, a, b),
};

export const f32x4 = {
  splat: (x: Code): Code => simd(0x13, x),
  /** All four lanes = x (a compile-time constant), via v128.const. */
  const: (x: number): Code => [SIMD, ...uleb(0x0c), ...f32Bytes(x), ...f32Bytes(x), ...f32Bytes(x), ...f32Bytes(x)],
  extract_lane: (v: Code, lane: number): Code => [...v, SIMD, ...uleb(0x1f), lane],
  abs: (a: Code): Code => simd(0xe0, a),
  neg: (a: Code): Code => simd(0xe1, a),
  add: (a: Code, b: Code): Code => simd(0xe4, a, b),
  sub: (a: Code, b: Code): Code => simd(0xe5, a, b),
  mul: (a: Code, b: Code): Code => simd(0xe6, a, b),
  div: (a: Code, b: Code): Code => simd(0xe7, a, b),
  min: (a: Code, b: Code): Code => simd(0xe8, a, b),
  max: (a: Code, b: Code): Code => simd(0xe9, a, b),
  /** Lane-wise a > b: all ones where true, else 0 (false for NaN, like the scalar `>`). */
  gt: (a: Code, b: Code): Code => simd(0x44, a, b),
  /** `b < a ? b : a` lane-wise (x64: one minps, no NaN fix-up unlike f32x4.min). */
  pmin: (a: Code, b: Code): Code => simd(0xea, a, b),
  /** `a < b ? b : a` lane-wise (x64: one maxps). */
  pmax: (a: Code, b: Code): Code => simd(0xeb, a, b),
};

// ---- control flow ------------------------------------------------------------------------------------

const EMPTY_BLOCK = 0x40;
const END = 0x0b;

export const control = {
  /** `if cond { then } else { otherwise }` with no result value. */
  if: (cond: Code, then: Code, otherwise?: Code): Code =>
    otherwise === undefined
      ? [...cond, 0x04, EMPTY_BLOCK, ...then, END]
      : [...cond, 0x04, EMPTY_BLOCK, ...then, 0x05, ...otherwise, END],
  /** `do { body } while (cond)`: runs body at least once; `cond` is evaluated after each pass. */
  doWhile: (body: Code, cond: Code): Code => [0x03, EMPTY_BLOCK, ...body, ...cond, 0x0d, 0, END],
  /**
   * `for (i = start; i < end; i += step) body` with signed compare. `end` is re-evaluated every pass,
   * so pass a `local.get`, not an expensive expression. NOTE: `body` must not branch out itself (the
   * branch depths here assume it does not).
   */
  for: (i: Local, start: Code, end: Code, step: Code, body: Code): Code => [
    ...local.set(i, start),
    0x02, EMPTY_BLOCK, // block: exit target (depth 1 from inside the loop)
    0x03, EMPTY_BLOCK, // loop: continue target (depth 0)
    ...i32.ge_s(local.get(i), end), 0x0d, 1, // br_if 1 when i >= end
    ...body,
    ...local.set(i, i32.add(local.get(i), step)),
    0x0c, 0, // br 0
    END,
    END,
  ],
  /** Call function `index` (its index in the module) with arguments already in order. */
  call: (index: number, ...args: Code[]): Code => [...concat(args), 0x10, ...uleb(index)],
  /** `cond ? a : b` for numeric values; both sides are evaluated. */
  select: (a: Code, b: Code, cond: Code): Code => [...a, ...b, ...cond, 0x1b],
  /** Discard the value on top of the stack. */
  drop: (value: Code): Code => [...value, 0x1a],
  return: (value?: Code): Code => [...(value ?? []), 0x0f],
};

// ---- functions and modules ---------------------------------------------------------------------------

/** Collects a function's parameters and locals; the body is a Code built with the helpers above. */
export class FunctionBuilder {
  private readonly params: ValType[] = [];
  private readonly locals: ValType[] = [];
  private frozenParams = false;

  param(type: ValType): Local {
    if (this.frozenParams) throw new Error('FunctionBuilder: declare every param before the first local');
    this.params.push(type);
    return { index: this.params.length - 1, type };
  }

  local(type: ValType): Local {
    this.frozenParams = true;
    this.locals.push(type);
    return { index: this.params.length + this.locals.length - 1, type };
  }

  get paramTypes(): readonly ValType[] {
    return this.params;
  }

  /** The code-section entry: locals run-length encoded by type, then the body and `end`. */
  encodeBody(body: Code): number[] {
    const groups: number[][] = [];
    for (let i = 0; i < this.locals.length; ) {
      let j = i;
      while (j < this.locals.length && this.locals[j] === this.locals[i]) j++;
      groups.push([...uleb(j - i), this.locals[i]]);
      i = j;
    }
    const code = [...vec(groups), ...body, END];
    return [...uleb(code.length), ...code];
  }
}

interface FunctionDef {
  name: string;
  typeIndex: number;
  body: number[];
}

/** Limits of the imported linear memory, in 64 KiB pages. */
export interface MemoryImport {
  module: string;
  name: string;
  initialPages: number;
  maximumPages: number;
  /** A shared memory (threads proposal): its buffer is a SharedArrayBuffer that workers can share. */
  shared: boolean;
}

/**
 * Builds one module that imports its linear memory and exports functions.
 *
 * @example
 * const m = new ModuleBuilder({ module: 'env', name: 'memory', initialPages: 1, maximumPages: 1, shared: false });
 * m.func('add', [ValType.i32, ValType.i32], [ValType.i32], (f, [a, b]) => i32.add(local.get(a), local.get(b)));
 * const bytes = m.encode(); // WebAssembly.validate(bytes) === true
 */
export class ModuleBuilder {
  private readonly types: string[] = [];
  private readonly typeBytes: number[][] = [];
  private readonly funcs: FunctionDef[] = [];

  constructor(private readonly memory: MemoryImport) {}

  /** Add an exported function; `build` declares locals on `f` and returns the body. Returns its index. */
  func(name: string, params: ValType[], results: ValType[], build: (f: FunctionBuilder, params: Local[]) => Code): number {
    const f = new FunctionBuilder();
    const paramLocals = params.map((t) => f.param(t));
    const body = build(f, paramLocals);
    const sig = [0x60, ...vec(params.map((t) => [t])), ...vec(results.map((t) => [t]))];
    const key = sig.join(',');
    let typeIndex = this.types.indexOf(key);
    if (typeIndex < 0) {
      typeIndex = this.types.length;
      this.types.push(key);
      this.typeBytes.push(sig);
    }
    this.funcs.push({ name, typeIndex, body: f.encodeBody(body) });
    return this.funcs.length - 1; // no function imports, so function indices start at 0
  }

  /** The module bytes: header, then type, import, function, export and code sections in spec order. */
  encode(): Uint8Array {
    const section = (id: number, payload: number[]): number[] => [id, ...uleb(payload.length), ...payload];
    const { module, name, initialPages, maximumPages, shared } = this.memory;
    const limits = [shared ? 0x03 : 0x01, ...uleb(initialPages), ...uleb(maximumPages)];
    const str = (s: string): number[] => [...uleb(utf8(s).length), ...utf8(s)];
    const memoryImport = [...str(module), ...str(name), 0x02, ...limits]; // import kind 0x02 = memory
    const bytes = [
      0x00, 0x61, 0x73, 0x6d, // magic "\0asm"
      0x01, 0x00, 0x00, 0x00, // version 1
      ...section(1, vec(this.typeBytes)),
      ...section(2, vec([memoryImport])),
      ...section(3, vec(this.funcs.map((f) => uleb(f.typeIndex)))),
      ...section(7, vec(this.funcs.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]))), // export kind 0x00 = func
      ...section(10, vec(this.funcs.map((f) => f.body))),
    ];
    return new Uint8Array(bytes);
  }
}
