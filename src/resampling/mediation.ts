import { quantileSorted } from "../core/quantile.js";
import { toFrame, type DataInput } from "../data/input.js";
import { formatName } from "../formula/lexer.js";
import { parseFormula, type ModelSpec } from "../formula/parse.js";
import { InputError } from "../core/errors.js";
import { normalPValue } from "../core/distributions.js";
import type { Coefficient } from "../vcov/coefficients.js";
import { withArena } from "../engine/shared.js";
import { firstCluster, fitRequest, sampleRequest, vcovColumns } from "../fit/request.js";
import { runPlan } from "../fit/plan.js";
import { buildSample, type Sample } from "../fit/sample.js";
import type { Frame } from "../data/frame.js";
import { encodingNamed, type EncodedEffect } from "../data/encode.js";
import type { FeolsOptions } from "../fit/options.js";
import type { FeolsResult } from "../fit/result.js";
import { Rng } from "../core/random.js";
import { completeCases, drawClusterCounts, extractColumns, formulaPieces, regressGram, Refitter, type Gram } from "./refit.js";
import { ClusterGram } from "./cluster-gram.js";
import { formatPValue as fp, formatPrinted } from "../core/format.js";
import { absorbOptions } from "../fit/absorb-effects.js";

/**
 * Mediation analysis (Baron & Kenny 1986) of a treatment x on an outcome y through a mediator m,
 * each step with the same controls, fixed effects and vcov as the formula `y ~ x + controls | fe`:
 *
 *   step 1 (total effect)      y = c·x  + controls + fe + e
 *   step 2 (x → mediator)      m = a·x  + controls + fe + e
 *   step 3 (direct effect)     y = c'·x + b·m + controls + fe + e
 *
 * All three on one sample: the rows where y, m, x, the controls, the fixed effects, the vcov's
 * clusters and the bootstrap cluster are all present (so that c = c' + a·b holds exactly). They
 * share one demeaning (multiple estimation on one sample, multi.ts).
 *
 * The indirect effect a·b is tested by Sobel's z = a·b / √(b²·s_a² + a²·s_b²) (s_a, s_b the
 * standard errors of the steps' vcov; two-sided normal p-value), and by a cluster bootstrap: B
 * draws of G clusters with replacement (seeded), steps 2 and 3 refitted on each, the percentile
 * interval of a·b. A cluster drawn k times enters a replication as its rows with frequency
 * weight k: for the coefficients this is exactly the fit on the data with the cluster's rows
 * duplicated k times and each copy given its own cluster (and own fixed-effect levels for fixed
 * effects nested in the cluster), since a copy's fixed-effect mean equals the original's — and
 * it demeans ~63% of the rows instead of all of them. Fixed-effect codes are re-labelled densely
 * over the rows drawn (levels no drawn row has are left out).
 */
export interface MediationOptions extends FeolsOptions {
  /** The mediator column m. */
  readonly mediator: string;
  /** The treatment x (default: the formula's first regressor; it must be a plain variable). */
  readonly treatment?: string;
  /** Bootstrap replications (default 499); 0 skips the bootstrap. */
  readonly B?: number;
  /** Seed of the bootstrap draws (default 1). */
  readonly seed?: number;
  /** Level of the percentile interval (default 0.95). */
  readonly level?: number;
  /** The resampling cluster column (default: the vcov's first cluster variable). */
  readonly cluster?: string;
  /**
   * How replications are computed: "auto" (default) from per-cluster sums when the fixed effects
   * allow it (cluster-gram.ts), "rows" by demeaning each draw's rows; they agree to rounding.
   */
  readonly engine?: "auto" | "rows";
}

export interface SobelTest {
  readonly z: number;
  /** Two-sided, standard normal. */
  readonly p: number;
  /** √(b²·s_a² + a²·s_b²). */
  readonly se: number;
}

export interface MediationBootstrap {
  readonly B: number;
  readonly seed: number;
  readonly level: number;
  readonly cluster: string;
  /** Clusters in the sample (each draw takes this many, with replacement). */
  readonly clusters: number;
  /** Percentile interval of a·b over the successful replications. */
  readonly ci: readonly [number, number];
  /** Standard deviation and mean of a·b over the successful replications. */
  readonly se: number;
  readonly mean: number;
  /** Replications in which a or b could not be estimated (absorbed or collinear in the draw). */
  readonly failed: number;
  /** a·b of each replication in draw order (NaN for a failed one). */
  readonly draws: Float64Array;
  /** "cluster-sums" (per-cluster sums) or "rows" (a demeaning per draw). */
  readonly engine: "cluster-sums" | "rows";
}

