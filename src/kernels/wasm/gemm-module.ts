// Generates the float32 kernel module: GEMM (panel packing, f32x4 register-blocked micro-kernel, blocked driver), the bias+activation epilogue, the fused LSTM cell and its BPTT step, column sums, max pooling and the dropout scale.
//
// Algorithm (GotoBLAS / BLIS): C[M,N] = alpha·op(A)[M,K]·op(B)[K,N] + beta·C.
//   for jc over N by NC:                          B block [KC x NC] -> packed B (stays in L2/L3)
//     for pc over K by KC:
//       pack B[pc:pc+KC, jc:jc+NC] into NR-wide panels: panel q holds B[k, q·NR + j] at (k·NR + j)
//       for ic over M by MC:                      A block [MC x KC] -> packed A (stays in L2)
//         pack alpha·A[ic:ic+MC, pc:pc+KC] into MR-tall panels: panel p holds A[p·MR + i, k] at (k·MR + i)
//         for jr over NC by NR, ir over MC by MR: micro-kernel: an MR x NR tile of C held in v128 locals
// Packing makes both operands unit-stride and zero-pads every tail (M, N to MR/NR, K to a multiple of KU),
// so the micro-kernel has no tail code and transA / transB only change how the packers read memory.
// Alpha is folded into packed A; beta applies when a tile is stored (beta is only used on the first K
// block; later blocks accumulate with beta = 1). NOTE: beta = 0 never reads C, so C may hold garbage (NaN).
//
// All pointers are byte addresses in the imported linear memory. Sizes are element counts.

import { type Code, type FunctionBuilder, ModuleBuilder, ValType, control, f32, f32x4, f64, f64x2, i32, i32x4, local, seq, v128, type Local } from './emitter.ts';

/** Register and cache blocking. MC % MR = 0, NC % NR = 0, KC % KU = 0, NR % 4 = 0. */
export interface GemmTiling {
  /** Rows of the register tile (accumulators: MR x NR/4 v128 locals). */
  MR: number;
  /** Columns of the register tile (a multiple of 4: one v128 holds 4 columns). */
  NR: number;
  /** Unroll of the micro-kernel's k loop; packed K is zero-padded to a multiple of it. */
  KU: number;
  MC: number;
  KC: number;
  NC: number;
}

/**
 * Chosen by measurement (best-of timings, float32, Node 20 / V8 11.3 TurboFan, 2-core AMD EPYC Zen 4):
 * 4 x 8 keeps 8 accumulators + 2 B vectors + the broadcast A values in the 15 xmm registers V8 allocates;
 * 512^3 reached 43.7 GFLOP/s with 4x8, 36 with 5x8, 28 with 6x8 (spills), 24-32 with 4x12 / 2x16 / 4x16.
 * NOTE: KU = 1 on purpose: unrolling k by 2 or 4 made TurboFan's scheduler hoist every broadcast of the
 * unrolled body to the top and spill accumulators to the stack (27.8 and 24 GFLOP/s instead of 43.7).
 * MC / KC / NC barely matter up to 512^3 (all of it fits the 1 MiB L2); these keep the packed A block
 * (128 KiB) in L2 and one B micro-panel (KC x NR x 4 B = 8 KiB) in the 32 KiB L1.
 */
export const DEFAULT_TILING: GemmTiling = { MR: 4, NR: 8, KU: 1, MC: 128, KC: 256, NC: 512 };

/** Activation codes of the `biasAct` epilogue (see `Activation` in gemm.ts). */
export const ACTIVATION_CODE = { none: 0, relu: 1, tanh: 2, sigmoid: 3 } as const;

/** Bytes of per-thread scratch the `gemm` export needs: packed A block, packed B block, one C tile. */
export function gemmScratchBytes(t: GemmTiling): number {
  return 4 * (t.MC * t.KC + t.KC * t.NC + t.MR * t.NR);
}

// Rational minimax approximation of tanh on [-c, c] (the odd/even polynomial pair Eigen uses for float32
// `generic_fast_tanh_float`, non-FMA clamp). Beyond ±c, float32 tanh rounds to ±1 anyway.
// Measured max |error| against Math.tanh over a 400k-point grid on [-20, 20]: 3.3e-7 for tanh (at x ~ -5.9),
// 2.3e-7 for sigmoid; relative error of sigmoid for |x| < 2: 6e-7. test/kernels/wasm asserts the bound below.
const TANH_CLAMP = 7.90531110763549805;
const TANH_P = [4.89352455891786e-3, 6.37261928875436e-4, 1.48572235717979e-5, 5.12229709037114e-8, -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16];
const TANH_Q = [4.89352518554385e-3, 2.26843463243900e-3, 1.18534705686654e-4, 1.19825839466702e-6];
/** Documented bound on |tanhApprox(x) - tanh(x)| in float32 (measured 3.3e-7); sigmoid's is half of it. */
export const TANH_MAX_ABS_ERROR = 5e-7;

// Activation code generators, in place on a local (`x` v128 or `s` f32; `x2` / `s2` are scratch locals).
// tanh(x) = P(x²)·x / Q(x²) on the clamped input; sigmoid(x) = (1 + tanh(x/2)) / 2; relu = max(0, x), NaN -> 0.
const get = local.get;
const set = local.set;
/** Makes the code of a splatted f32x4 constant: `f32x4.const`, or a read of a local holding it (`hoistedConstants`). */
type VConst = (x: number) => Code;

/**
 * Splatted constants held in v128 locals, set once at the top of a function (`prelude`, emitted after the
 * body is built). NOTE: V8 (11.x, x64) materialises every `v128.const` with several scalar moves and
 * inserts where it is used, inside the loop; a local is kept in a register or reloaded with one vector load.
 */
function hoistedConstants(f: FunctionBuilder): { k: VConst; prelude: () => Code } {
  const locals = new Map<number, Local>();
  const k: VConst = (x) => {
    let l = locals.get(x);
    if (l === undefined) locals.set(x, (l = f.local(ValType.v128)));
    return get(l);
  };
  return { k, prelude: () => seq(...[...locals].map(([x, l]) => set(l, f32x4.const(x)))) };
}

function tanhV(x: Local, x2: Local, k: VConst = f32x4.const): Code {
  let p = k(TANH_P[6]);
  for (let n = 5; n >= 0; n--) p = f32x4.add(f32x4.mul(p, get(x2)), k(TANH_P[n]));
  let q = k(TANH_Q[3]);
  for (let n = 2; n >= 0; n--) q = f32x4.add(f32x4.mul(q, get(x2)), k(TANH_Q[n]));
  return seq(
    set(x, f32x4.pmax(f32x4.pmin(get(x), k(TANH_CLAMP)), k(-TANH_CLAMP))),
    set(x2, f32x4.mul(get(x), get(x))),
    set(x, f32x4.div(f32x4.mul(p, get(x)), q)),
  );
}
/**
 * tanhV on several independent vectors at once, each Horner step emitted for all of them before the next:
 * the same operations in the same order per lane as tanhV (bit-identical results), but the dependency chains
 * (~50 cycles each: 6 multiply-adds, a divide) run side by side instead of one after another. `x2s`, `ps`,
 * `qs`: one scratch local per vector.
 */
