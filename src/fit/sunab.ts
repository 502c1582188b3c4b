import type { Frame } from "../data/frame.js";
import { InputError } from "../core/errors.js";
import type { Term } from "../formula/parse.js";
import { coefficientTable, type Coefficient } from "../vcov/coefficients.js";

type SunabTerm = Extract<Term, { kind: "sunab" }>;

/**
 * Sun and Abraham's event study (fixest's sunab()): the regression has one dummy per treated
 * cohort × relative period (period − cohort) but the reference periods; a cohort outside the
 * range of the sample's periods is never treated. The coefficients reported are the cells
 * averaged by relative period, each cell weighted by its share of the (weighted) rows, and the
 * ATT averages every cell from the treatment period on the same way.
 */
export interface SunabCells {
  /** Cell names, "year::-3:cohort::2005", sorted by relative period then cohort. */
  readonly names: readonly string[];
  readonly relative: readonly number[];
  /** For each sample row, its cell (index into names) or -1. */
  readonly cellOf: Int32Array;
}

export function sunabCells(frame: Frame, term: SunabTerm, rows: Int32Array): SunabCells {
  const numeric = (name: string) => {
    const col = frame.columns.get(name)!;
    if (col.kind !== "numeric") throw new InputError("column", `sunab(): column "${name}" must be numeric (it holds text)`);
    return col.values;
  };
  const cohort = numeric(term.cohort);
  const period = numeric(term.period);
  let first = Infinity;
  let last = -Infinity;
  for (const r of rows) {
    first = Math.min(first, period[r]);
    last = Math.max(last, period[r]);
  }
  const keyOf = new Map<string, { cohort: number; rel: number }>();
  const rowKey: (string | null)[] = Array.from(rows, (r) => {
    const c = cohort[r];
    const rel = period[r] - c;
    if (!(c >= first && c <= last) || term.refPeriods.includes(rel)) return null;
    const key = `${rel}|${c}`;
    if (!keyOf.has(key)) keyOf.set(key, { cohort: c, rel });
    return key;
  });
  const cells = [...keyOf.entries()].sort(([, a], [, b]) => a.rel - b.rel || a.cohort - b.cohort);
  const index = new Map(cells.map(([key], j) => [key, j]));
  return {
    names: cells.map(([, c]) => `${term.period}::${c.rel}:cohort::${c.cohort}`),
    relative: cells.map(([, c]) => c.rel),
    cellOf: Int32Array.from(rowKey, (k) => (k === null ? -1 : index.get(k)!)),
  };
}

export interface SunabReport {
  /** The other regressors, then one coefficient per relative period ("year::-3"). */
  readonly coefficients: Coefficient[];
  readonly vcovMatrix: Float64Array;
  readonly cells: readonly { readonly name: string; readonly estimate: number; readonly se: number }[];
  readonly att: { readonly estimate: number; readonly se: number };
}

/** Aggregates the estimated cells (those of `names` that are cells) into the reported coefficients. */
export function aggregateSunab(
  frame: Frame,
  term: SunabTerm,
  rows: Int32Array,
  weights: Float64Array | null,
  names: readonly string[],
  beta: ArrayLike<number>,
  vcov: Float64Array,
  dfT: number,
): SunabReport {
  const cells = sunabCells(frame, term, rows);
  const mass = new Float64Array(cells.names.length);
  cells.cellOf.forEach((j, i) => {
    if (j >= 0) mass[j] += weights ? weights[i] : 1;
  });
  const cellIndex = new Map(cells.names.map((n, j) => [n, j]));
  const k = names.length;
  const estimated = names.map((n, i) => ({ i, cell: cellIndex.get(n) })).filter((e) => e.cell !== undefined) as { i: number; cell: number }[];
  // Rows of the linear map from the estimated coefficients to the reported ones.
  const rowsOut: { name: string; a: Float64Array }[] = [];
  const unit = (i: number) => Float64Array.from({ length: k }, (_, c) => (c === i ? 1 : 0));
  const average = (picked: { i: number; cell: number }[]) => {
    const total = picked.reduce((s, e) => s + mass[e.cell], 0);
    const a = new Float64Array(k);
    for (const e of picked) a[e.i] = mass[e.cell] / total;
    return a;
  };
  const firstCell = estimated.length > 0 ? estimated[0].i : k;
  names.forEach((n, i) => {
    if (i === firstCell) {
      for (const rel of [...new Set(estimated.map((e) => cells.relative[e.cell]))]) {
        rowsOut.push({ name: `${term.period}::${rel}`, a: average(estimated.filter((e) => cells.relative[e.cell] === rel)) });
      }
    }
    if (!cellIndex.has(n)) rowsOut.push({ name: n, a: unit(i) });
  });
  const combine = (a: Float64Array) => {
    let estimate = 0;
    let variance = 0;
    for (let r = 0; r < k; r++) {
      estimate += a[r] * beta[r];
      for (let c = 0; c < k; c++) variance += a[r] * vcov[r * k + c] * a[c];
    }
    return { estimate, variance };
  };
  const m = rowsOut.length;
  const out = new Float64Array(m * m);
  for (let p = 0; p < m; p++) {
    for (let q = 0; q < m; q++) {
      let v = 0;
      for (let r = 0; r < k; r++) {
        if (rowsOut[p].a[r] === 0) continue;
        for (let c = 0; c < k; c++) v += rowsOut[p].a[r] * vcov[r * k + c] * rowsOut[q].a[c];
      }
      out[p * m + q] = v;
    }
  }
  const att = combine(average(estimated.filter((e) => cells.relative[e.cell] >= 0)));
  return {
    coefficients: coefficientTable(rowsOut.map((r) => r.name), rowsOut.map((r) => combine(r.a).estimate), out, dfT),
    vcovMatrix: out,
    cells: estimated.map((e) => ({ name: names[e.i], estimate: beta[e.i], se: Math.sqrt(vcov[e.i * k + e.i]) })),
    att: { estimate: att.estimate, se: Math.sqrt(att.variance) },
  };
}

/** The sunab() term of a model, if any. */
export function sunabTerm(terms: readonly Term[]): SunabTerm | null {
  return (terms.find((t) => t.kind === "sunab") as SunabTerm | undefined) ?? null;
}
