import { toFrame, type DataInput } from "../data/input.js";
import { encodeColumn, encodingNamed, type Level } from "../data/encode.js";
import type { Frame } from "../data/frame.js";
import { formatName } from "../formula/lexer.js";
import { parseFormula, type ModelSpec } from "../formula/parse.js";
import { InputError } from "../core/errors.js";
import type { Coefficient } from "../vcov/coefficients.js";
import { wald, type WaldTest } from "../diagnostics/wald.js";
import { withArena } from "../engine/shared.js";
import { firstCluster, fitRequest, sampleRequest, vcovColumns } from "../fit/request.js";
import { runPlan } from "../fit/plan.js";
import { buildSample, type EncodedEffect, type Sample } from "../fit/sample.js";
import { nestedIn } from "../vcov/spec.js";
import type { FeolsOptions } from "../fit/options.js";
import type { FeolsResult } from "../fit/result.js";
import { Rng } from "../core/random.js";
import { ClusterGram } from "./cluster-gram.js";
import { completeCases, extractColumns, formulaPieces, regressGram, Refitter, type Gram } from "./refit.js";
import { checkReplications, checkSeed, coefficientJson, namedColumn, treatmentModel } from "./mediation.js";
import { formatPValue, formatPrinted } from "../core/format.js";
import { absorbOptions } from "../fit/absorb-effects.js";

/**
 * Heterogeneity of a treatment effect across the levels of a grouping variable (ownership,
 * region, industry type), three ways, all on one sample (the rows where the model's columns,
 * the group, the vcov's clusters and the permutation unit are present):
 *
 * 1. Split-sample estimates: the model `y ~ x + controls | fe` on each group.
 * 2. The difference by interaction (Chow-style): one pooled model
 *      y ~ x + i(group, x, ref = r) [+ i(group, ref = r)] [+ i(group, c, ref = r) …] + controls | fe
 *    whose coefficient `group::g:x` is the difference between group g's slope and the reference
 *    group's, tested with the pooled model's own vcov (t and p; with more than two groups also the
 *    joint Wald test that every slope is equal). The group's own dummies are left out when a fixed
 *    effect absorbs them (a firm-constant group under firm effects); `interactControls` lets the
 *    controls' slopes differ by group too (closer to the split samples; the fixed effects stay common).
 * 3. A Fisher permutation test of the split-sample difference b_g − b_r: the group labels are
 *    reassigned at random keeping the groups' sizes — whole units (firms) when the group is
 *    constant within the unit, else single rows — K times (seeded), the split-sample slopes
 *    re-estimated each time, and the p-value is the share of permutations whose difference is
 *    at least as large: two-sided (1 + #{|d*| ≥ |d|}) / (K + 1), and one-sided in the direction
 *    of d, (1 + #{d* ≥ d}) / (K + 1) for d ≥ 0 (the empirical p-value of Lian's bdiff, with the +1).
 *    Unit-level permutations reuse per-unit sums (cluster-gram.ts): one permutation costs a pass
 *    over the units, not a demeaning of every column.
 */
export interface HeterogeneityOptions extends FeolsOptions {
  /** The grouping column (numeric or text). */
  readonly group: string;
  /** The treatment x (default: the formula's first regressor; a plain column). */
  readonly treatment?: string;
  /** The reference group (default: the first level, sorted as fixest sorts). */
  readonly reference?: Level;
  /** Let the controls' slopes differ by group in the pooled model (default false). */
  readonly interactControls?: boolean;
  /** Permutations (default 499); 0 skips the permutation test. */
  readonly K?: number;
  /** Seed of the permutations (default 1). */
  readonly seed?: number;
  /**
   * Unit whose rows move together in the permutations (default: the vcov's first cluster
   * variable, else the first fixed effect, when the group is constant within it; else rows).
   */
  readonly unit?: string;
  /** "auto" (default): unit-level permutations from per-unit sums (cluster-gram.ts); "rows": a demeaning per group and permutation. */
  readonly engine?: "auto" | "rows";
}

