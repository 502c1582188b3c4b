/**
 * Parser for fixest formulas:
 *
 *   depvar ~ regressors [| fixed effects] [| endogenous ~ instruments]
 *
 * with interactions (x:z, x*z), factors i(var, [x], ref, keep, drop, bin) and factor(var),
 * sunab(cohort, period), transforms wherever a variable may stand (read by TransformParser in
 * transforms.ts), interacted fixed effects (fe1^fe2), varying slopes (fe[x], fe[[x]]) and
 * fixest's multiple estimation: c(y1, y2) on the left, one sw/csw/sw0/csw0 among the regressors
 * and one among the fixed effects. Products are expanded only after the columns they name are
 * checked, and never past MAX_TERMS. Every mistake is an InputError("formula") pointing at the
 * offending position. The syntax is read by syntax.ts, products are expanded by products.ts; here
 * the written formula becomes one ModelSpec per model.
 */
import type { Column } from "../data/frame.js";
import { missingColumnsError } from "../data/select.js";
import { InputError } from "../core/errors.js";
import type { DerivedColumn } from "./evaluate.js";
import { expressionColumns, usesPanel } from "./expression.js";
import { formatName, formulaError } from "./lexer.js";
import { formatEffect, formatTerm, termKey, termVariables, type FixedEffect, type Term } from "./terms.js";
import type { LocatedName } from "./transforms.js";
import { expandProduct, MAX_TERMS, productSize, sizeText, type LocatedTerm, type Product } from "./products.js";
import { parseSyntax, type LocatedEffect, type MultiOf, type ParsedFormula } from "./syntax.js";

export type { Level } from "../data/encode.js";
export type { DerivedColumn } from "./evaluate.js";
export type { FactorBin, FixedEffect, Term } from "./terms.js";
export { termKey, termName, termVariables } from "./terms.js";

export interface ModelSpec {
  /** This single model's formula, normalised. */
  formula: string;
  /** The dependent variable's column (a derived column's name, e.g. "log(assets)", for a transform). */
  depvar: string;
  /** Exogenous regressors, in order. */
  terms: Term[];
  /** True only without fixed effects and without "- 1" / "+ 0". */
  intercept: boolean;
  fixedEffects: FixedEffect[];
  endogenous: string[];
  instruments: string[];
  /** Every data column the model reads, deduplicated, in first-use order (the sources of transforms, not the transforms). */
  variables: string[];
  /** Columns the model computes from the data (transforms, lags), in first-use order. */
  derived: DerivedColumn[];
}

/** The data's columns, when known: names are checked against them before products are expanded. */
export type KnownColumns = ReadonlyMap<string, Column>;

/** Parses a formula that describes exactly one model. */
export function parseFormula(text: string, columns?: KnownColumns): ModelSpec {
  const specs = parseMultiFormula(text, columns);
  if (specs.length > 1) {
    throw new InputError(
      "formula",
      `formula "${text}" expands to ${specs.length} models (through c(), sw(), csw(), sw0() or csw0()); ` +
        "use parseMultiFormula to estimate several models",
    );
  }
  return specs[0]!;
}

/**
 * Parses a formula and expands multiple estimation in fixest's order: per set of fixed effects
 * (sw/csw in the fixed-effect part), then per dependent variable, then per sw/csw step of the regressors.
 */
export function parseMultiFormula(text: string, columns?: KnownColumns): ModelSpec[] {
  const parsed = parseSyntax(text);
  if (columns) {
    const missing = parsed.columns.filter((c) => !columns.has(c.name)).map((c) => c.name);
    if (missing.length > 0) throw missingColumnsError(missing, [...columns.keys()], "the data");
  }
  const fixed = parsed.rhs.filter((item): item is Product => !("options" in item)).map((p) => ({ p, count: productSize(p) }));
  const feMulti = parsed.fixedEffects.find((item): item is MultiOf<LocatedEffect> => "options" in item) ?? null;
  return alternatives(feMulti).flatMap((feAlternative) => {
    const effects = parsed.fixedEffects.flatMap((item) => ("options" in item ? feAlternative : [item]));
    return parsed.depvars.flatMap((depvar) => alternatives(parsed.multi).map((alternative) => {
      const count = fixed.reduce((s, f) => s + f.count, 0) + alternative.reduce((s, p) => s + productSize(p), 0);
      if (count > MAX_TERMS) {
        const largest = [...fixed.map((f) => f.p), ...alternative].reduce((a, b) => (productSize(b) > productSize(a) ? b : a));
        throw formulaError(
          text,
          largest.pos,
          `the regressors expand to more than the ${MAX_TERMS} terms allowed (a product a*b*… of k factors has 2^k − 1 terms; ` +
            `this one, of ${largest.groups.length} factors, has ${sizeText(largest)}): write the interactions you need with ':' instead of '*'`,
        );
      }
      const terms = parsed.rhs.flatMap((item) => ("options" in item ? alternative : [item]).flatMap(expandProduct));
      return buildSpec(text, parsed, depvar, terms, effects);
    }));
  });
}

