/**
 * The steps after the sums, shared by every out-of-core fit (the DuckDB engine and the fit from
 * sufficient statistics, which ClickHouse and printed SQL use): least squares from the
 * cross-products, and the result's fields from the solution and its variance.
 */
import type { ModelSpec } from "../formula/parse.js";
import { isAbsorbed } from "../fit/absorbed.js";
import type { SmallSample } from "../vcov/ssc.js";
import type { Vcov } from "../vcov/compute.js";
import { coefficientTable } from "../vcov/coefficients.js";
import {solveNormalEquations, type NormalSolution } from "../fit/least-squares.js";
import type { VcovSpec } from "../vcov/spec.js";
import { vcovInfo } from "../vcov/info.js";
import type { FeolsFields } from "../fit/result.js";
import type { DroppedRows } from "../fit/sample.js";
import { InputError } from "../core/errors.js";
import { countedKeys, type CrossProducts, type Layout } from "./plan.js";

/**
 * The rows dropped before singletons, from the plan's funnel (total, in the subset, with no
 * missing value, with no infinite value, with a usable weight, with a negative weight); negative
 * weights are refused.
 */
export function funnelDrops(funnel: readonly number[], weights: string | null | undefined): { total: number; drops: Omit<DroppedRows, "singletons"> } {
  const [total, inSubset, present, finite, weighted, negative] = funnel.map((v) => v || 0);
  if (negative > 0) {
    throw new InputError("data", `weights column "${weights}" has ${negative} negative value(s); weights must be positive (rows with missing or zero weights are dropped and counted)`);
  }
  return { total, drops: { subset: total - inSubset, missing: inSubset - present, nonFinite: present - finite, weights: finite - weighted } };
}

/** Refuses a sample with no rows left, counting why each row went. */
export function checkRowsLeft(n: number, total: number, d: DroppedRows): void {
  if (n > 0) return;
  throw new InputError(
    "data",
    `every row was dropped (${total} rows: ${d.subset} outside the subset, ${d.missing} with a missing value, ${d.nonFinite} with an infinite value, ` +
      `${d.weights} with a missing or zero weight, ${d.singletons} singletons); check the filter and the columns' missing values`,
  );
}

/** The fixed effects' and clusters' level counts from the sizes result (each grouping column counted once). */
export function levelCounts(layout: Layout, sizes: readonly number[]): { feSizes: number[]; clusterSizes: number[] } {
  const levels = new Map(countedKeys(layout).map((key, i) => [key, sizes[1 + i]]));
  return { feSizes: layout.effects.map((fe) => levels.get(fe.key)!), clusterSizes: layout.clusters.map((c) => levels.get(c)!) };
}

/**
 * β from the cross-products of the demeaned columns. With fixed effects absorbed, a regressor
 * absorbed by the fixed effects (fit/absorbed.ts) goes first, as in memory.
 */
export function solveCrossProducts(cross: CrossProducts, layout: Layout, absorbs: boolean): NormalSolution {
  const p = layout.regressors.length;
  const absorbed = new Set<number>();
  if (absorbs) for (let c = 0; c < p; c++) if (isAbsorbed(cross.xtx[c * p + c], cross.rawSpread[c + 1])) absorbed.add(c);
  return solveNormalEquations(cross.xtx, cross.xty, p, absorbed, layout.regressors);
}

export interface OutOfCoreFit {
  readonly spec: ModelSpec;
  readonly layout: Layout;
  /** Whether fixed effects were absorbed. */
  readonly absorbs: boolean;
  readonly ls: NormalSolution;
  readonly vc: Vcov;
  readonly vreq: VcovSpec;
  readonly ssc: SmallSample;
  readonly n: number;
  readonly dfK: number;
  readonly feSizes: readonly number[];
  readonly droppedRows: DroppedRows;
  readonly cross: Pick<CrossProducts, "rawSpread" | "withinTss">;
  readonly ssr: number;
  readonly threads: number;
  /** performance.now() when the fit started. */
  readonly started: number;
}

/** The FeolsResult fields of an out-of-core fit, shaped as the in-memory fit's. */
export function outOfCoreFields(f: OutOfCoreFit): FeolsFields {
  const { layout, ls, vc, ssr } = f;
  const keptNames = ls.kept.map((c) => layout.regressors[c]);
  const droppedCollinear = ls.dropped.map((c) => layout.regressors[c]);
  return {
    formula: f.spec.formula,
    depvar: f.spec.depvar,
    nobs: f.n,
    coefficients: coefficientTable(keptNames, ls.beta, vc.matrix, vc.dfT),
    vcov: vcovInfo(f.vreq, f.ssc, undefined),
    vcovMatrix: vc.matrix,
    r2: 1 - ssr / f.cross.rawSpread[0],
    withinR2: f.absorbs ? 1 - ssr / f.cross.withinTss : null,
    dfT: vc.dfT,
    dfK: f.dfK,
    fixefSizes: Object.fromEntries(layout.effects.map((fe, q) => [fe.name, f.feSizes[q]])),
    droppedCollinear,
    droppedRows: f.droppedRows,
    iterations: 0,
    converged: true,
    method: f.absorbs ? "exact" : "none",
    threads: f.threads,
    ssr,
    warnings: droppedCollinear.length > 0 ? [`dropped as collinear${f.absorbs ? " (or absorbed by the fixed effects)" : ""}: ${droppedCollinear.join(", ")}`] : [],
    timings: { estimate: performance.now() - f.started },
  };
}
