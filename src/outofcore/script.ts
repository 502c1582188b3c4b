/**
 * The plan as two scripts of statements and named result queries, so it runs as printed SQL on
 * any engine (or through an executor) with one hand-back in between:
 *
 *   1. "moments": the sample, singleton removal, sizes, nesting and the small effects' Schur
 *      system (all data-only: no number computed in JS goes in);
 *   2. "projection": Γ (solved in JS from script 1's results) goes in as a values table, then
 *      the cross products of the projected columns and the variance's moments come back.
 *
 * The variance's moments do not depend on β (they are products of the per-group score sums of
 * every column, combined with (1, −β) in JS), so no third trip is needed. Singleton removal is a
 * fixed number of rounds in a script, checked by a count that must come back 0; an executor
 * repeats the round until nothing changes instead.
 *
 * Small effects' codes are numbered in strides of LEVEL_STRIDE (effect q's levels are
 * q·stride + 0, 1, …), so the codes need no level counts from an earlier query.
 */
import type { Query, Statement } from "./ir.js";
import {
  crossProductQuery,
  nestingQuery,
  projectionTables,
  schurCountsQuery,
  schurCrossQuery,
  schurRhsQuery,
  schurTables,
  singletonRound,
  sizesQuery,
  type Absorption,
  type Layout,
  type StagePlan,
} from "./plan.js";
import { clusterMomentsQuery, heteroMomentsQuery } from "./moments.js";
import { clusterSubsets } from "../vcov/meat.js";

export const LEVEL_STRIDE = 2 ** 32;

export type Step =
  | { readonly kind: "run"; readonly statement: Statement }
  | { readonly kind: "result"; readonly name: string; readonly query: Query }
  /** Singleton removal: the delete, repeated `rounds` times in a script (until `check` is 0 by an executor). */
  | { readonly kind: "singletons"; readonly round: Statement; readonly check: Query; readonly rounds: number };

export type VarianceKind = { readonly type: "iid" } | { readonly type: "hetero" } | { readonly type: "cluster" };

/** The absorption a script uses: `bigIndex` by means, the rest by their Schur system, never pivoted. */
export function scriptAbsorption(layout: Layout, bigIndex: number): Absorption | null {
  if (layout.effects.length === 0) return null;
  const small = layout.effects.filter((_, q) => q !== bigIndex).map((effect, q) => ({ effect, offset: q * LEVEL_STRIDE, size: 0 }));
  return { big: layout.effects[bigIndex], small, levels: 0, pivot: false };
}

/** Whether fixed effect q is its own cluster variable (nested by definition: no query). */
const sameAsCluster = (layout: Layout, q: number, c: number): boolean => layout.effects[q].key === layout.clusters[c];

/** Script 1's first part: the funnel, the sample, singleton removal, sizes and nesting. */
export function sampleSteps(stage: StagePlan, dropSingletons: boolean, rounds: number, variance: VarianceKind): Step[] {
  const { layout } = stage;
  const steps: Step[] = [{ kind: "result", name: "funnel", query: stage.funnel }, { kind: "run", statement: stage.stage }];
  if (dropSingletons && layout.effects.length > 0) {
    const round = singletonRound(layout);
    const where = (round as Extract<Statement, { kind: "delete" }>).where;
    steps.push({ kind: "singletons", round, check: { select: [{ as: "rows", expr: { op: "double", arg: { op: "count" } } }], from: { kind: "table", name: "s" }, where }, rounds });
  }
  steps.push({ kind: "result", name: "sizes", query: sizesQuery(layout) });
  if (variance.type === "cluster") {
    layout.effects.forEach((fe, q) =>
      layout.clusters.forEach((c, j) => {
        if (!sameAsCluster(layout, q, j)) steps.push({ kind: "result", name: nestingName(q, j), query: nestingQuery(fe.key, c) });
      }),
    );
  }
  return steps;
}

export const nestingName = (q: number, c: number): string => `nested_${q}_${c}`;
export const rhsName = (q: number): string => `rhs_${q}`;
export const countsName = (q: number, r: number): string => `counts_${q}_${r}`;

/** Script 1's second part: the small effects' codes, the large effect's sums and the Schur system. */
export function schurSteps(layout: Layout, ab: Absorption): Step[] {
  const steps: Step[] = schurTables(layout, ab).map((statement) => ({ kind: "run", statement }));
  if (ab.small.length === 0) return steps;
  ab.small.forEach((_, q) => steps.push({ kind: "result", name: rhsName(q), query: schurRhsQuery(layout, ab, q) }));
  ab.small.forEach((_, q) => ab.small.forEach((__, r) => r > q && steps.push({ kind: "result", name: countsName(q, r), query: schurCountsQuery(layout, ab, q, r) })));
  steps.push({ kind: "result", name: "schur", query: schurCrossQuery(ab) });
  return steps;
}

export const clusterName = (members: readonly string[], layout: Layout): string => `cluster_${members.map((m) => layout.clusters.indexOf(m)).join("_")}`;

/** Script 2: Γ in, the projection's tables, then the cross products and the variance's moments out. */
export function projectionSteps(layout: Layout, ab: Absorption | null, gammaRows: readonly (readonly number[])[], variance: VarianceKind): Step[] {
  const steps: Step[] = ab ? projectionTables(layout, ab, gammaRows).map((statement) => ({ kind: "run", statement })) : [];
  steps.push({ kind: "result", name: "cross", query: crossProductQuery(layout, ab) });
  if (variance.type === "hetero") steps.push({ kind: "result", name: "hetero", query: heteroMomentsQuery(layout, ab) });
  if (variance.type === "cluster") {
    for (const { members } of clusterSubsets(layout.clusters)) steps.push({ kind: "result", name: clusterName(members, layout), query: clusterMomentsQuery(layout, ab, members) });
  }
  return steps;
}
