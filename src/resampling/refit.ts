import type { Arena } from "../engine/arena.js";
import { isAbsorbed } from "../fit/absorbed.js";
import type { Kernels } from "../engine/kernels.js";
import { sharedEngine } from "../engine/shared.js";
import { absorbFixedEffects, type AbsorbOptions } from "../fit/absorb-effects.js";
import { centredSquares, modelColumnArrays } from "../fit/model-matrix.js";
import type { EncodedEffect } from "../fit/sample.js";
import { COLLINEAR_TOL } from "../fit/least-squares.js";
import { choleskyDropping, solveFactor } from "../linalg/cholesky.js";
import type { Frame } from "../data/frame.js";
import type { ModelSpec, Term } from "../formula/parse.js";
import { crossprodInto } from "../engine/cross-products.js";

/**
 * Fast refits for resampling procedures (the mediation bootstrap, the permutation test): the
 * columns of a model are extracted once over a base estimation sample (design columns already
 * expanded, fixed effects already encoded), and each replication only picks rows of that base
 * sample (with optional frequency multipliers), re-labels the fixed-effect codes densely over
 * them, demeans every column once with the regular engine, and returns the Gram matrix Z'WZ of
 * the demeaned columns. Any regression among the columns is then solved from the Gram matrix
 * (regressGram): no residuals, no vcov, no post-estimation state — replications only need
 * coefficients.
 */
export interface Gram {
  /** Rows used. */
  readonly n: number;
  /** width × width, row-major: Σ w z_i z_j over the demeaned columns. */
  readonly matrix: Float64Array;
  /** Σ w (z − z̄_w)² of each column before demeaning (to tell columns the fixed effects absorb). */
  readonly raw: Float64Array;
}

export class Refitter {
  readonly width: number;
  private readonly k: Kernels;
  private readonly arena: Arena;
  /** Per fixed effect, a scratch map from base codes to dense codes (-1 = not seen yet). */
  private readonly maps: Int32Array[];

  /**
   * @param columns each column's values over the base sample's rows
   * @param effects the fixed effects' codes over the base sample's rows
   * @param weights base row weights, or null
   */
  constructor(
    arena: Arena,
    private readonly columns: readonly Float64Array[],
    private readonly effects: readonly EncodedEffect[],
    private readonly weights: Float64Array | null,
    private readonly absorb: AbsorbOptions,
  ) {
    this.width = columns.length;
    this.k = sharedEngine().kernels;
    this.arena = arena;
    this.maps = effects.map((fe) => new Int32Array(fe.size).fill(-1));
  }

  /**
   * Demeans the columns over `rows` (indices into the base sample) with frequency multipliers
   * `mult` (one per picked row; null: 1) and returns their Gram matrix.
   */
  async gram(rows: Int32Array, mult: Float64Array | null): Promise<Gram> {
    const { k, arena, width } = this;
    const n = rows.length;
    const mark = arena.mark();
    try {
      const block = arena.allocF64(width * n, `${width} columns of ${n} rows`);
      for (let j = 0; j < width; j++) {
        const src = this.columns[j];
        const out = arena.f64(block + j * n * 8, n);
        for (let i = 0; i < n; i++) out[i] = src[rows[i]];
      }
      let weights = 0;
      if (this.weights || mult) {
        weights = arena.allocF64(n, "weights");
        const w = arena.f64(weights, n);
        const base = this.weights;
        for (let i = 0; i < n; i++) w[i] = (base ? base[rows[i]] : 1) * (mult ? mult[i] : 1);
      }
      const effects: EncodedEffect[] = this.effects.map((fe, q) => {
        const map = this.maps[q];
        const src = fe.codes;
        const codes = new Int32Array(n);
        let size = 0;
        for (let i = 0; i < n; i++) {
          const c = src[rows[i]];
          let d = map[c];
          if (d < 0) map[c] = d = size++;
          codes[i] = d;
        }
        for (let i = 0; i < n; i++) map[src[rows[i]]] = -1;
        return { name: fe.name, codes, size, levels: [] };
      });
      const sw = weights ? k.sum(n, weights, 0) : n;
      const raw = new Float64Array(width);
      for (let j = 0; j < width; j++) raw[j] = centredSquares(k, n, block + j * n * 8, weights, sw);
      const names = Array.from({ length: width }, (_, j) => `column ${j + 1}`);
      await absorbFixedEffects(k, arena, { n, block, names, weights, rawSpread: [...raw] }, effects, this.absorb);
      const out = arena.allocF64(width * width);
      crossprodInto(k, arena, n, width, block, weights, out);
      return { n, matrix: arena.f64(out, width * width).slice(), raw };
    } finally {
      arena.release(mark);
    }
  }
}