export interface GroupEstimate {
  readonly level: Level;
  /** The treatment's coefficient in this group's split-sample fit. */
  readonly estimate: Coefficient;
  readonly nobs: number;
  readonly fit: FeolsResult;
}

export interface GroupDifference {
  /** This group, compared with the reference. */
  readonly level: Level;
  /** b_level − b_reference from the split-sample fits. */
  readonly splitDifference: number;
  /** The pooled model's interaction coefficient (the difference) with its t and p under the model's vcov. */
  readonly interaction: Coefficient;
  /** Permutation p-values of the split-sample difference; null without permutations. */
  readonly permutation: { readonly p: number; readonly pOneSided: number } | null;
}

export interface PermutationTest {
  readonly K: number;
  readonly seed: number;
  /** The unit permuted, or null when single rows were. */
  readonly unit: string | null;
  /** Units (or rows) whose labels were permuted. */
  readonly units: number;
  /** Permutations in which some group's slope could not be estimated (left out of the p-values). */
  readonly failed: number;
  /** d* of each permutation, one array per non-reference level (NaN when failed). */
  readonly draws: readonly Float64Array[];
  /** "cluster-sums" (per-unit sums) or "rows" (a demeaning per group and permutation). */
  readonly engine: "cluster-sums" | "rows";
}

export interface HeterogeneityFields {
  readonly outcome: string;
  readonly treatment: string;
  readonly group: string;
  readonly reference: Level;
  readonly levels: readonly Level[];
  readonly nobs: number;
  /** Split-sample estimates, one per level (reference first… in sorted order). */
  readonly groups: readonly GroupEstimate[];
  readonly pooled: FeolsResult;
  /** One per non-reference level. */
  readonly differences: readonly GroupDifference[];
  /** Joint test that every interaction is zero (more than two groups), else null. */
  readonly joint: WaldTest | null;
  readonly permutation: PermutationTest | null;
  readonly timings: { readonly fits: number; readonly permutation: number };
}

export class HeterogeneityResult implements HeterogeneityFields {
  readonly outcome!: string;
  readonly treatment!: string;
  readonly group!: string;
  readonly reference!: Level;
  readonly levels!: readonly Level[];
  readonly nobs!: number;
  readonly groups!: readonly GroupEstimate[];
  readonly pooled!: FeolsResult;
  readonly differences!: readonly GroupDifference[];
  readonly joint!: WaldTest | null;
  readonly permutation!: PermutationTest | null;
  readonly timings!: { readonly fits: number; readonly permutation: number };

  constructor(fields: HeterogeneityFields) {
    Object.assign(this, fields);
  }

  summary(): string {
    const out = [`Heterogeneity of ${this.treatment} -> ${this.outcome} by ${this.group} (reference ${String(this.reference)}), ${this.nobs.toLocaleString("en-US")} obs.`];
    out.push("Split samples:");
    for (const g of this.groups) out.push(`  ${this.group} = ${String(g.level)}: ${formatPrinted(g.estimate.estimate)} (se ${formatPrinted(g.estimate.se)}, p ${formatPValue(g.estimate.p)}, ${g.nobs.toLocaleString("en-US")} obs.)`);
    out.push(`Differences from ${this.group} = ${String(this.reference)} (pooled interaction model, ${this.pooled.vcovLabel}):`);
    for (const d of this.differences) {
      const perm = d.permutation ? `; permutation p ${formatPValue(d.permutation.p)} (one-sided ${formatPValue(d.permutation.pOneSided)})` : "";
      out.push(
        `  ${String(d.level)}: split difference ${formatPrinted(d.splitDifference)}; interaction ${formatPrinted(d.interaction.estimate)} (se ${formatPrinted(d.interaction.se)}, t ${d.interaction.t.toFixed(3)}, p ${formatPValue(d.interaction.p)})${perm}`,
      );
    }
    if (this.joint) out.push(`Joint test of equal slopes: F = ${this.joint.stat.toFixed(4)} on ${this.joint.df1} and ${this.joint.df2} df, p = ${formatPValue(this.joint.p)}`);
    const pm = this.permutation;
    if (pm) {
      out.push(`Permutations: K = ${pm.K}, seed ${pm.seed}, ${pm.unit === null ? "rows" : `by ${pm.unit}`} (${pm.units.toLocaleString("en-US")})${pm.failed > 0 ? `, ${pm.failed} failed` : ""}`);
    }
    return out.join("\n");
  }

