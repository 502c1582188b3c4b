/**
 * The variance's sums as moments that do not depend on β, so they can be computed in the same
 * script as the cross products (script.ts). With c = (1, −β) over the columns (ỹ, x̃_1, …), the
 * residual is e = Σ_i c_i d_i, so
 *
 *   hetero:  Σ w² e² d_a d_b       = Σ_{i,j} c_i c_j · Σ w² d_i d_j d_a d_b
 *   cluster: Σ_g S_ga S_gb          = Σ_{i,j} c_i c_j · Σ_g U_g[i,a] U_g[j,b],  U_g[i,a] = Σ_{r∈g} w d_i d_a
 *
 * and the SSR is Σ w e² = c' (Σ w d d') c from the cross products. Each moment is a fixed-size
 * sum over the rows (hetero) or the cluster groups (cluster), whatever the data's size.
 */
import { col, mul, product, sum, type Expr, type Query } from "./ir.js";
import { demeanedRows, type Absorption, type Layout } from "./plan.js";

/** The (i, a) index pairs of U: i over all columns (0 = ỹ), a over the regressors (1…p). */
function scorePairs(width: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < width; i++) for (let a = 1; a < width; a++) out.push([i, a]);
  return out;
}

/** Unordered pairs of the symmetric index set of size m (u ≤ v), in row order. */
function upperPairs(m: number): [number, number][] {
  const out: [number, number][] = [];
  for (let u = 0; u < m; u++) for (let v = u; v < m; v++) out.push([u, v]);
  return out;
}

const d = (j: number): Expr => col(`d${j}`);

/** Σ w² d_i d_j d_a d_b over (i ≤ j) and (a ≤ b, regressors), one row. */
export function heteroMomentsQuery(layout: Layout, ab: Absorption | null): Query {
  const width = layout.columns.length;
  const cols = upperPairs(width);
  const regs = upperPairs(width - 1).map(([a, b]) => [a + 1, b + 1]);
  const select: { as: string; expr: Expr }[] = [];
  for (const [i, j] of cols) for (const [a, b] of regs) select.push({ as: `h${i}_${j}_${a}_${b}`, expr: sum(product([col("w"), col("w"), d(i), d(j), d(a), d(b)])) });
  return { select, from: { kind: "query", query: demeanedRows(layout, ab), alias: "r" } };
}

/** Σ_g U_g[u] U_g[v] over the upper triangle of the score pairs, grouped by `members`, one row. */
export function clusterMomentsQuery(layout: Layout, ab: Absorption | null, members: readonly string[]): Query {
  const pairs = scorePairs(layout.columns.length);
  const groups: Query = {
    select: pairs.map(([i, a], u) => ({ as: `u${u}`, expr: sum(product([col("w"), d(i), d(a)])) })),
    from: { kind: "query", query: demeanedRows(layout, ab), alias: "r" },
    groupBy: members.map((m) => col(m)),
  };
  return {
    select: upperPairs(pairs.length).map(([u, v]) => ({ as: `c${u}_${v}`, expr: sum(mul(col(`u${u}`), col(`u${v}`))) })),
    from: { kind: "query", query: groups, alias: "g" },
  };
}

/** c = (1, −β) over the layout's columns, 0 for regressors dropped as collinear. */
export function residualWeights(width: number, kept: readonly number[], beta: ArrayLike<number>): Float64Array {
  const c = new Float64Array(width);
  c[0] = 1;
  kept.forEach((column, i) => (c[column] = -beta[i]));
  return c;
}

/** The k×k hetero meat over the kept regressors from heteroMomentsQuery's row. */
export function heteroMeat(row: readonly number[], width: number, kept: readonly number[], c: Float64Array): Float64Array {
  const index = new Map<string, number>();
  const regs = upperPairs(width - 1);
  let n = 0;
  for (const [i, j] of upperPairs(width)) for (const [a, b] of regs) index.set(`${i}_${j}_${a + 1}_${b + 1}`, n++);
  const at = (i: number, j: number, a: number, b: number): number => row[index.get(`${Math.min(i, j)}_${Math.max(i, j)}_${Math.min(a, b)}_${Math.max(a, b)}`)!];
  return quadratic(width, kept, c, at);
}

/** The k×k cluster meat over the kept regressors from clusterMomentsQuery's row. */
export function clusterMeat(row: readonly number[], width: number, kept: readonly number[], c: Float64Array): Float64Array {
  const pairs = scorePairs(width);
  const m = pairs.length;
  const position = (i: number, a: number): number => i * (width - 1) + (a - 1);
  const upperIndex = (u: number, v: number): number => {
    const [x, y] = u <= v ? [u, v] : [v, u];
    return x * m - (x * (x - 1)) / 2 + (y - x);
  };
  return quadratic(width, kept, c, (i, j, a, b) => row[upperIndex(position(i, a), position(j, b))]);
}

/** meat_ab = Σ_{i,j} c_i c_j M(i, j, a, b) for kept regressors a, b. */
function quadratic(width: number, kept: readonly number[], c: Float64Array, at: (i: number, j: number, a: number, b: number) => number): Float64Array {
  const k = kept.length;
  const meat = new Float64Array(k * k);
  for (let x = 0; x < k; x++) {
    for (let y = x; y < k; y++) {
      let s = 0;
      for (let i = 0; i < width; i++) {
        if (c[i] === 0) continue;
        for (let j = 0; j < width; j++) if (c[j] !== 0) s += c[i] * c[j] * at(i, j, kept[x], kept[y]);
      }
      meat[x * k + y] = meat[y * k + x] = s;
    }
  }
  return meat;
}
