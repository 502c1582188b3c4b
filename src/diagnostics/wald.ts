import type { Coefficient } from "../vcov/coefficients.js";
import { InputError } from "../core/errors.js";
import { choleskyDropping, solveFactor } from "../linalg/cholesky.js";
import { chisqPValue, fPValue } from "../core/distributions.js";

/**
 * Wald test of linear restrictions R β = r on one fitted model, with the model's own vcov (its
 * type and small-sample corrections):
 *
 *   W = (Rβ − r)' (R V R')⁻¹ (Rβ − r),   F = W / q  on q and df_t degrees of freedom,
 *
 * where df_t is the model's t degrees of freedom (n − K, or G − 1 when clustered, T − 1 for
 * NW/DK), so that a single restriction gives F = t² and the t test's p-value; `chisq` is W
 * against χ²(q).
 *
 * Restrictions: a list of coefficient names (each = 0, e.g. `wald(fit, ["x1", "x2"])`), or
 * `{ R, r }` with R's rows either arrays over the coefficients in the fit's order or records of
 * coefficient weights (`{ R: [{ x1: 1, x2: -1 }], r: [0] }` tests x1 = x2); r defaults to 0.
 */
export type Restrictions =
  | readonly string[]
  | { readonly R: readonly (readonly number[] | Readonly<Record<string, number>>)[]; readonly r?: readonly number[] };

export interface WaldTest {
  /** F = W/q. */
  readonly stat: number;
  readonly p: number;
  readonly df1: number;
  readonly df2: number;
  readonly chisq: { readonly stat: number; readonly p: number; readonly df: number };
  /** The vcov the test used, as the fit names it. */
  readonly vcov: string;
}

/** What a Wald test reads from a fit (any estimator's result has these). */
export interface WaldInput {
  readonly coefficients: readonly Coefficient[];
  readonly vcovMatrix: Float64Array;
  readonly dfT: number;
  readonly vcovLabel: string;
}

export function wald(fit: WaldInput, restrictions: Restrictions): WaldTest {
  const names = fit.coefficients.map((c) => c.name);
  const k = names.length;
  const index = (name: string): number => {
    const i = names.indexOf(name);
    if (i < 0) throw new InputError("option", `wald: "${name}" is not an estimated coefficient (coefficients: ${names.join(", ")})`);
    return i;
  };
  let R: Float64Array[];
  let r: number[];
  if (Array.isArray(restrictions)) {
    const list = restrictions as readonly string[];
    if (list.length === 0) throw new InputError("option", "wald: name at least one coefficient");
    R = list.map((name) => {
      const row = new Float64Array(k);
      row[index(name)] = 1;
      return row;
    });
    r = list.map(() => 0);
  } else {
    const spec = restrictions as Exclude<Restrictions, readonly string[]>;
    if (!spec.R || spec.R.length === 0) throw new InputError("option", "wald: R needs at least one row");
    R = spec.R.map((row, i) => {
      if (Array.isArray(row)) {
        if (row.length !== k) throw new InputError("option", `wald: row ${i + 1} of R has ${row.length} entries but the model has ${k} coefficients (${names.join(", ")})`);
        return Float64Array.from(row as readonly number[]);
      }
      const out = new Float64Array(k);
      for (const [name, v] of Object.entries(row as Record<string, number>)) out[index(name)] = v;
      return out;
    });
    r = spec.r ? [...spec.r] : R.map(() => 0);
    if (r.length !== R.length) throw new InputError("option", `wald: r has ${r.length} entries but R has ${R.length} rows`);
  }
  const q = R.length;
  const beta = fit.coefficients.map((c) => c.estimate);
  const V = fit.vcovMatrix;
  const d = R.map((row, i) => row.reduce((s, v, j) => s + v * beta[j], 0) - r[i]);
  const M = new Float64Array(q * q);
  for (let a = 0; a < q; a++) {
    for (let b = 0; b < q; b++) {
      let s = 0;
      for (let i = 0; i < k; i++) {
        if (R[a][i] === 0) continue;
        for (let j = 0; j < k; j++) s += R[a][i] * V[i * k + j] * R[b][j];
      }
      M[a * q + b] = s;
    }
  }
  const f = choleskyDropping(M, q, 1e-12);
  if (f.kept.length < q) throw new InputError("option", "wald: the restrictions are linearly dependent (R V R' is singular); drop the redundant ones");
  const z = solveFactor(f, d);
  let W = 0;
  for (let i = 0; i < q; i++) W += d[i] * z[i];
  const F = W / q;
  const df2 = fit.dfT;
  return { stat: F, p: fPValue(F, q, df2), df1: q, df2, chisq: { stat: W, p: chisqPValue(W, q), df: q }, vcov: fit.vcovLabel };
}
