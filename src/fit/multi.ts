import type { Column, Frame } from "../data/frame.js";
import { toFrame, type DataInput } from "../data/input.js";
import { missingColumnsError } from "../data/select.js";
import { encodeColumn, type Level } from "../data/encode.js";
import { parseMultiFormula, type ModelSpec } from "../formula/parse.js";
import { InputError } from "../core/errors.js";
import { fitRequest, type FitRequest } from "./request.js";
import { runPlan } from "./plan.js";
import type { FeolsOptions } from "./options.js";
import type { FeolsResult } from "./result.js";

/**
 * Multiple estimation, as fixest's: one call estimates every model a formula expands to —
 * c(y1, y2) on the left, sw()/csw()/sw0()/csw0() on the right — on the whole sample and, with
 * `split = "col"`, on each level of a column (`fsplit`: the whole sample first, then each level).
 *
 * Work is shared where the sample is the same (plan.ts): the models are grouped by estimation
 * sample (the rows kept after the subset, missing values and singletons) and fixed effects; each
 * group copies the union of its columns (dependent variables and regressors) into the arena once,
 * demeans them once, and then each model is solved from copies of its own demeaned columns by
 * the solver feols runs (tiny regressors rescaled as feols rescales them), so every fit is
 * bit-for-bit the fit feols gives for that model alone. Models whose regressors have different
 * missing values get different samples, exactly as when estimated one by one; IV models are
 * estimated one by one.
 *
 * Order of the fits: by sample (full sample first with fsplit, then the split levels sorted),
 * then by dependent variable, then by sw/csw step — fixest's order.
 */
export interface MultiOptions extends FeolsOptions {
  /** Estimate on each level of this column (rows where it is missing are left out). */
  readonly split?: string;
  /** As split, plus the full sample first. */
  readonly fsplit?: string;
}

/** Which sample a fit used: the full sample (level null) or one level of the split column. */
export interface MultiSample {
  readonly variable: string;
  /** The level, or null for the full sample (fsplit). */
  readonly level: Level | null;
}

export interface MultiFit {
  /** Position in the list, from 0. */
  readonly index: number;
  /** "sample: region = east; fixef: firm_id; lhs: dvar; rhs: robot + ln_age" — only what varies across the fits. */
  readonly label: string;
  /** null without split/fsplit. */
  readonly sample: MultiSample | null;
  readonly depvar: string;
  /** The right-hand side as written in the normalised formula (regressors only). */
  readonly rhs: string;
  /** The fixed effects, "firm_id + year", or "1" without any. */
  readonly fixef: string;
  /** This model's own formula, normalised. */
  readonly formula: string;
  readonly result: FeolsResult;
}

/** The list of fits of one multiple estimation. */
export class FeolsMulti implements Iterable<MultiFit> {
  constructor(
    readonly formula: string,
    readonly fits: readonly MultiFit[],
    readonly split: string | null,
  ) {}

  get length(): number {
    return this.fits.length;
  }

  [Symbol.iterator](): Iterator<MultiFit> {
    return this.fits[Symbol.iterator]();
  }

  /** The results alone, in order. */
  get results(): FeolsResult[] {
    return this.fits.map((f) => f.result);
  }

  /** The fits matching every criterion given (a sample level, a dependent variable, a right-hand side). */
  select(q: { readonly level?: Level | null; readonly depvar?: string; readonly rhs?: string; readonly fixef?: string }): MultiFit[] {
    return this.fits.filter(
      (f) =>
        (q.level === undefined || (f.sample !== null && String(f.sample.level) === String(q.level))) &&
        (q.depvar === undefined || f.depvar === q.depvar) &&
        (q.rhs === undefined || f.rhs === q.rhs) &&
        (q.fixef === undefined || f.fixef === q.fixef),
    );
  }

  summary(): string {
    return this.fits.map((f) => `### ${f.index + 1}. ${f.label}\n${f.result.summary()}`).join("\n\n");
  }

  toString(): string {
    return this.summary();
  }

  toJSON(): Record<string, unknown> {
    return {
      formula: this.formula,
      split: this.split,
      fits: this.fits.map((f) => ({
        index: f.index,
        label: f.label,
        sample: f.sample,
        depvar: f.depvar,
        rhs: f.rhs,
        fixef: f.fixef,
        formula: f.formula,
        result: f.result.toJSON(),
      })),
    };
  }
}

/**
 * `await feolsMulti(data, "c(dvar, gap) ~ csw(robot, ln_age + finance) | firm_id + year", { split: "region" })`:
 * every model the formula expands to, on every sample asked for.
 */
