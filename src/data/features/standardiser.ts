// Per-feature standardisation (z-scores) fitted on the training split only, serialisable with the model.
/** JSON form of a fitted Standardiser (what a checkpoint stores). */
export interface StandardiserJson {
  kind: 'standardiser';
  mean: number[];
  std: number[];
}

// Features whose spread is below this are constant in the training data (padding positions, a fixed port...).
const MIN_STD = 1e-8;

/**
 * z = (x - mean) / std per column of a row-major [rows, cols] matrix.
 * NOTE fit it on the training rows only: statistics that saw validation or test rows leak them into training.
 * A column with (near) zero variance gets std 1, so it maps to x - mean (0 on the training data) instead of NaN/inf.
 *
 * @example
 *   const s = Standardiser.fit(x, cols, split.train);
 *   s.transform(x);                      // in place, all rows
 *   save(JSON.stringify(s.toJSON()));    // and Standardiser.fromJSON(JSON.parse(text)) at inference
 */
export class Standardiser {
  private constructor(
    readonly mean: Float64Array,
    readonly std: Float64Array,
  ) {}

  get size(): number {
    return this.mean.length;
  }

  /** Fits on the rows listed in `rows` (all rows when omitted) of `x`: [numRows, cols] row-major. */
  static fit(x: Float32Array | Float64Array, cols: number, rows?: ArrayLike<number>): Standardiser {
    if (cols <= 0 || x.length % cols !== 0) throw new Error(`Standardiser.fit: data length ${x.length} is not a multiple of cols=${cols}`);
    const numRows = x.length / cols;
    const n = rows ? rows.length : numRows;
    if (n === 0) throw new Error('Standardiser.fit: no rows to fit on');
    const mean = new Float64Array(cols);
    const m2 = new Float64Array(cols);
    // Welford's update in float64: stable for large offsets such as packet sizes around 1500.
    for (let k = 0; k < n; k++) {
      const r = rows ? rows[k]! : k;
      if (!(r >= 0 && r < numRows)) throw new Error(`Standardiser.fit: row ${r} out of range [0, ${numRows})`);
      const base = r * cols;
      for (let c = 0; c < cols; c++) {
        const v = x[base + c]!;
        const delta = v - mean[c]!;
        mean[c] = mean[c]! + delta / (k + 1);
        m2[c] = m2[c]! + delta * (v - mean[c]!);
      }
    }
    const std = new Float64Array(cols);
    for (let c = 0; c < cols; c++) {
      const s = Math.sqrt(m2[c]! / n);
      std[c] = s < MIN_STD ? 1 : s;
    }
    return new Standardiser(mean, std);
  }

  /** Standardises `x` ([rows, size] row-major) in place and returns it. */
  transform<T extends Float32Array | Float64Array>(x: T): T {
    const cols = this.mean.length;
    if (x.length % cols !== 0) throw new Error(`Standardiser.transform: data length ${x.length} is not a multiple of ${cols} features`);
    for (let i = 0; i < x.length; i += cols) {
      for (let c = 0; c < cols; c++) x[i + c] = (x[i + c]! - this.mean[c]!) / this.std[c]!;
    }
    return x;
  }

  toJSON(): StandardiserJson {
    return { kind: 'standardiser', mean: Array.from(this.mean), std: Array.from(this.std) };
  }

  /** Rebuilds a fitted Standardiser; rejects malformed input with the reason. */
  static fromJSON(json: unknown): Standardiser {
    const j = json as Partial<StandardiserJson> | null;
    if (!j || j.kind !== 'standardiser' || !Array.isArray(j.mean) || !Array.isArray(j.std)) {
      throw new Error('Standardiser.fromJSON: expected { kind: "standardiser", mean: number[], std: number[] }');
    }
    if (j.mean.length !== j.std.length || j.mean.length === 0) {
      throw new Error(`Standardiser.fromJSON: mean has ${j.mean.length} values and std ${j.std.length}`);
    }
    const bad = [...j.mean, ...j.std].findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0 || j.std.some((s) => s <= 0)) throw new Error('Standardiser.fromJSON: mean and std must be finite numbers, std > 0');
    return new Standardiser(Float64Array.from(j.mean), Float64Array.from(j.std));
  }
}