/**
 * Least-squares coefficients of column `y` on columns `xs` from a Gram matrix, with the same
 * rules as the estimators: columns the fixed effects absorb (isAbsorbed, fit/absorbed.ts
 * of the raw spread, when `fixedEffects`) and collinear columns (the later one) are dropped.
 * Returns one value per x, NaN for a dropped one.
 */
export function regressGram(g: Gram, width: number, y: number, xs: readonly number[], fixedEffects: boolean): Float64Array {
  const p = xs.length;
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  const absorbed = xs.map((c) => fixedEffects && isAbsorbed(g.matrix[c * width + c], g.raw[c]));
  for (let a = 0; a < p; a++) {
    if (absorbed[a]) continue;
    xty[a] = g.matrix[xs[a] * width + y];
    for (let b = 0; b < p; b++) if (!absorbed[b]) xtx[a * p + b] = g.matrix[xs[a] * width + xs[b]];
  }
  const factor = choleskyDropping(xtx, p, COLLINEAR_TOL);
  const beta = factor.kept.length > 0 ? solveFactor(factor, xty) : new Float64Array(p);
  for (const d of factor.dropped) beta[d] = NaN;
  return beta;
}

/**
 * Cluster counts of one bootstrap draw: G clusters drawn uniformly with replacement; counts[g]
 * is how often cluster g was drawn (they sum to G).
 */
export function drawClusterCounts(uniform: () => number, g: number, counts: Int32Array): Int32Array {
  counts.fill(0);
  for (let i = 0; i < g; i++) counts[Math.floor(uniform() * g)]++;
  return counts;
}

/** 1 where `base` keeps the row (null: every row) and none of `columns` is missing. */
export function completeCases(frame: Frame, columns: readonly string[], base: Uint8Array | null): Uint8Array {
  const n = frame.nrows;
  const keep = base ? Uint8Array.from(base) : new Uint8Array(n).fill(1);
  for (const name of new Set(columns)) {
    const col = frame.columns.get(name)!;
    if (col.kind === "numeric") {
      const v = col.values;
      for (let r = 0; r < n; r++) if (v[r] !== v[r]) keep[r] = 0;
    } else {
      const c = col.codes;
      for (let r = 0; r < n; r++) if (c[r] < 0) keep[r] = 0;
    }
  }
  return keep;
}

/** A normalised single-model formula in three pieces: "lhs", "rhs" (regressors) and the rest (" | fe …" or ""). */
export function formulaPieces(spec: ModelSpec): { lhs: string; rhs: string; rest: string } {
  const lhs = spec.formula.slice(0, spec.formula.indexOf(" ~ "));
  const after = spec.formula.slice(lhs.length + 3);
  const bar = after.indexOf(" | ");
  return bar < 0 ? { lhs, rhs: after, rest: "" } : { lhs, rhs: after.slice(0, bar), rest: after.slice(bar) };
}

/**
 * The columns a resampling procedure refits, over the base sample's rows: the `leading` numeric
 * columns (dependent variables, mediators), then the regressors of `terms` as the estimators
 * build them (the intercept first when asked). `regressors` names the latter; `xs` their indices.
 */
export function extractColumns(
  frame: Frame,
  rows: Int32Array,
  leading: readonly string[],
  intercept: boolean,
  terms: readonly Term[],
): { columns: Float64Array[]; regressors: string[]; xs: number[] } {
  const { columns, regressors } = modelColumnArrays({ frame, rows, depvar: leading, intercept, terms, extra: [] });
  return { columns, regressors, xs: regressors.map((_, j) => leading.length + j) };
}