function tanhVLockstep(xs: Local[], x2s: Local[], ps: Local[], qs: Local[], k: VConst = f32x4.const): Code {
  const each = (fn: (a: number) => Code): Code => seq(...xs.map((_, a) => fn(a)));
  const out: Code[] = [
    each((a) => set(xs[a], f32x4.pmax(f32x4.pmin(get(xs[a]), k(TANH_CLAMP)), k(-TANH_CLAMP)))),
    each((a) => set(x2s[a], f32x4.mul(get(xs[a]), get(xs[a])))),
    each((a) => set(ps[a], f32x4.add(f32x4.mul(k(TANH_P[6]), get(x2s[a])), k(TANH_P[5])))),
    each((a) => set(qs[a], f32x4.add(f32x4.mul(k(TANH_Q[3]), get(x2s[a])), k(TANH_Q[2])))),
  ];
  for (let n = 4; n >= 0; n--) {
    out.push(each((a) => set(ps[a], f32x4.add(f32x4.mul(get(ps[a]), get(x2s[a])), k(TANH_P[n])))));
    if (n <= 1) out.push(each((a) => set(qs[a], f32x4.add(f32x4.mul(get(qs[a]), get(x2s[a])), k(TANH_Q[n])))));
  }
  out.push(each((a) => set(xs[a], f32x4.div(f32x4.mul(get(ps[a]), get(xs[a])), get(qs[a])))));
  return seq(...out);
}

function tanhS(s: Local, s2: Local): Code {
  let p = f32.const(TANH_P[6]);
  for (let n = 5; n >= 0; n--) p = f32.add(f32.mul(p, get(s2)), f32.const(TANH_P[n]));
  let q = f32.const(TANH_Q[3]);
  for (let n = 2; n >= 0; n--) q = f32.add(f32.mul(q, get(s2)), f32.const(TANH_Q[n]));
  return seq(
    set(s, f32.max(f32.min(get(s), f32.const(TANH_CLAMP)), f32.const(-TANH_CLAMP))),
    set(s2, f32.mul(get(s), get(s))),
    set(s, f32.div(f32.mul(p, get(s)), q)),
  );
}
const sigmoidV = (x: Local, x2: Local, k: VConst = f32x4.const): Code =>
  seq(set(x, f32x4.mul(get(x), k(0.5))), tanhV(x, x2, k), set(x, f32x4.add(f32x4.mul(get(x), k(0.5)), k(0.5))));
const sigmoidS = (s: Local, s2: Local): Code =>
  seq(set(s, f32.mul(get(s), f32.const(0.5))), tanhS(s, s2), set(s, f32.add(f32.mul(get(s), f32.const(0.5)), f32.const(0.5))));
const reluV = (x: Local): Code => set(x, f32x4.pmax(f32x4.const(0), get(x)));
const reluS = (s: Local): Code => set(s, f32.max(f32.const(0), get(s)));

/** Export names, in function-index order (a `call` needs the callee's index). */
export const GEMM_EXPORTS = ['packA', 'packB', 'macro', 'gemm', 'biasAct', 'lstmCell', 'lstmCellBackward', 'addColumnSums', 'maxPool1d', 'maxPool1dBackward', 'dropoutScale', 'gemmK1', 'gemvM1'] as const;

/**
 * Emit the module bytes. The module imports `env.memory` with the given limits.
 *
 * @example
 * const bytes = emitGemmModule(DEFAULT_TILING, { initialPages: 256, maximumPages: 256, shared: false });
 * WebAssembly.validate(bytes); // true
 */