  toString(): string {
    return this.summary();
  }

  toJSON(): Record<string, unknown> {
    return {
      outcome: this.outcome,
      treatment: this.treatment,
      group: this.group,
      reference: this.reference,
      levels: [...this.levels],
      nobs: this.nobs,
      groups: this.groups.map((g) => ({ level: g.level, nobs: g.nobs, ...coefficientJson(g.estimate) })),
      differences: this.differences.map((d) => ({
        level: d.level,
        split_difference: d.splitDifference,
        interaction: coefficientJson(d.interaction),
        permutation: d.permutation,
      })),
      joint: this.joint && { stat: this.joint.stat, p: this.joint.p, df1: this.joint.df1, df2: this.joint.df2 },
      permutation: this.permutation && { K: this.permutation.K, seed: this.permutation.seed, unit: this.permutation.unit, units: this.permutation.units, failed: this.permutation.failed },
      pooled: this.pooled.toJSON(),
    };
  }
}

function refText(level: Level): string {
  if (typeof level === "number") return `ref = ${level}`;
  return level.includes('"') ? `ref = '${level}'` : `ref = "${level}"`;
}

/**
 * `await heterogeneity(data, "dvar ~ robot + ln_age | firm_id + year", { group: "soe", vcov: { cluster: "firm_id" } })`
 */
