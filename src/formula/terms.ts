/**
 * The terms a formula's regressors and fixed effects are made of, what they are called (as fixest
 * names their coefficients) and how each is written back in a normalised formula.
 */
import type { Level } from "../data/encode.js";
import { formatNumber, type Expr } from "./expression.js";
import { formatName } from "./lexer.js";

/** Levels of an i() factor grouped into one (`bin = list("early" = c(2000, 2001))`). */
export interface FactorBin {
  readonly label: Level;
  readonly values: readonly Level[];
}

export type Term =
  | { kind: "variable"; name: string }
  | { kind: "interaction"; variables: string[] }
  | {
      kind: "factor";
      /**
       * i(var) names dummies "var::level"; factor(var) names them "factor(var)level"; a logical
       * regressor such as I(x > 0) is a factor too, as in fixest: "I(x > 0)TRUE".
       */
      style: "i" | "factor" | "logical";
      variable: string;
      by: string | null;
      /** Levels without a dummy (the references), null when none was given. */
      ref: Level[] | null;
      /** Only these levels get dummies (after binning). */
      keep: Level[] | null;
      /** These levels get no dummy. */
      drop: Level[] | null;
      bin: FactorBin[] | null;
      /**
       * No reference given and the dummies would sum to the intercept or a fixed effect: the
       * first level goes, as fixest drops it (and does not report it as collinear).
       */
      dropFirst: boolean;
    }
  /**
   * sunab(cohort, period): Sun and Abraham's event study, one dummy per treated cohort and
   * period relative to treatment (but the reference periods); a cohort outside the periods'
   * range is never treated. The coefficients are reported aggregated by relative period.
   */
  | { kind: "sunab"; cohort: string; period: string; refPeriods: number[] };

export interface FixedEffect {
  variables: string[];
  /** "fe1^fe2", "fe[x]", "fe[[x]]", as fixest prints it. */
  name: string;
  /** Varying slopes fe[x1, x2]: one coefficient per level and variable. */
  slopes?: string[];
  /** fe[[x]]: the slopes alone, without the fixed effect itself. */
  slopesOnly?: boolean;
}

/** Name of a term's coefficient; for factors the prefix fixest puts before each level ("region::", "factor(region)"). */
export function termName(t: Term): string {
  switch (t.kind) {
    case "variable":
      return t.name;
    case "interaction":
      return t.variables.join(":");
    case "factor":
      return t.style === "i" ? `${t.variable}::` : t.style === "factor" ? `factor(${t.variable})` : t.variable;
    case "sunab":
      return `${t.period}::`;
  }
}

/** The columns a term reads. */
export function termVariables(t: Term): string[] {
  switch (t.kind) {
    case "variable":
      return [t.name];
    case "interaction":
      return t.variables;
    case "factor":
      return t.by === null ? [t.variable] : [t.variable, t.by];
    case "sunab":
      return [t.cohort, t.period];
  }
}

/** A product of variables; repeats collapse (x:x is x), as in R. */
export function productTerm(variables: string[]): Term {
  const unique = [...new Set(variables)];
  return unique.length === 1 ? { kind: "variable", name: unique[0]! } : { kind: "interaction", variables: unique };
}

export function formatLevel(v: Level): string {
  if (typeof v === "number") return formatNumber(v);
  return v.includes('"') ? `'${v}'` : `"${v}"`;
}

export function formatLevels(vs: readonly Level[]): string {
  return vs.length === 1 ? formatLevel(vs[0]!) : `c(${vs.map(formatLevel).join(", ")})`;
}

/** Normalised source of a term; `ref` writes a column (a transform as its call). */
export function formatTerm(t: Term, ref: (name: string) => string): string {
  if (t.kind === "sunab") {
    const refs = t.refPeriods.length === 1 && t.refPeriods[0] === -1 ? "" : `, ref.p = ${formatLevels(t.refPeriods)}`;
    return `sunab(${ref(t.cohort)}, ${ref(t.period)}${refs})`;
  }
  if (t.kind !== "factor") return termVariables(t).map(ref).join(":");
  if (t.style === "factor") return `factor(${ref(t.variable)})`;
  if (t.style === "logical") return ref(t.variable);
  const args = [ref(t.variable)];
  if (t.by !== null) args.push(ref(t.by));
  if (t.ref !== null) args.push(`ref = ${formatLevels(t.ref)}`);
  if (t.keep !== null) args.push(`keep = ${formatLevels(t.keep)}`);
  if (t.drop !== null) args.push(`drop = ${formatLevels(t.drop)}`);
  if (t.bin !== null) args.push(`bin = list(${t.bin.map((b) => `${formatLevel(b.label)} = ${formatLevels(b.values)}`).join(", ")})`);
  return `i(${args.join(", ")})`;
}

/** Identity of a term for deduplication: x:z and z:x are the same regressor. */
export function termKey(t: Term): string {
  if (t.kind === "interaction") return `x:${[...t.variables].sort().join(":")}`;
  if (t.kind === "variable") return `v:${t.name}`;
  return `f:${JSON.stringify(t)}`;
}

/** fe1^fe2, fe[x1, x2], fe[[x]]: a fixed effect as written in a formula. */
export function formatEffect(fe: FixedEffect): string {
  const base = fe.variables.map(formatName).join("^");
  if (!fe.slopes) return base;
  const inner = fe.slopes.map(formatName).join(", ");
  return fe.slopesOnly ? `${base}[[${inner}]]` : `${base}[${inner}]`;
}

/** A comparison (or !, &) at the top of I(): R makes it a logical, which fixest treats as a factor. */
export function isLogical(e: Expr): boolean {
  if (e.op === "I" || e.op === "paren") return isLogical(e.arg);
  if (e.op === "not") return true;
  return e.op === "binary" && [">", "<", ">=", "<=", "==", "!=", "&"].includes(e.fn);
}