export interface MediationFields {
  readonly outcome: string;
  readonly treatment: string;
  readonly mediator: string;
  readonly nobs: number;
  /** Step 1: y ~ x + controls. */
  readonly total: FeolsResult;
  /** Step 2: m ~ x + controls. */
  readonly mediatorModel: FeolsResult;
  /** Step 3: y ~ x + controls + m. */
  readonly direct: FeolsResult;
  /** x in step 1 (total effect). */
  readonly c: Coefficient;
  /** x in step 2. */
  readonly a: Coefficient;
  /** m in step 3. */
  readonly b: Coefficient;
  /** x in step 3 (direct effect). */
  readonly cPrime: Coefficient;
  /** a·b. */
  readonly indirect: number;
  /** a·b / c. */
  readonly proportionMediated: number;
  readonly sobel: SobelTest;
  readonly bootstrap: MediationBootstrap | null;
  readonly timings: { readonly fits: number; readonly bootstrap: number };
}

export class MediationResult implements MediationFields {
  readonly outcome!: string;
  readonly treatment!: string;
  readonly mediator!: string;
  readonly nobs!: number;
  readonly total!: FeolsResult;
  readonly mediatorModel!: FeolsResult;
  readonly direct!: FeolsResult;
  readonly c!: Coefficient;
  readonly a!: Coefficient;
  readonly b!: Coefficient;
  readonly cPrime!: Coefficient;
  readonly indirect!: number;
  readonly proportionMediated!: number;
  readonly sobel!: SobelTest;
  readonly bootstrap!: MediationBootstrap | null;
  readonly timings!: { readonly fits: number; readonly bootstrap: number };

  constructor(fields: MediationFields) {
    Object.assign(this, fields);
  }

  summary(): string {
    const line = (label: string, c: Coefficient) => `${label.padEnd(28)} ${formatPrinted(c.estimate).padStart(11)} ${formatPrinted(c.se).padStart(11)} ${c.t.toFixed(3).padStart(9)} ${fp(c.p).padStart(10)}`;
    const out = [
      `Mediation: ${this.treatment} -> ${this.mediator} -> ${this.outcome}   (${this.nobs.toLocaleString("en-US")} obs., ${this.direct.vcovLabel})`,
      `${"".padEnd(28)} ${"Estimate".padStart(11)} ${"Std. Error".padStart(11)} ${"t value".padStart(9)} ${"Pr(>|t|)".padStart(10)}`,
      line(`total effect c (${this.treatment})`, this.c),
      line(`a: ${this.treatment} -> ${this.mediator}`, this.a),
      line(`b: ${this.mediator} -> ${this.outcome}`, this.b),
      line(`direct effect c' (${this.treatment})`, this.cPrime),
      `indirect effect a*b: ${formatPrinted(this.indirect)}   proportion mediated: ${formatPrinted(this.proportionMediated)}`,
      `Sobel z = ${this.sobel.z.toFixed(4)}, p = ${fp(this.sobel.p)}`,
    ];
    const bs = this.bootstrap;
    if (bs) {
      out.push(
        `Cluster bootstrap (${bs.cluster}, ${bs.clusters.toLocaleString("en-US")} clusters, B = ${bs.B}, seed ${bs.seed}): ` +
          `${Math.round(bs.level * 100)}% percentile CI [${formatPrinted(bs.ci[0])}, ${formatPrinted(bs.ci[1])}], se ${formatPrinted(bs.se)}` +
          (bs.failed > 0 ? `, ${bs.failed} failed replications` : ""),
      );
    }
    return out.join("\n");
  }

  toString(): string {
    return this.summary();
  }

  toJSON(): Record<string, unknown> {
    const bs = this.bootstrap;
    return {
      outcome: this.outcome,
      treatment: this.treatment,
      mediator: this.mediator,
      nobs: this.nobs,
      c: coefficientJson(this.c),
      a: coefficientJson(this.a),
      b: coefficientJson(this.b),
      c_prime: coefficientJson(this.cPrime),
      indirect: this.indirect,
      proportion_mediated: this.proportionMediated,
      sobel: { ...this.sobel },
      bootstrap: bs && { B: bs.B, seed: bs.seed, level: bs.level, cluster: bs.cluster, clusters: bs.clusters, ci: [...bs.ci], se: bs.se, mean: bs.mean, failed: bs.failed },
      steps: { total: this.total.toJSON(), mediator: this.mediatorModel.toJSON(), direct: this.direct.toJSON() },
    };
  }
}


/** A coefficient as the JSON output of the treatment analyses writes it. */
export function coefficientJson(c: Coefficient): { estimate: number; se: number; t: number; p: number } {
  return { estimate: c.estimate, se: c.se, t: c.t, p: c.p };
}

/** Sobel's z for the product a·b of two independently estimated coefficients. */
export function sobelTest(a: number, sa: number, b: number, sb: number): SobelTest {
  const se = Math.sqrt(b * b * sa * sa + a * a * sb * sb);
  const z = (a * b) / se;
  return { z, p: normalPValue(z), se };
}