export async function heterogeneity(data: DataInput, formula: string, options: HeterogeneityOptions): Promise<HeterogeneityResult> {
  const started = performance.now();
  const what = "heterogeneity";
  const group = namedColumn(what, options?.group, 'the grouping column, e.g. { group: "soe" }');
  const { spec, treatment } = treatmentModel(what, formula, options.treatment);
  if (group === spec.depvar || group === treatment) throw new InputError("option", `${what}: the group "${group}" cannot be the outcome or the treatment`);
  const K = checkReplications(what, "K", options.K, 499);
  const seed = checkSeed(what, options.seed);
  const unitAsked = options.unit;
  const request = fitRequest(toFrame(data), [spec], options, { columns: [group, ...(unitAsked ? [unitAsked] : [])] });
  const { frame } = request;
  const unitCandidate = unitAsked ?? firstCluster(request) ?? spec.fixedEffects.find((fe) => fe.variables.length === 1)?.variables[0];
  const units = unitCandidate ? [unitCandidate] : [];
  const subset = completeCases(frame, [...spec.variables, group, ...vcovColumns(request), ...units], request.subset);

  // The common sample, with the group and the unit encoded over it.
  const sample = await buildSample(sampleRequest(request, [spec], { clusters: [group, ...units], subset }));
  const groupEnc: EncodedEffect = encodingNamed(sample.clusters, group);
  if (groupEnc.size < 2) {
    throw new InputError(
      "data",
      `${what}: the group "${group}" has a single level (${String(groupEnc.levels[0])}) in the sample (${sample.rows.length} rows); ` +
        `comparing groups needs at least two`,
    );
  }
  const levels = groupEnc.levels;
  let refIndex = 0;
  if (options.reference !== undefined) {
    refIndex = levels.findIndex((l) => String(l) === String(options.reference));
    if (refIndex < 0) {
      throw new InputError("option", `${what}: the reference "${String(options.reference)}" is not a level of "${group}" in the sample (levels: ${levels.map(String).join(", ")})`);
    }
  }
  const reference = levels[refIndex];
  const unitEnc = unitCandidate ? encodingNamed(sample.clusters, unitCandidate) : null;
  const groupByUnit = unitEnc !== null && nestedIn(unitEnc, groupEnc);
  if (unitAsked !== undefined && !groupByUnit) {
    throw new InputError("option", `${what}: the group "${group}" varies within the unit "${unitAsked}", so units cannot be permuted whole; leave unit out to permute rows`);
  }

  // 1. Split samples (each on the common sample's rows of one level).
  const fullCol = frame.columns.get(group)!;
  const full = encodeColumn(fullCol, null);
  const fits: FeolsResult[] = [];
  for (const level of levels) {
    const code = full.levels.findIndex((l) => String(l) === String(level));
    const mask = new Uint8Array(subset.length);
    for (let r = 0; r < mask.length; r++) if (subset[r] && full.codes[r] === code) mask[r] = 1;
    const [fit] = await runPlan(request, { subset: mask, label: () => `${group} = ${String(level)}` });
    fits.push(fit);
  }
  const groups: GroupEstimate[] = levels.map((level, g) => {
    const c = fits[g].coef(treatment);
    if (!c) throw new InputError("data", `${what}: "${treatment}" could not be estimated in the group ${group} = ${String(level)} (dropped as collinear or absorbed by the fixed effects)`);
    return { level, estimate: c, nobs: fits[g].nobs, fit: fits[g] };
  });

  // 2. The pooled model with interactions.
  const { lhs, rhs, rest } = formulaPieces(spec);
  const gName = formatName(group);
  const ref = refText(reference);
  const extra = [`i(${gName}, ${formatName(treatment)}, ${ref})`];
  const absorbed = sample.fixedEffects.some((fe) => nestedIn(fe, groupEnc));
  if (!absorbed) extra.push(`i(${gName}, ${ref})`);
  if (options.interactControls) {
    for (const t of spec.terms) {
      if (t.kind === "variable" && t.name === treatment) continue;
      if (t.kind !== "variable") {
        throw new InputError("option", `${what}: interactControls needs plain control variables; "${t.kind === "factor" ? `i(${t.variable})` : t.kind === "sunab" ? "sunab()" : t.variables.join(":")}" is not one`);
      }
      extra.push(`i(${gName}, ${formatName(t.name)}, ${ref})`);
    }
  }
  const pooledSpec = parseFormula(`${lhs} ~ ${rhs} + ${extra.join(" + ")}${rest}`);
  const [pooled] = await runPlan(request, { specs: [pooledSpec], subset, label: () => "pooled interaction model" });
  const names = levels.filter((_, g) => g !== refIndex).map((level) => `${group}::${String(level)}:${treatment}`);
  const interactions = names.map((name) => {
    const c = pooled.coef(name);
    if (!c) throw new InputError("data", `${what}: the interaction "${name}" could not be estimated in the pooled model (collinear or absorbed)`);
    return c;
  });
  const joint = names.length > 1 ? wald(pooled, names) : null;
  const fitsDone = performance.now();

  // 3. Permutations.
  const observed = levels.map((_, g) => groups[g].estimate.estimate);
  let permutation: PermutationTest | null = null;
  let pValues: { p: number; pOneSided: number }[] | null = null;
  if (K > 0) {
    const perm = await permute(frame, spec, treatment, sample, groupEnc, groupByUnit ? unitEnc : null, options, K, seed, refIndex);
    permutation = { K, seed, unit: groupByUnit ? unitCandidate! : null, units: perm.units, failed: perm.failed, draws: perm.draws, engine: perm.engine };
    pValues = perm.draws.map((draws, j) => {
      const g = j < refIndex ? j : j + 1;
      const d = observed[g] - observed[refIndex];
      const slack = 1e-10 * Math.abs(d);
      let ok = 0;
      let two = 0;
      let one = 0;
      for (const x of draws) {
        if (Number.isNaN(x)) continue;
        ok++;
        if (Math.abs(x) >= Math.abs(d) - slack) two++;
        if (d >= 0 ? x >= d - slack : x <= d + slack) one++;
      }
      return { p: (1 + two) / (1 + ok), pOneSided: (1 + one) / (1 + ok) };
    });
  }
  const differences: GroupDifference[] = names.map((_, j) => {
    const g = j < refIndex ? j : j + 1;
    return { level: levels[g], splitDifference: observed[g] - observed[refIndex], interaction: interactions[j], permutation: pValues ? pValues[j] : null };
  });
  const done = performance.now();
  return new HeterogeneityResult({
    outcome: spec.depvar,
    treatment,
    group,
    reference,
    levels,
    nobs: pooled.nobs,
    groups,
    pooled,
    differences,
    joint,
    permutation,
    timings: { fits: fitsDone - started, permutation: done - fitsDone },
  });
}