/** The data columns a formula reads, without expanding it (what a reader must load). */
export function formulaColumns(text: string): string[] {
  return [...new Set(parseSyntax(text).columns.map((c) => c.name))];
}

/** The sets a multiple-estimation operator stands for, in fixest's order. */
function alternatives<T>(multi: MultiOf<T> | null): T[][] {
  if (multi === null) return [[]];
  const { op, options } = multi;
  const steps = op === "csw" || op === "csw0" ? options.map((_, k) => options.slice(0, k + 1).flat()) : options;
  return op === "sw0" || op === "csw0" ? [[], ...steps] : steps;
}

function buildSpec(text: string, parsed: ParsedFormula, depvar: LocatedName, located: LocatedTerm[], effects: LocatedEffect[]): ModelSpec {
  const fail = (pos: number, message: string): never => {
    throw formulaError(text, pos, message);
  };
  const ivNames = [...parsed.endogenous, ...parsed.instruments];
  const fixedEffects = effects.map((f) => f.fe);
  const intercept = fixedEffects.length === 0 && !parsed.noIntercept;
  const terms: Term[] = [];
  const seen = new Set<string>();
  let factorCalls = 0;
  for (const { term: written, pos } of located) {
    const vars = termVariables(written);
    const clash = ivNames.find((n) => vars.includes(n.name));
    if (clash) {
      const role = parsed.endogenous.includes(clash) ? "endogenous" : "an instrument";
      fail(clash.pos, `'${clash.name}' is ${role} but also an exogenous regressor (column ${pos + 1}): list it in one place only`);
    }
    let term = written;
    if (term.kind === "factor") {
      // R keeps every level of the first factor() of a model without intercept; fixest's i() keeps them all then.
      const absorbing = intercept || fixedEffects.length > 0;
      const collinear = term.style === "i" ? absorbing : absorbing || factorCalls > 0;
      if (term.style !== "i") factorCalls++;
      term = { ...term, dropFirst: term.ref === null && term.by === null && term.keep === null && collinear };
    }
    // Repeated terms (e.g. "x*z + x") are dropped, as R's terms() does.
    const key = termKey(term);
    if (!seen.has(key)) terms.push(term);
    seen.add(key);
  }

  const sunabs = located.filter((t) => t.term.kind === "sunab");
  if (sunabs.length > 1) fail(sunabs[1]!.pos, "only one sunab() is allowed per model");
  const uses: LocatedName[] = [
    ...located.flatMap(({ term, pos }) => termVariables(term).map((name) => ({ name, pos }))),
    ...effects.flatMap(({ fe, pos }) => [...fe.variables, ...(fe.slopes ?? [])].map((name) => ({ name, pos }))),
    ...ivNames,
  ];
  const selfUse = uses.find((u) => u.name === depvar.name);
  if (selfUse) fail(selfUse.pos, `the dependent variable '${depvar.name}' also appears on the right of '~'`);

  const endogenous = parsed.endogenous.map((n) => n.name);
  const instruments = parsed.instruments.map((n) => n.name);
  if (terms.length === 0 && !intercept && fixedEffects.length === 0 && endogenous.length === 0) {
    fail(parsed.tildePos, "the model has nothing to estimate: expected a regressor, the intercept, fixed effects or an IV part");
  }

  const ref = (name: string) => parsed.derived.get(name)?.source ?? formatName(name);
  // poly()'s columns share one source, written once.
  let rhs = [...new Set(terms.map((t) => formatTerm(t, ref)))].join(" + ");
  if (rhs === "") rhs = intercept || fixedEffects.length > 0 ? "1" : "0";
  else if (!intercept && fixedEffects.length === 0) rhs += " - 1";
  const parts = [`${ref(depvar.name)} ~ ${rhs}`];
  if (fixedEffects.length > 0) {
    parts.push(fixedEffects.map(formatEffect).join(" + "));
  }
  if (endogenous.length > 0) {
    parts.push(`${[...new Set(endogenous.map(ref))].join(" + ")} ~ ${[...new Set(instruments.map(ref))].join(" + ")}`);
  }

  const names = [...new Set([depvar.name, ...uses.map((u) => u.name)])];
  const derived = names.flatMap((n) => parsed.derived.get(n) ?? []);
  const sources = (n: string) => {
    const d = parsed.derived.get(n);
    return d ? expressionColumns(d.expr) : [n];
  };
  return {
    formula: parts.join(" | "),
    depvar: depvar.name,
    terms,
    intercept,
    fixedEffects,
    endogenous,
    instruments,
    variables: [...new Set(names.flatMap(sources))],
    derived,
  };
}

/** Whether any of the model's computed columns is a lag, lead or difference (and so needs a panel). */
export function needsPanel(spec: ModelSpec): boolean {
  return spec.derived.some((d) => usesPanel(d.expr));
}