export function emitGemmModule(t: GemmTiling, memory: { initialPages: number; maximumPages: number; shared: boolean }): Uint8Array {
  const { MR, NR, KU } = t;
  if (NR % 4 !== 0 || t.MC % MR !== 0 || t.NC % NR !== 0 || t.KC % KU !== 0) throw new Error(`emitGemmModule: inconsistent tiling ${JSON.stringify(t)}`);
  const NV = NR / 4; // v128 columns per tile row
  const m = new ModuleBuilder({ module: 'env', name: 'memory', ...memory });
  const { i32: I, f32: F } = ValType;
  const c = i32.const;
  const add = i32.add;
  const mul = i32.mul;
  const minI = (a: number, b: Code): Code => control.select(c(a), b, i32.lt_s(c(a), b)); // min(a, b), b evaluated twice
  const both = (a: Code, b: Code): Code => i32.and(a, b);

  // 4x4 transpose of four v128 locals (rows r[0..3]) into o[0..3] (columns), via 8 lane shuffles
  // (x64: unpcklps / unpckhps / movlhps / movhlps). The packers use it to turn 4 rows x 4 k of a
  // row-major operand into the k-major order the micro-kernel reads.
  const transpose4 = (r: Local[], t: Local[], o: Local[]): Code => seq(
    set(t[0], v128.shuffle32(get(r[0]), get(r[1]), [0, 4, 1, 5])),
    set(t[1], v128.shuffle32(get(r[2]), get(r[3]), [0, 4, 1, 5])),
    set(t[2], v128.shuffle32(get(r[0]), get(r[1]), [2, 6, 3, 7])),
    set(t[3], v128.shuffle32(get(r[2]), get(r[3]), [2, 6, 3, 7])),
    set(o[0], v128.shuffle32(get(t[0]), get(t[1]), [0, 1, 4, 5])),
    set(o[1], v128.shuffle32(get(t[0]), get(t[1]), [2, 3, 6, 7])),
    set(o[2], v128.shuffle32(get(t[2]), get(t[3]), [0, 1, 4, 5])),
    set(o[3], v128.shuffle32(get(t[2]), get(t[3]), [2, 3, 6, 7])),
  );
  const v128Locals = (f: { local: (t: ValType) => Local }, n: number): Local[] => Array.from({ length: n }, () => f.local(ValType.v128));

  // packA(src, rs, cs, mc, kc, kcPad, alpha, dst): A(i, k) lives at src + i·rs + k·cs (bytes), so
  // transA only swaps rs and cs. dst panel p, step k, row i <- alpha·A(p·MR + i, k), zero outside mc x kc.
  // Full panels take a vector path first (A: 4 rows x 4 k per transpose; Aᵀ: MR contiguous rows per k);
  // the scalar loop then finishes the k tail, the K padding, and partial panels.
  const packA = m.func('packA', [I, I, I, I, I, I, F, I], [], (f, [src, rs, cs, mc, kc, kcPad, alpha, dst]) => {
    const p = f.local(I), k = f.local(I), kStart = f.local(I), rows = f.local(I), col = f.local(I), d = f.local(I);
    const alphaV = f.local(ValType.v128);
    const r = v128Locals(f, 4), t = v128Locals(f, 4), o = v128Locals(f, 4);
    const row = (i: number): Code => (i === 0 ? get(col) : add(get(col), mul(c(i), get(rs))));
    const perRow: Code[] = [];
    for (let i = 0; i < MR; i++) {
      perRow.push(control.if(both(i32.lt_s(c(i), get(rows)), i32.lt_s(get(k), get(kc))),
        f32.store(get(d), f32.mul(get(alpha), f32.load(row(i))), 4 * i),
        f32.store(get(d), f32.const(0), 4 * i)));
    }
    const vectorPaths: Code[] = [];
    if (MR === 4) {
      // Untransposed (cs = 4): rows i..i+3 hold k..k+3 contiguously; transposing gives 4 packed k steps.
      vectorPaths.push(control.if(i32.eq(get(cs), c(4)), seq(
        set(kStart, i32.and(get(kc), c(-4))),
        control.for(k, c(0), get(kStart), c(4), seq(
          set(col, add(add(get(src), mul(get(p), get(rs))), mul(get(k), c(4)))),
          ...r.map((x, i) => set(x, v128.load(row(i)))),
          transpose4(r, t, o),
          ...o.map((x, u) => v128.store(get(d), f32x4.mul(get(x), get(alphaV)), 16 * u)),
          set(d, add(get(d), c(64))),
        )),
      )));
    }
    if (MR % 4 === 0) {
      // Transposed (rs = 4): the MR rows of one k are contiguous.
      vectorPaths.push(control.if(both(i32.eq(get(rs), c(4)), i32.ne(get(cs), c(4))), seq(
        set(kStart, get(kc)),
        control.for(k, c(0), get(kc), c(1), seq(
          set(col, add(add(get(src), mul(get(p), c(4))), mul(get(k), get(cs)))),
          ...Array.from({ length: MR / 4 }, (_, g) => v128.store(get(d), f32x4.mul(v128.load(get(col), 16 * g), get(alphaV)), 16 * g)),
          set(d, add(get(d), c(4 * MR))),
        )),
      )));
    }
    return seq(
      set(alphaV, f32x4.splat(get(alpha))),
      set(d, get(dst)),
      control.for(p, c(0), get(mc), c(MR), seq(
        set(rows, minI(MR, i32.sub(get(mc), get(p)))),
        set(kStart, c(0)),
        vectorPaths.length > 0 ? control.if(i32.eq(get(rows), c(MR)), seq(...vectorPaths)) : [],
        control.for(k, get(kStart), get(kcPad), c(1), seq(
          set(col, add(add(get(src), mul(get(p), get(rs))), mul(get(k), get(cs)))),
          ...perRow,
          set(d, add(get(d), c(4 * MR))),
        )),
      )),
    );
  });

  // packB(src, ks, js, kc, kcPad, nc, dst): B(k, j) lives at src + k·ks + j·js. Panel q, step k, column j
  // <- B(k, q·NR + j), zero outside kc x nc. Full panels take a vector path first (B: NR/4 vector copies
  // per k; Bᵀ: 4 columns x 4 k per transpose); the scalar loop finishes tails, padding, partial panels.
  const packB = m.func('packB', [I, I, I, I, I, I, I], [], (f, [src, ks, js, kc, kcPad, nc, dst]) => {
    const q = f.local(I), k = f.local(I), kStart = f.local(I), cols = f.local(I), row = f.local(I), d = f.local(I);
    const r = v128Locals(f, 4), t = v128Locals(f, 4), o = v128Locals(f, 4);
    const scalarCopy: Code[] = [];
    for (let j = 0; j < NR; j++) {
      scalarCopy.push(control.if(both(i32.lt_s(c(j), get(cols)), i32.lt_s(get(k), get(kc))),
        f32.store(get(d), f32.load(j === 0 ? get(row) : add(get(row), mul(c(j), get(js)))), 4 * j),
        f32.store(get(d), f32.const(0), 4 * j)));
    }
    const untransposed = seq(
      set(kStart, get(kc)),
      control.for(k, c(0), get(kc), c(1), seq(
        set(row, add(add(get(src), mul(get(k), get(ks))), mul(get(q), c(4)))),
        ...Array.from({ length: NV }, (_, v) => v128.store(get(d), v128.load(get(row), 16 * v), 16 * v)),
        set(d, add(get(d), c(4 * NR))),
      )),
    );
    const transposedGroup = (g: number): Code => seq(
      // Columns q + 4g .. q + 4g + 3 are rows of the stored Bᵀ; each holds k..k+3 contiguously.
      set(row, add(add(get(src), mul(add(get(q), c(4 * g)), get(js))), mul(get(k), c(4)))),
      ...r.map((x, i) => set(x, v128.load(i === 0 ? get(row) : add(get(row), mul(c(i), get(js)))))),
      transpose4(r, t, o),
      ...o.map((x, u) => v128.store(get(d), get(x), 4 * (u * NR + 4 * g))),
    );
    const transposed = seq(
      set(kStart, i32.and(get(kc), c(-4))),
      control.for(k, c(0), get(kStart), c(4), seq(
        ...Array.from({ length: NV }, (_, g) => transposedGroup(g)),
        set(d, add(get(d), c(16 * NR))),
      )),
    );
    return seq(
      set(d, get(dst)),
      control.for(q, c(0), get(nc), c(NR), seq(
        set(cols, minI(NR, i32.sub(get(nc), get(q)))),
        set(kStart, c(0)),
        control.if(i32.eq(get(cols), c(NR)),
          control.if(i32.eq(get(js), c(4)), untransposed, control.if(i32.eq(get(ks), c(4)), transposed))),
        control.for(k, get(kStart), get(kcPad), c(1), seq(
          set(row, add(add(get(src), mul(get(k), get(ks))), mul(get(q), get(js)))),
          ...scalarCopy,
          set(d, add(get(d), c(4 * NR))),
        )),
      )),
    );
  });

  // macro(pa, pb, mc, nc, kcPad, C, ldcBytes, beta, tile): every MR x NR tile of the mc x nc block of C.
  const macro = m.func('macro', [I, I, I, I, I, I, I, F, I], [], (f, [pa, pb, mc, nc, kcPad, C, ldcB, beta, tile]) => {
    const jr = f.local(I), ir = f.local(I), cols = f.local(I), rows = f.local(I);
    const paPanel = f.local(I), pbPanel = f.local(I), pA = f.local(I), pB = f.local(I), pBEnd = f.local(I);
    const cTile = f.local(I), cPtr = f.local(I), i = f.local(I), j = f.local(I), tPtr = f.local(I);
    const panelABytes = f.local(I), panelBBytes = f.local(I);
    const acc: Local[][] = [];
    for (let r = 0; r < MR; r++) acc.push(Array.from({ length: NV }, () => f.local(ValType.v128)));
    const b = Array.from({ length: NV }, () => f.local(ValType.v128));
    const a = f.local(ValType.v128);
    const betaV = f.local(ValType.v128);

    // One k step of the micro-kernel, unrolled KU times: load NR columns of packed B, then for each of the
    // MR rows broadcast one packed-A value and multiply-add it into that row's accumulators.
    const kStep: Code[] = [];
    for (let u = 0; u < KU; u++) {
      for (let v = 0; v < NV; v++) kStep.push(set(b[v], v128.load(get(pB), 4 * (u * NR + 4 * v))));
      for (let r = 0; r < MR; r++) {
        kStep.push(set(a, v128.load32_splat(get(pA), 4 * (u * MR + r))));
        for (let v = 0; v < NV; v++) kStep.push(set(acc[r][v], f32x4.add(get(acc[r][v]), f32x4.mul(get(a), get(b[v])))));
      }
    }
    const zeroAcc = acc.flat().map((x) => set(x, f32x4.const(0)));

    // Full tile: straight to C. Rows advance by ldc bytes.
    const storeFull = (withBeta: boolean): Code => {
      const out: Code[] = [set(cPtr, get(cTile))];
      for (let r = 0; r < MR; r++) {
        for (let v = 0; v < NV; v++) {
          const value = withBeta ? f32x4.add(get(acc[r][v]), f32x4.mul(v128.load(get(cPtr), 16 * v), get(betaV))) : get(acc[r][v]);
          out.push(v128.store(get(cPtr), value, 16 * v));
        }
        if (r < MR - 1) out.push(set(cPtr, add(get(cPtr), get(ldcB))));
      }
      return seq(...out);
    };
    // Edge tile: spill the accumulators to the scratch tile, then copy its rows x cols corner into C.
    const spill: Code[] = [];
    for (let r = 0; r < MR; r++) for (let v = 0; v < NV; v++) spill.push(v128.store(get(tile), get(acc[r][v]), 4 * (r * NR + 4 * v)));
    const storeEdge = seq(
      ...spill,
      control.for(i, c(0), get(rows), c(1), seq(
        set(cPtr, add(get(cTile), mul(get(i), get(ldcB)))),
        set(tPtr, add(get(tile), mul(get(i), c(4 * NR)))),
        control.for(j, c(0), get(cols), c(1), seq(
          control.if(f32.eq(get(beta), f32.const(0)),
            f32.store(get(cPtr), f32.load(get(tPtr))),
            f32.store(get(cPtr), f32.add(f32.load(get(tPtr)), f32.mul(get(beta), f32.load(get(cPtr)))))),
          set(cPtr, add(get(cPtr), c(4))),
          set(tPtr, add(get(tPtr), c(4))),
        )),
      )),
    );

    return seq(
      set(betaV, f32x4.splat(get(beta))),
      set(panelABytes, mul(get(kcPad), c(4 * MR))),
      set(panelBBytes, mul(get(kcPad), c(4 * NR))),
      set(pbPanel, get(pb)),
      control.for(jr, c(0), get(nc), c(NR), seq(
        set(cols, minI(NR, i32.sub(get(nc), get(jr)))),
        set(paPanel, get(pa)),
        control.for(ir, c(0), get(mc), c(MR), seq(
          set(rows, minI(MR, i32.sub(get(mc), get(ir)))),
          ...zeroAcc,
          set(pA, get(paPanel)),
          set(pB, get(pbPanel)),
          set(pBEnd, add(get(pB), get(panelBBytes))),
          control.doWhile(
            seq(...kStep, set(pA, add(get(pA), c(4 * MR * KU))), set(pB, add(get(pB), c(4 * NR * KU)))),
            i32.lt_u(get(pB), get(pBEnd))),
          set(cTile, add(add(get(C), mul(get(ir), get(ldcB))), mul(get(jr), c(4)))),
          control.if(both(i32.eq(get(rows), c(MR)), i32.eq(get(cols), c(NR))),
            control.if(f32.eq(get(beta), f32.const(0)), storeFull(false), storeFull(true)),
            storeEdge),
          set(paPanel, add(get(paPanel), get(panelABytes))),
        )),
        set(pbPanel, add(get(pbPanel), get(panelBBytes))),
      )),
    );
  });

  // gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, scratch): the blocked driver.
  // Requires M, N, K >= 1 (gemm.ts handles empty shapes).
  m.func('gemm', [I, I, I, I, I, F, I, I, I, I, F, I, I, I], [], (f, [transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, scratch]) => {
    const rsA = f.local(I), csA = f.local(I), ksB = f.local(I), jsB = f.local(I), pa = f.local(I), pb = f.local(I), tile = f.local(I);
    const jc = f.local(I), pc = f.local(I), ic = f.local(I), nc = f.local(I), kc = f.local(I), kcPad = f.local(I), mc = f.local(I);
    const betaK = f.local(ValType.f32);
    const minL = (limit: number, total: Local, at: Local): Code => minI(limit, i32.sub(get(total), get(at)));
    return seq(
      // A(i, k) at A + i·rsA + k·csA; B(k, j) at B + k·ksB + j·jsB (bytes).
      set(rsA, control.select(c(4), mul(get(lda), c(4)), get(transA))),
      set(csA, control.select(mul(get(lda), c(4)), c(4), get(transA))),
      set(ksB, control.select(c(4), mul(get(ldb), c(4)), get(transB))),
      set(jsB, control.select(mul(get(ldb), c(4)), c(4), get(transB))),
      set(pa, get(scratch)),
      set(pb, add(get(scratch), c(4 * t.MC * t.KC))),
      set(tile, add(get(pb), c(4 * t.KC * t.NC))),
      control.for(jc, c(0), get(N), c(t.NC), seq(
        set(nc, minL(t.NC, N, jc)),
        control.for(pc, c(0), get(K), c(t.KC), seq(
          set(kc, minL(t.KC, K, pc)),
          set(kcPad, i32.and(add(get(kc), c(KU - 1)), c(-KU))),
          set(betaK, control.select(get(beta), f32.const(1), i32.eqz(get(pc)))),
          control.call(packB, add(add(get(B), mul(get(pc), get(ksB))), mul(get(jc), get(jsB))), get(ksB), get(jsB), get(kc), get(kcPad), get(nc), get(pb)),
          control.for(ic, c(0), get(M), c(t.MC), seq(
            set(mc, minL(t.MC, M, ic)),
            control.call(packA, add(add(get(A), mul(get(ic), get(rsA))), mul(get(pc), get(csA))), get(rsA), get(csA), get(mc), get(kc), get(kcPad), get(alpha), get(pa)),
            control.call(macro, get(pa), get(pb), get(mc), get(nc), get(kcPad),
              add(get(C), mul(add(mul(get(ic), get(ldc)), get(jc)), c(4))), mul(get(ldc), c(4)), get(betaK), get(tile)),
          )),
        )),
      )),
    );
  });

  // biasAct(C, ldc, M, N, bias, act): C[i, j] = act(C[i, j] + bias[j]) over an M x N block (bias = 0: none).
  m.func('biasAct', [I, I, I, I, I, I], [], (f, [C, ldc, M, N, bias, act]) => {
    const i = f.local(I), j = f.local(I), row = f.local(I), nVec = f.local(I);
    const x = f.local(ValType.v128), x2 = f.local(ValType.v128);
    const s = f.local(ValType.f32), s2 = f.local(ValType.f32);
    const actV: Code[] = [[], reluV(x), tanhV(x, x2), sigmoidV(x, x2)];
    const actS: Code[] = [[], reluS(s), tanhS(s, s2), sigmoidS(s, s2)];
    const rowLoops = (code: number, withBias: boolean): Code => {
      const jBytes = mul(get(j), c(4));
      return seq(
        control.for(j, c(0), get(nVec), c(4), seq(
          set(x, v128.load(add(get(row), jBytes))),
          withBias ? set(x, f32x4.add(get(x), v128.load(add(get(bias), jBytes)))) : [],
          actV[code],
          v128.store(add(get(row), jBytes), get(x)),
        )),
        control.for(j, i32.and(get(N), c(-4)), get(N), c(1), seq(
          set(s, f32.load(add(get(row), jBytes))),
          withBias ? set(s, f32.add(get(s), f32.load(add(get(bias), jBytes)))) : [],
          actS[code],
          f32.store(add(get(row), jBytes), get(s)),
        )),
      );
    };
    const variants: Code[] = [];
    for (let code = 0; code < 4; code++) {
      variants.push(control.if(both(i32.eq(get(act), c(code)), i32.eqz(get(bias))), rowLoops(code, false)));
      variants.push(control.if(both(i32.eq(get(act), c(code)), i32.ne(get(bias), c(0))), rowLoops(code, true)));
    }
    return seq(
      set(nVec, i32.sub(get(N), c(3))), // j < N - 3  <=>  j + 4 <= N
      control.for(i, c(0), get(M), c(1), seq(
        set(row, add(get(C), mul(mul(get(i), get(ldc)), c(4)))),
        ...variants,
      )),
    );
  });

  // lstmCell(z, ldz, cPrev, ldcPrev, c, tanhC, y, ldh, B, H): one LSTM step's cell for B rows (row strides
  // in bytes). z row n holds the gate pre-activations [i | f | g | o] (4H); they are replaced by the
  // activated gates (the gradient rule needs them), and
  //   c = f·cPrev + i·g,  tanhC = tanh(c),  y = o·tanhC      (i, f, o = sigmoid; g = tanh)
  // c, tanhC and y share one layout (row stride ldh). Four units per vector, scalar tail when H % 4 != 0.
  m.func('lstmCell', [I, I, I, I, I, I, I, I, I, I], [], (f, [z, ldz, cPrev, ldcPrev, cOut, tanhC, y, ldh, B, H]) => {
    const n = f.local(I), j = f.local(I), zRow = f.local(I), cpRow = f.local(I), hOff = f.local(I), gateBytes = f.local(I), hVec = f.local(I);
    const vec = { i: f.local(ValType.v128), f: f.local(ValType.v128), g: f.local(ValType.v128), o: f.local(ValType.v128), c: f.local(ValType.v128), tmp: f.local(ValType.v128) };
    const sca = { i: f.local(F), f: f.local(F), g: f.local(F), o: f.local(F), c: f.local(F), tmp: f.local(F) };
    const col = (): Code => mul(get(j), c(4));
    const zAt = (gate: number): Code => add(add(get(zRow), col()), gate === 0 ? c(0) : mul(get(gateBytes), c(gate)));
    const outAt = (base: Local): Code => add(add(get(base), get(hOff)), col());
    const { k, prelude } = hoistedConstants(f);
    const lock = { x2: v128Locals(f, 4), p: v128Locals(f, 4), q: v128Locals(f, 4) };
    const body = (v: boolean): Code => {
      const r = v ? vec : sca;
      const load = v ? v128.load : f32.load;
      const store = v ? v128.store : f32.store;
      const fmul = v ? f32x4.mul : f32.mul;
      const fadd = v ? f32x4.add : f32.add;
      const sigmoid = v ? (x: Local, x2: Local) => sigmoidV(x, x2, k) : sigmoidS;
      const tanh = v ? (x: Local, x2: Local) => tanhV(x, x2, k) : tanhS;
      // The four gates' activations are independent: in the vector body they run in lockstep (tanhVLockstep;
      // sigmoid(x) = 0.5·tanh(0.5·x) + 0.5, the same operations as sigmoidV). Measured (hot, B = H = 64): 28.4 -> 26.6 µs a step.
      const gates = v
        ? seq(
          set(r.i, f32x4.mul(load(zAt(0)), k(0.5))), set(r.f, f32x4.mul(load(zAt(1)), k(0.5))),
          set(r.g, load(zAt(2))), set(r.o, f32x4.mul(load(zAt(3)), k(0.5))),
          tanhVLockstep([vec.i, vec.f, vec.g, vec.o], lock.x2, lock.p, lock.q, k),
          ...[vec.i, vec.f, vec.o].map((x) => set(x, f32x4.add(f32x4.mul(get(x), k(0.5)), k(0.5)))),
          store(zAt(0), get(r.i)), store(zAt(1), get(r.f)), store(zAt(2), get(r.g)), store(zAt(3), get(r.o)),
        )
        : seq(
          set(r.i, load(zAt(0))), sigmoid(r.i, r.tmp), store(zAt(0), get(r.i)),
          set(r.f, load(zAt(1))), sigmoid(r.f, r.tmp), store(zAt(1), get(r.f)),
          set(r.g, load(zAt(2))), tanh(r.g, r.tmp), store(zAt(2), get(r.g)),
          set(r.o, load(zAt(3))), sigmoid(r.o, r.tmp), store(zAt(3), get(r.o)),
        );
      return seq(
        gates,
        set(r.c, fadd(fmul(get(r.f), load(add(get(cpRow), col()))), fmul(get(r.i), get(r.g)))),
        store(outAt(cOut), get(r.c)),
        tanh(r.c, r.tmp),
        store(outAt(tanhC), get(r.c)),
        store(outAt(y), fmul(get(r.o), get(r.c))),
      );
    };
    const rows = control.for(n, c(0), get(B), c(1), seq(
      set(zRow, add(get(z), mul(get(n), get(ldz)))),
      set(cpRow, add(get(cPrev), mul(get(n), get(ldcPrev)))),
      set(hOff, mul(get(n), get(ldh))),
      control.for(j, c(0), get(hVec), c(4), body(true)),
      control.for(j, i32.and(get(H), c(-4)), get(H), c(1), body(false)),
    ));
    return seq(
      prelude(),
      set(gateBytes, mul(get(H), c(4))),
      set(hVec, i32.sub(get(H), c(3))), // j < H - 3  <=>  j + 4 <= H
      rows,
    );
  });

  // lstmCellBackward(gates, ldg, dz, ldz, cPrev, ldcPrev, tanhC, ldt, dy, ldy, dh, dc, B, H): one step of BPTT
  // through the cell for B rows (row strides in bytes; dh and dc are contiguous [B, H] carries). Same maths,
  // in the same order, as lstmCellBackward in src/kernels/cpu/lstm-cell.ts (float32 instead of float64):
  //   dht = dy + dh;  dct = dc + dht·o·(1 - tc²);  dz = [dct·g·i(1-i) | dct·cPrev·f(1-f) | dct·i(1-g²) | dht·tc·o(1-o)];
  //   dc <- dct·f   (dh is left for the caller's GEMM to overwrite)
  // Plain arithmetic, no approximation: four units per vector, scalar tail when H % 4 != 0.
  m.func('lstmCellBackward', [I, I, I, I, I, I, I, I, I, I, I, I, I, I], [], (f, [gates, ldg, dz, ldz, cPrev, ldcPrev, tanhC, ldt, dy, ldy, dh, dc, B, H]) => {
    const n = f.local(I), j = f.local(I), gRow = f.local(I), zRow = f.local(I), pRow = f.local(I), tRow = f.local(I), yRow = f.local(I), hRow = f.local(I);
    const gateBytes = f.local(I), hVec = f.local(I);
    const V = ValType.v128;
    const vec = { i: f.local(V), f: f.local(V), g: f.local(V), o: f.local(V), tc: f.local(V), dht: f.local(V), dct: f.local(V), one: f.local(V) };
    const sca = { i: f.local(F), f: f.local(F), g: f.local(F), o: f.local(F), tc: f.local(F), dht: f.local(F), dct: f.local(F), one: f.local(F) };
    const col = (): Code => mul(get(j), c(4));
    const at = (row: Local, gate = 0): Code => add(add(get(row), col()), gate === 0 ? c(0) : mul(get(gateBytes), c(gate)));
    const body = (v: boolean): Code => {
      const r = v ? vec : sca;
      const load = v ? v128.load : f32.load;
      const store = v ? v128.store : f32.store;
      const fmul = v ? f32x4.mul : f32.mul;
      const fadd = v ? f32x4.add : f32.add;
      const fsub = v ? f32x4.sub : f32.sub;
      const oneMinus = (x: Code): Code => fsub(get(r.one), x);
      return seq(
        set(r.i, load(at(gRow, 0))), set(r.f, load(at(gRow, 1))), set(r.g, load(at(gRow, 2))), set(r.o, load(at(gRow, 3))),
        set(r.tc, load(at(tRow))),
        set(r.dht, fadd(load(at(yRow)), load(add(add(get(dh), get(hRow)), col())))),
        // dc += dh · o · (1 - tanh²c)
        set(r.dct, fadd(load(add(add(get(dc), get(hRow)), col())), fmul(fmul(get(r.dht), get(r.o)), oneMinus(fmul(get(r.tc), get(r.tc)))))),
        store(at(zRow, 0), fmul(fmul(fmul(get(r.dct), get(r.g)), get(r.i)), oneMinus(get(r.i)))),
        store(at(zRow, 1), fmul(fmul(fmul(get(r.dct), load(at(pRow))), get(r.f)), oneMinus(get(r.f)))),
        store(at(zRow, 2), fmul(fmul(get(r.dct), get(r.i)), oneMinus(fmul(get(r.g), get(r.g))))),
        store(at(zRow, 3), fmul(fmul(fmul(get(r.dht), get(r.tc)), get(r.o)), oneMinus(get(r.o)))),
        store(add(add(get(dc), get(hRow)), col()), fmul(get(r.dct), get(r.f))),
      );
    };
    return seq(
      set(vec.one, f32x4.const(1)),
      set(sca.one, f32.const(1)),
      set(gateBytes, mul(get(H), c(4))),
      set(hVec, i32.sub(get(H), c(3))), // j < H - 3  <=>  j + 4 <= H
      control.for(n, c(0), get(B), c(1), seq(
        set(gRow, add(get(gates), mul(get(n), get(ldg)))),
        set(zRow, add(get(dz), mul(get(n), get(ldz)))),
        set(pRow, add(get(cPrev), mul(get(n), get(ldcPrev)))),
        set(tRow, add(get(tanhC), mul(get(n), get(ldt)))),
        set(yRow, add(get(dy), mul(get(n), get(ldy)))),
        set(hRow, mul(get(n), get(gateBytes))), // byte offset of row n in the contiguous dh / dc carries
        control.for(j, c(0), get(hVec), c(4), body(true)),
        control.for(j, i32.and(get(H), c(-4)), get(H), c(1), body(false)),
      )),
    );
  });

  // addColumnSums(src, ld, rows, cols, dst): dst[j] += Σ_r src[r, j] for j < cols (row stride ld bytes), e.g. a
  // bias gradient from a [rows, cols] dz. Each column is summed in row order into float32, as the plain
  // `dst[j] += src[r·ld + j]` loop over a Float32Array does, so the result is bit-identical to it. Columns
  // go 32 at a time (8 v128 accumulators, every row of the block before the next), then 4, then one.
  m.func('addColumnSums', [I, I, I, I, I], [], (f, [src, ld, rows, cols, dst]) => {
    const r = f.local(I), j = f.local(I), p = f.local(I), end = f.local(I);
    const U = 8;
    const accs = v128Locals(f, U);
    const s = f.local(F);
    const block = (accsUsed: Local[]): Code => seq(
      ...accsUsed.map((a, u) => set(a, v128.load(add(get(dst), mul(get(j), c(4))), 16 * u))),
      set(p, add(get(src), mul(get(j), c(4)))),
      control.for(r, c(0), get(rows), c(1), seq(
        ...accsUsed.map((a, u) => set(a, f32x4.add(get(a), v128.load(get(p), 16 * u)))),
        set(p, add(get(p), get(ld))),
      )),
      ...accsUsed.map((a, u) => v128.store(add(get(dst), mul(get(j), c(4))), get(a), 16 * u)),
    );
    return seq(
      set(end, i32.sub(get(cols), c(4 * U - 1))), // j + 32 <= cols
      control.for(j, c(0), get(end), c(4 * U), block(accs)),
      // Each loop below starts where the previous one stopped.
      set(end, i32.sub(get(cols), c(3))),
      control.for(j, get(j), get(end), c(4), block(accs.slice(0, 1))),
      control.for(j, get(j), get(cols), c(1), seq(
        set(s, f32.load(add(get(dst), mul(get(j), c(4))))),
        set(p, add(get(src), mul(get(j), c(4)))),
        control.for(r, c(0), get(rows), c(1), seq(
          set(s, f32.add(get(s), f32.load(get(p)))),
          set(p, add(get(p), get(ld))),
        )),
        f32.store(add(get(dst), mul(get(j), c(4))), get(s)),
      )),
    );
  });

  // maxPool1d(x, y, argmax, B, L, C, outLength, poolSize, stride): channels-last max pooling, exactly as the
  // reference kernel in src/kernels/cpu/conv.ts: per window the first maximum wins (strict >, so NaN never
  // wins) and argmax holds its time index into x (int32). Four channels per vector: the running max and its
  // index move together through a lane mask (f32x4.gt), so values are copied, never computed.
  m.func('maxPool1d', [I, I, I, I, I, I, I, I, I], [], (f, [x, y, argmax, B, L, C, outLength, poolSize, stride]) => {
    const b = f.local(I), t = f.local(I), ch = f.local(I), l = f.local(I), l0 = f.local(I), lEnd = f.local(I), cVec = f.local(I);
    const xBatch = f.local(I), out = f.local(I), rowBytes = f.local(I);
    const mv = f.local(ValType.v128), bv = f.local(ValType.v128), vv = f.local(ValType.v128), gt = f.local(ValType.v128);
    const ms = f.local(F), bs = f.local(I), vs = f.local(F);
    const xAt = (time: Local): Code => add(add(get(xBatch), mul(get(time), get(rowBytes))), mul(get(ch), c(4)));
    const outAt = (base: Local): Code => add(get(base), add(get(out), mul(get(ch), c(4))));
    return seq(
      set(rowBytes, mul(get(C), c(4))),
      set(cVec, i32.sub(get(C), c(3))), // ch + 4 <= C
      control.for(b, c(0), get(B), c(1), seq(
        set(xBatch, add(get(x), mul(mul(get(b), get(L)), get(rowBytes)))),
        control.for(t, c(0), get(outLength), c(1), seq(
          set(out, mul(add(mul(get(b), get(outLength)), get(t)), get(rowBytes))),
          set(l0, mul(get(t), get(stride))),
          set(lEnd, add(get(l0), get(poolSize))),
          control.for(ch, c(0), get(cVec), c(4), seq(
            set(mv, v128.load(xAt(l0))),
            set(bv, i32x4.splat(get(l0))),
            control.for(l, add(get(l0), c(1)), get(lEnd), c(1), seq(
              set(vv, v128.load(xAt(l))),
              set(gt, f32x4.gt(get(vv), get(mv))),
              set(bv, v128.bitselect(i32x4.splat(get(l)), get(bv), get(gt))),
              set(mv, v128.bitselect(get(vv), get(mv), get(gt))),
            )),
            v128.store(outAt(y), get(mv)),
            v128.store(outAt(argmax), get(bv)),
          )),
          control.for(ch, get(ch), get(C), c(1), seq(
            set(ms, f32.load(xAt(l0))),
            set(bs, get(l0)),
            control.for(l, add(get(l0), c(1)), get(lEnd), c(1), seq(
              set(vs, f32.load(xAt(l))),
              control.if(f32.gt(get(vs), get(ms)), seq(set(ms, get(vs)), set(bs, get(l)))),
            )),
            f32.store(outAt(y), get(ms)),
            i32.store(outAt(argmax), get(bs)),
          )),
        )),
      )),
    );
  });

  // maxPool1dBackward(dy, argmax, dx, B, outLength, C, inLength): dx[b, argmax[b, t, c], c] += dy[b, t, c] in
  // the reference kernel's order (dx zeroed by the caller; `+=` because overlapping windows can pick the same
  // element). A scalar scatter: the op does not know the window size, so argmax may point anywhere in [0, inLength).
  m.func('maxPool1dBackward', [I, I, I, I, I, I, I], [], (f, [dy, argmax, dx, B, outLength, C, inLength]) => {
    const b = f.local(I), q = f.local(I), qEnd = f.local(I), ch = f.local(I), dxBatch = f.local(I), addr = f.local(I);
    return seq(
      set(q, c(0)), // element index into dy / argmax, row-major [B, L_out, C]
      control.for(b, c(0), get(B), c(1), seq(
        set(dxBatch, add(get(dx), mul(mul(mul(get(b), get(inLength)), get(C)), c(4)))),
        set(qEnd, add(get(q), mul(get(outLength), get(C)))),
        control.for(q, get(q), get(qEnd), get(C), seq(
          control.for(ch, c(0), get(C), c(1), seq(
            set(addr, add(get(dxBatch), mul(add(mul(i32.load(add(get(argmax), mul(add(get(q), get(ch)), c(4)))), get(C)), get(ch)), c(4)))),
            f32.store(get(addr), f32.add(f32.load(get(addr)), f32.load(add(get(dy), mul(add(get(q), get(ch)), c(4)))))),
          )),
        )),
      )),
    );
  });

  // dropoutScale(x, mask, y, n, scale): y[i] = x[i]·mask[i]·scale for i < n, computed in f64 and rounded once
  // to f32, exactly as the reference `ys[i] = xs[i] * ms[i] * scale` on Float32Arrays (an f32·f32 product is
  // exact in f64), so the result is bit-identical to it. Four elements per pass as two f64x2 halves.
  m.func('dropoutScale', [I, I, I, I, ValType.f64], [], (f, [x, mask, y, n, scale]) => {
    const i = f.local(I), nVec = f.local(I), sv = f.local(ValType.v128), xv = f.local(ValType.v128), mv = f.local(ValType.v128);
    const at = (base: Local): Code => add(get(base), mul(get(i), c(4)));
    const high = (v: Local): Code => v128.shuffle32(get(v), get(v), [2, 3, 0, 1]);
    const half = (xs: Code, ms: Code): Code =>
      f64x2.demote_to_f32x4_zero(f64x2.mul(f64x2.mul(f64x2.promote_low_f32x4(xs), f64x2.promote_low_f32x4(ms)), get(sv)));
    return seq(
      set(sv, f64x2.splat(get(scale))),
      set(nVec, i32.sub(get(n), c(3))),
      control.for(i, c(0), get(nVec), c(4), seq(
        set(xv, v128.load(at(x))),
        set(mv, v128.load(at(mask))),
        v128.store(at(y), v128.shuffle32(half(get(xv), get(mv)), half(high(xv), high(mv)), [0, 1, 4, 5])),
      )),
      control.for(i, get(i), get(n), c(1),
        f32.store(at(y), f64.demote_to_f32(f64.mul(f64.mul(f64.promote_f32(f32.load(at(x))), f64.promote_f32(f32.load(at(mask)))), get(scale))))),
    );
  });

  // Degenerate GEMM shapes the packed driver handles badly (K = 1: a tile store per multiply-add; M = 1: the
  // register tile 3/4 padding and all of B packed). Both give the packed driver's results bit for bit: the
  // same products (alpha folded into A first, as packA does), accumulated from +0 in k order within each KC
  // block, and stored as acc (beta = 0) or acc + C·beta (later K blocks: beta 1), as the micro-kernel does.
  const storeWithBeta = (addr: Code, acc: Code, betaL: Local, betaV: Local, v: boolean): Code => v
    ? control.if(f32.eq(get(betaL), f32.const(0)), v128.store(addr, acc), v128.store(addr, f32x4.add(acc, f32x4.mul(v128.load(addr), get(betaV)))))
    : control.if(f32.eq(get(betaL), f32.const(0)), f32.store(addr, acc), f32.store(addr, f32.add(acc, f32.mul(get(betaL), f32.load(addr)))));

  // gemmK1(M, N, alpha, A, aStride, B, beta, C, ldc, bias): C[i, j] = (alpha·A[i])·B[j] (+ beta·C) (+ bias[j]),
  // the outer product of a K = 1 GEMM; A[i] at A + i·aStride, B and bias (0: none) contiguous, C rows ldc
  // bytes apart. The bias is added in register, after the beta term, as biasAct would add it to the stored C.
  m.func('gemmK1', [I, I, F, I, I, I, F, I, I, I], [], (f, [M, N, alpha, A, aStride, B, beta, C, ldc, bias]) => {
    const i = f.local(I), j = f.local(I), row = f.local(I), nVec = f.local(I);
    const a = f.local(ValType.v128), betaV = f.local(ValType.v128), as = f.local(F), v = f.local(ValType.v128), sv = f.local(F);
    const jBytes = (): Code => mul(get(j), c(4));
    const vecBody = seq(
      set(v, f32x4.add(f32x4.const(0), f32x4.mul(get(a), v128.load(add(get(B), jBytes()))))),
      control.if(f32.ne(get(beta), f32.const(0)), set(v, f32x4.add(get(v), f32x4.mul(v128.load(add(get(row), jBytes())), get(betaV))))),
      control.if(i32.ne(get(bias), c(0)), set(v, f32x4.add(get(v), v128.load(add(get(bias), jBytes()))))),
      v128.store(add(get(row), jBytes()), get(v)),
    );
    const scalarBody = seq(
      set(sv, f32.add(f32.const(0), f32.mul(get(as), f32.load(add(get(B), jBytes()))))),
      control.if(f32.ne(get(beta), f32.const(0)), set(sv, f32.add(get(sv), f32.mul(get(beta), f32.load(add(get(row), jBytes())))))),
      control.if(i32.ne(get(bias), c(0)), set(sv, f32.add(get(sv), f32.load(add(get(bias), jBytes()))))),
      f32.store(add(get(row), jBytes()), get(sv)),
    );
    return seq(
      set(betaV, f32x4.splat(get(beta))),
      set(nVec, i32.sub(get(N), c(3))),
      control.for(i, c(0), get(M), c(1), seq(
        set(as, f32.mul(get(alpha), f32.load(add(get(A), mul(get(i), get(aStride)))))),
        set(a, f32x4.splat(get(as))),
        set(row, add(get(C), mul(get(i), get(ldc)))),
        control.for(j, c(0), get(nVec), c(4), vecBody),
        control.for(j, get(j), get(N), c(1), scalarBody),
      )),
    );
  });

  // gemvM1(N, K, alpha, A, aStride, B, ldb, beta, C): C[j] = Σ_k (alpha·A[k])·B[k, j] (+ beta·C), a one-row
  // GEMM; A[k] at A + k·aStride, B rows ldb bytes apart (contiguous in j), C contiguous. 32 columns at a time
  // (8 v128 accumulators over one KC block of k), then 4, then one.
  m.func('gemvM1', [I, I, F, I, I, I, I, F, I], [], (f, [N, K, alpha, A, aStride, B, ldb, beta, C]) => {
    const j = f.local(I), k = f.local(I), pc = f.local(I), kEnd = f.local(I), end = f.local(I), bRow = f.local(I);
    const a = f.local(ValType.v128), betaV = f.local(ValType.v128), betaK = f.local(F), as = f.local(F), sacc = f.local(F);
    const U = 8;
    const accs = v128Locals(f, U);
    const colBlock = (used: Local[]): Code => seq(
      ...used.map((x) => set(x, f32x4.const(0))),
      control.for(k, get(pc), get(kEnd), c(1), seq(
        set(a, f32x4.splat(f32.mul(get(alpha), f32.load(add(get(A), mul(get(k), get(aStride))))))),
        set(bRow, add(add(get(B), mul(get(k), get(ldb))), mul(get(j), c(4)))),
        ...used.map((x, u) => set(x, f32x4.add(get(x), f32x4.mul(get(a), v128.load(get(bRow), 16 * u))))),
      )),
      ...used.map((x, u) => storeWithBeta(add(add(get(C), mul(get(j), c(4))), c(16 * u)), get(x), betaK, betaV, true)),
    );
    return seq(
      control.for(pc, c(0), get(K), c(t.KC), seq(
        set(kEnd, add(get(pc), minI(t.KC, i32.sub(get(K), get(pc))))),
        set(betaK, control.select(get(beta), f32.const(1), i32.eqz(get(pc)))),
        set(betaV, f32x4.splat(get(betaK))),
        set(end, i32.sub(get(N), c(4 * U - 1))),
        control.for(j, c(0), get(end), c(4 * U), colBlock(accs)),
        set(end, i32.sub(get(N), c(3))),
        control.for(j, get(j), get(end), c(4), colBlock(accs.slice(0, 1))),
        control.for(j, get(j), get(N), c(1), seq(
          set(sacc, f32.const(0)),
          control.for(k, get(pc), get(kEnd), c(1), seq(
            set(as, f32.mul(get(alpha), f32.load(add(get(A), mul(get(k), get(aStride)))))),
            set(sacc, f32.add(get(sacc), f32.mul(get(as), f32.load(add(add(get(B), mul(get(k), get(ldb))), mul(get(j), c(4))))))),
          )),
          storeWithBeta(add(get(C), mul(get(j), c(4))), get(sacc), betaK, betaV, false),
        )),
      )),
    );
  });

  return m.encode();
}