/**
 * The permutation distribution of b_g − b_ref for every non-reference level g. With `unit`,
 * units' labels are shuffled (group sizes in units kept); without, rows' labels.
 */
async function permute(
  frame: Frame,
  spec: ModelSpec,
  treatment: string,
  sample: Sample,
  groupEnc: EncodedEffect,
  unit: EncodedEffect | null,
  options: HeterogeneityOptions,
  K: number,
  seed: number,
  refIndex: number,
): Promise<{ draws: Float64Array[]; failed: number; units: number; engine: "cluster-sums" | "rows" }> {
  // The per-cluster sums keep part of their data in the wasm arena until the end of the resampling.
  return withArena(async (arena) => {
    const rows = sample.rows;
    const n = rows.length;
    const { columns, regressors, xs } = extractColumns(frame, rows, [spec.depvar], spec.intercept, spec.terms);
    const width = columns.length;
    const xAt = regressors.indexOf(treatment);
    const hasFe = sample.fixedEffects.length > 0;
    const L = groupEnc.size;
    const sums = unit && options.engine !== "rows" ? ClusterGram.build(arena, columns, sample.fixedEffects, unit, sample.weights) : null;
    const refit = sums
      ? null
      : new Refitter(arena, columns, sample.fixedEffects, sample.weights, absorbOptions(options));
    // Labels of the units (or rows), to be shuffled.
    let labels: Int32Array;
    if (unit) {
      labels = new Int32Array(unit.size);
      for (let i = 0; i < n; i++) labels[unit.codes[i]] = groupEnc.codes[i];
    } else labels = Int32Array.from(groupEnc.codes);
    const rng = new Rng(seed);
    const draws = Array.from({ length: L - 1 }, () => new Float64Array(K));
    const picked = new Int32Array(n);
    let failed = 0;
    const slopes = new Float64Array(L);
    for (let k = 0; k < K; k++) {
      rng.shuffle(labels);
      const grams = sums ? sums.gramsOfPartition(labels, L) : null;
      for (let g = 0; g < L; g++) {
        let gram: Gram;
        if (grams) gram = grams[g];
        else {
          let m = 0;
          const uc = unit ? unit.codes : null;
          for (let i = 0; i < n; i++) if (labels[uc ? uc[i] : i] === g) picked[m++] = i;
          gram = await refit!.gram(picked.subarray(0, m), null);
        }
        slopes[g] = regressGram(gram, width, 0, xs, hasFe)[xAt];
      }
      let bad = false;
      for (let g = 0, j = 0; g < L; g++) {
        if (g === refIndex) continue;
        const d = slopes[g] - slopes[refIndex];
        if (Number.isNaN(d)) bad = true;
        draws[j++][k] = d;
      }
      if (bad) failed++;
    }
    return { draws, failed, units: labels.length, engine: sums ? "cluster-sums" : "rows" };
  });
}