export async function feolsMulti(data: DataInput, formula: string, options: MultiOptions = {}): Promise<FeolsMulti> {
  const data0 = toFrame(data);
  const specs = parseMultiFormula(formula, data0.columns);
  const { split: _s, fsplit: _f, ...fitOptions } = options;
  const request = fitRequest(data0, specs, fitOptions);
  const splitVar = splitColumn(options, data0);
  const samples = splitSamples(request, splitVar, options.fsplit !== undefined);
  const manyLhs = new Set(specs.map((s) => s.depvar)).size > 1;
  const manyRhs = new Set(specs.map(rhsOf)).size > 1;
  const manyFixef = new Set(specs.map(fixefOf)).size > 1;
  const label = (sample: MultiSample | null, spec: ModelSpec) => labelOf(sample, spec, manyFixef, manyLhs, manyRhs);
  const fits: MultiFit[] = [];
  for (const s of samples) {
    const results = await runPlan(request, { subset: s.subset, label: (i) => label(s.sample, specs[i]) });
    specs.forEach((spec, i) => {
      fits.push({
        index: fits.length,
        label: label(s.sample, spec),
        sample: s.sample,
        depvar: spec.depvar,
        rhs: rhsOf(spec),
        fixef: fixefOf(spec),
        formula: spec.formula,
        result: results[i],
      });
    });
  }
  return new FeolsMulti(formula, fits, splitVar);
}

/** The split (or fsplit) column, checked; null without either. */
function splitColumn(options: MultiOptions, frame: Frame): string | null {
  if (options.split !== undefined && options.fsplit !== undefined) {
    throw new InputError("option", `give split or fsplit, not both (got split "${options.split}" and fsplit "${options.fsplit}")`);
  }
  const splitVar = options.split ?? options.fsplit ?? null;
  if (splitVar === null) return null;
  if (typeof splitVar !== "string" || splitVar === "") throw new InputError("option", `split must name a column (got ${JSON.stringify(splitVar)})`);
  if (!frame.columns.has(splitVar)) {
    const e = missingColumnsError([splitVar], [...frame.columns.keys()], "the data");
    throw new InputError("column", `unknown split column: ${e.message}`);
  }
  return splitVar;
}

/** The samples fitted: the whole (within the subset) without a split; with one, each level's (after the whole, for fsplit). */
function splitSamples(request: FitRequest, splitVar: string | null, full: boolean): { sample: MultiSample | null; subset: Uint8Array | null }[] {
  const base = request.subset;
  if (splitVar === null) return [{ sample: null, subset: base }];
  const samples: { sample: MultiSample | null; subset: Uint8Array | null }[] = [];
  if (full) samples.push({ sample: { variable: splitVar, level: null }, subset: base });
  for (const { level, mask } of splitMasks(request.frame.columns.get(splitVar)!, base)) {
    samples.push({ sample: { variable: splitVar, level }, subset: mask });
  }
  if (samples.length === (full ? 1 : 0)) {
    throw new InputError("data", `split column "${splitVar}" has no non-missing value${base ? " in the subset" : ""}: nothing to split on`);
  }
  return samples;
}

/** One 0/1 mask per level of the split column (sorted as fixest sorts levels), within the base subset. */
function splitMasks(col: Column, base: Uint8Array | null): { level: Level; mask: Uint8Array; rows: number }[] {
  const enc = encodeColumn(col, null);
  const n = enc.codes.length;
  const counts = new Int32Array(enc.size);
  for (let r = 0; r < n; r++) if (enc.codes[r] >= 0 && (!base || base[r])) counts[enc.codes[r]]++;
  const out: { level: Level; mask: Uint8Array; rows: number }[] = [];
  for (let g = 0; g < enc.size; g++) {
    if (counts[g] === 0) continue;
    const mask = new Uint8Array(n);
    for (let r = 0; r < n; r++) if (enc.codes[r] === g && (!base || base[r])) mask[r] = 1;
    out.push({ level: enc.levels[g], mask, rows: counts[g] });
  }
  return out;
}

function rhsOf(spec: ModelSpec): string {
  const f = spec.formula;
  const afterTilde = f.slice(f.indexOf(" ~ ") + 3);
  const bar = afterTilde.indexOf(" | ");
  return bar < 0 ? afterTilde : afterTilde.slice(0, bar);
}

function fixefOf(spec: ModelSpec): string {
  return spec.fixedEffects.length === 0 ? "1" : spec.fixedEffects.map((fe) => fe.name).join(" + ");
}

function labelOf(sample: MultiSample | null, spec: ModelSpec, manyFixef: boolean, manyLhs: boolean, manyRhs: boolean): string {
  const parts: string[] = [];
  if (sample) parts.push(sample.level === null ? "sample: Full sample" : `sample: ${sample.variable} = ${sample.level}`);
  if (manyFixef) parts.push(`fixef: ${fixefOf(spec)}`);
  if (manyLhs) parts.push(`lhs: ${spec.depvar}`);
  if (manyRhs) parts.push(`rhs: ${rhsOf(spec)}`);
  return parts.length > 0 ? parts.join("; ") : spec.formula;
}