export function checkReplications(what: string, name: string, v: number | undefined, fallback: number): number {
  const x = v ?? fallback;
  if (!(Number.isInteger(x) && x >= 0 && x <= 1e7)) throw new InputError("option", `${what}: ${name} must be a whole number of replications, 0 or more (got ${v})`);
  return x;
}

export function checkSeed(what: string, v: number | undefined): number {
  const s = v ?? 1;
  if (!Number.isFinite(s)) throw new InputError("option", `${what}: seed must be a finite number (got ${v})`);
  return s;
}

/** The column a treatment analysis is about (the mediator, the group), which the options must name. */
export function namedColumn(what: string, value: unknown, ask: string): string {
  if (typeof value !== "string" || value === "") throw new InputError("option", `${what}: name ${ask}`);
  return value;
}

/**
 * Parses the model of a treatment analysis (mediation, heterogeneity): an OLS formula whose
 * treatment is the first regressor, or the one named.
 */
export function treatmentModel(what: string, formula: string, named: string | undefined): { spec: ModelSpec; treatment: string } {
  const spec = parseFormula(formula);
  if (spec.endogenous.length > 0) throw new InputError("formula", `${what}: IV formulas are not supported; give "y ~ x + controls | fixed effects"`);
  if (spec.terms.some((t) => t.kind === "sunab")) throw new InputError("formula", `${what}: sunab() is not supported here`);
  if (spec.fixedEffects.some((fe) => fe.slopes)) throw new InputError("formula", `${what}: varying slopes are not supported here`);
  if (spec.derived.length > 0) {
    throw new InputError("formula", `${what}: transforms (${spec.derived.map((d) => d.name).join(", ")}) are not supported here; add them to the data as columns and use their names`);
  }
  const first = spec.terms[0];
  const treatment = named ?? (first?.kind === "variable" ? first.name : undefined);
  if (treatment === undefined) {
    throw new InputError("formula", `${what}: the formula's first regressor must be the treatment variable (a plain column), or name it with { treatment: "x" }`);
  }
  if (!spec.terms.some((t) => t.kind === "variable" && t.name === treatment)) {
    throw new InputError("option", `${what}: the treatment "${treatment}" is not a regressor of "${spec.formula}"`);
  }
  return { spec, treatment };
}

/**
 * `await mediation(data, "dvar ~ robot + ln_age + finance | firm_id + year", { mediator: "profitability", vcov: { cluster: "firm_id" } })`
 */
export async function mediation(data: DataInput, formula: string, options: MediationOptions): Promise<MediationResult> {
  const started = performance.now();
  const what = "mediation";
  const mediator = namedColumn(what, options?.mediator, 'the mediator column, e.g. { mediator: "profitability" }');
  const { spec, treatment } = treatmentModel(what, formula, options.treatment);
  if (spec.variables.includes(mediator)) {
    throw new InputError("option", `${what}: the mediator "${mediator}" already appears in "${spec.formula}"; leave it out of the formula (step 3 adds it)`);
  }
  const B = checkReplications(what, "B", options.B, 499);
  const seed = checkSeed(what, options.seed);
  const level = options.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new InputError("option", `${what}: level must be between 0 and 1 (got ${level})`);
  const { lhs, rhs, rest } = formulaPieces(spec);
  const m = formatName(mediator);
  const step2 = parseFormula(`${m} ~ ${rhs}${rest}`);
  const step3 = parseFormula(`${lhs} ~ ${rhs} + ${m}${rest}`);
  const request = fitRequest(toFrame(data), [spec, step2, step3], options, { columns: options.cluster ? [options.cluster] : [] });
  const cluster = options.cluster ?? firstCluster(request);
  if (B > 0 && cluster === undefined) {
    throw new InputError(
      "option",
      `${what}: the cluster bootstrap needs a resampling cluster: pass { cluster: "firm_id" } or a clustered vcov, or B: 0 to skip the bootstrap`,
    );
  }
  const { frame } = request;
  const resampled = cluster ? [cluster] : [];
  const subset = completeCases(frame, [...step3.variables, ...vcovColumns(request), ...resampled], request.subset);

  // The common sample, with the bootstrap cluster encoded over it.
  const sample = await buildSample(sampleRequest(request, [step3], { clusters: resampled, subset }));
  const clusterEnc = cluster ? encodingNamed(sample.clusters, cluster) : null;
  if (clusterEnc && clusterEnc.size < 2) {
    throw new InputError(
      "data",
      `${what}: the sample (${sample.rows.length} rows) has a single cluster of "${cluster}" (${String(clusterEnc.levels[0])}); ` +
        `the cluster bootstrap needs at least two clusters`,
    );
  }

  const [total, mediatorModel, direct] = await runPlan(request, { subset, label: (i) => ["step 1 (total effect)", "step 2 (mediator)", "step 3 (direct effect)"][i] });
  const coef = (fit: FeolsResult, name: string, step: string): Coefficient => {
    const c = fit.coef(name);
    if (!c) throw new InputError("data", `${what}: "${name}" could not be estimated in ${step} (${fit.formula}): dropped as collinear or absorbed by the fixed effects`);
    return c;
  };
  const c = coef(total, treatment, "step 1");
  const a = coef(mediatorModel, treatment, "step 2");
  const b = coef(direct, mediator, "step 3");
  const cPrime = coef(direct, treatment, "step 3");
  const sobel = sobelTest(a.estimate, a.se, b.estimate, b.se);
  const fitsDone = performance.now();

  let bootstrap: MediationBootstrap | null = null;
  if (B > 0 && cluster && clusterEnc) {
    const { draws, engine } = await bootstrapIndirect(frame, spec, mediator, treatment, sample, clusterEnc, options, B, seed, options.engine ?? "auto");
    const ok = Float64Array.from(draws.filter((d) => !Number.isNaN(d))).sort();
    const alpha = (1 - level) / 2;
    let mean = 0;
    for (const d of ok) mean += d;
    mean /= ok.length;
    let ss = 0;
    for (const d of ok) ss += (d - mean) * (d - mean);
    bootstrap = {
      B,
      seed,
      level,
      cluster,
      clusters: clusterEnc.size,
      ci: [quantileSorted(ok, alpha), quantileSorted(ok, 1 - alpha)],
      se: ok.length > 1 ? Math.sqrt(ss / (ok.length - 1)) : NaN,
      mean: ok.length > 0 ? mean : NaN,
      failed: B - ok.length,
      draws,
      engine,
    };
  }
  const done = performance.now();
  return new MediationResult({
    outcome: spec.depvar,
    treatment,
    mediator,
    nobs: direct.nobs,
    total,
    mediatorModel,
    direct,
    c,
    a,
    b,
    cPrime,
    indirect: a.estimate * b.estimate,
    proportionMediated: (a.estimate * b.estimate) / c.estimate,
    sobel,
    bootstrap,
    timings: { fits: fitsDone - started, bootstrap: done - fitsDone },
  });
}

/**
 * a·b for each of B cluster-bootstrap draws (NaN where a or b cannot be estimated). Columns:
 * 0 = y, 1 = m, then the regressors of `spec` (the intercept first when there are no fixed effects).
 */
async function bootstrapIndirect(
  frame: Frame,
  spec: ModelSpec,
  mediator: string,
  treatment: string,
  sample: Sample,
  /** The bootstrap cluster's encoding over the sample. */
  cluster: EncodedEffect,
  options: FeolsOptions,
  B: number,
  seed: number,
  engine: "auto" | "rows",
): Promise<{ draws: Float64Array; engine: "cluster-sums" | "rows" }> {
  // The per-cluster sums keep part of their data in the wasm arena until the end of the resampling.
  return withArena(async (arena) => {
    const rows = sample.rows;
    const n = rows.length;
    const { columns, regressors, xs } = extractColumns(frame, rows, [spec.depvar, mediator], spec.intercept, spec.terms);
    const width = columns.length;
    const xAt = regressors.indexOf(treatment);
    const hasFe = sample.fixedEffects.length > 0;
    const clusterCodes = cluster.codes;
    const G = cluster.size;
    // Per-cluster sums when the fixed effects allow it (cluster-gram.ts), else a demeaning per draw.
    const sums = engine === "rows" ? null : ClusterGram.build(arena, columns, sample.fixedEffects, cluster, sample.weights);
    const refit = sums
      ? null
      : new Refitter(arena, columns, sample.fixedEffects, sample.weights, absorbOptions(options));
    const counts = new Int32Array(G);
    const picked = new Int32Array(n);
    const mult = new Float64Array(n);
    const rng = new Rng(seed);
    const uniform = () => rng.uniform();
    const draws = new Float64Array(B);
    for (let r = 0; r < B; r++) {
      drawClusterCounts(uniform, G, counts);
      let g: Gram;
      if (sums) g = sums.gram(counts);
      else {
        let m = 0;
        for (let i = 0; i < n; i++) {
          const k = counts[clusterCodes[i]];
          if (k > 0) {
            picked[m] = i;
            mult[m++] = k;
          }
        }
        g = await refit!.gram(picked.subarray(0, m), mult.subarray(0, m));
      }
      const a = regressGram(g, width, 1, xs, hasFe)[xAt];
      const b = regressGram(g, width, 0, [...xs, 1], hasFe)[xs.length];
      draws[r] = a * b;
    }
    return { draws, engine: sums ? "cluster-sums" : "rows" };
  });
}
