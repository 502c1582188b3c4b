import { InputError } from "../core/errors.js";
import { formatCount, formatFixed, significanceStars, STAR_LEGEND, vcovPhrase, vcovShort } from "../core/format.js";
import { toReportModel, type ModelSource, type ReportModel } from "./model.js";

/**
 * A regression table as applied papers print it, in the JSON form every renderer works from:
 * models in columns; per shown coefficient an estimate row (with stars) and a row below with the
 * t statistic or standard error in parentheses (label ""); Yes/No rows for control groups and
 * fixed effects; then observations, R² and within R²; notes below.
 */
export type RowKind = "coef" | "stat" | "indicator";

export interface TableRow {
  readonly label: string;
  /** One string per column. */
  readonly cells: readonly string[];
  readonly kind: RowKind;
}

export interface RegressionTable {
  readonly title: string;
  /** Model labels, one per column. */
  readonly columns: readonly string[];
  readonly rows: readonly TableRow[];
  readonly notes: readonly string[];
}

export interface TableOptions {
  /** Title (caption); "" for none. */
  readonly title?: string;
  /** Column labels; default each model's own label, else (1), (2), … */
  readonly modelLabels?: readonly string[];
  /**
   * Coefficients to show, in this order. Default: every coefficient in order of first
   * appearance, leaving out the control variables, with the intercept last.
   */
  readonly keep?: readonly string[];
  /**
   * Regressors reported as one Yes/No row rather than coefficient by coefficient: a list (one row
   * labelled "Controls") or named groups ({"Firm controls": [...], "Industry controls": [...]}).
   * A model has "Yes" when it estimated any of the group's variables.
   */
  readonly controls?: readonly string[] | Readonly<Record<string, readonly string[]>>;
  /** Display names for coefficients and fixed effects ("(Intercept)" is "Constant" unless given). */
  readonly variableLabels?: Readonly<Record<string, string>>;
  /** Decimals of estimates, t statistics / standard errors and R² (default 3). */
  readonly digits?: number;
  /** What goes in parentheses below each estimate (default "t"). */
  readonly statistic?: "t" | "se";
  /** Show a Yes/No row per fixed effect (default true). */
  readonly fixefRows?: boolean;
  /** Notes appended after the standard ones. */
  readonly notes?: readonly string[];
  /**
   * Rows of the caller's own (a difference test, a first-stage F, a Sobel statistic), one cell per
   * model: rows of kind "coef" go after the coefficients, "indicator" after the Yes/No rows,
   * "stat" at the end.
   */
  readonly extraRows?: readonly TableRow[];
}

const INTERCEPT = "(Intercept)";

/** Builds the table from fits: FeolsResult objects, parsed `absorb fit --json` outputs, or ReportModels. */
export function buildTable(sources: readonly ModelSource[], options: TableOptions = {}): RegressionTable {
  if (sources.length === 0) throw new InputError("option", "a regression table needs at least one model");
  const models = sources.map((s, i) => toReportModel(s, `model ${i + 1}`));
  const digits = options.digits ?? 3;
  if (!Number.isInteger(digits) || digits < 0 || digits > 12) {
    throw new InputError("option", `digits must be an integer from 0 to 12 (got ${digits})`);
  }
  const statistic = options.statistic ?? "t";
  const labels = options.variableLabels ?? {};
  const columns = columnLabels(models, options.modelLabels);
  const groups = controlGroups(options.controls);
  const controlVars = new Set(groups.flatMap(([, vars]) => vars));

  const shown = options.keep ? checkedKeep(models, options.keep) : defaultKeep(models, controlVars);
  const rows: TableRow[] = [];
  for (const name of shown) {
    const coefs = models.map((m) => m.coefficients.find((c) => c.name === name));
    rows.push({
      label: variableLabel(name, labels),
      kind: "coef",
      cells: coefs.map((c) => (c ? formatFixed(c.estimate, digits) + significanceStars(c.p) : "")),
    });
    rows.push({
      label: "",
      kind: "coef",
      cells: coefs.map((c) => (c ? `(${formatFixed(statistic === "t" ? c.t : c.se, digits)})` : "")),
    });
  }

  const extra = (kind: RowKind) => (options.extraRows ?? []).filter((r) => r.kind === kind);
  for (const r of options.extraRows ?? []) {
    if (r.cells.length !== models.length) {
      throw new InputError("option", `extra row "${r.label}" has ${r.cells.length} cell(s) for ${models.length} model(s); give one cell per model`);
    }
  }
  rows.push(...extra("coef"));

  const yesNo = (b: boolean) => (b ? "Yes" : "No");
  for (const [label, vars] of groups) {
    rows.push({ label, kind: "indicator", cells: models.map((m) => yesNo(m.coefficients.some((c) => vars.includes(c.name)))) });
  }
  if (options.fixefRows ?? true) {
    for (const fe of unique(models.flatMap((m) => Object.keys(m.fixefSizes)))) {
      rows.push({ label: `${fixefLabel(fe, labels)} FE`, kind: "indicator", cells: models.map((m) => yesNo(fe in m.fixefSizes)) });
    }
  }

  rows.push(...extra("indicator"));

  const depvars = unique(models.map((m) => m.depvar));
  if (depvars.length > 1) rows.push({ label: "Dependent variable", kind: "stat", cells: models.map((m) => variableLabel(m.depvar, labels)) });
  const vcovs = unique(models.map((m) => vcovShort(m.vcov)));
  if (vcovs.length > 1) rows.push({ label: "Standard errors", kind: "stat", cells: models.map((m) => vcovShort(m.vcov)) });
  rows.push({ label: "Observations", kind: "stat", cells: models.map((m) => formatCount(m.nobs)) });
  // A GLM column shows its family, log-likelihood and pseudo R² in place of R².
  const glm = (m: ReportModel) => m.family !== undefined;
  if (models.some(glm)) rows.push({ label: "Family", kind: "stat", cells: models.map((m) => m.family ?? "OLS") });
  if (!models.every(glm)) rows.push({ label: "R²", kind: "stat", cells: models.map((m) => (glm(m) ? "" : formatFixed(m.r2, digits))) });
  if (models.some(glm)) {
    rows.push({ label: "Log-likelihood", kind: "stat", cells: models.map((m) => (glm(m) ? formatFixed(m.loglik ?? Number.NaN, digits) : "")) });
    rows.push({ label: "Pseudo R²", kind: "stat", cells: models.map((m) => (glm(m) ? formatFixed(m.pseudoR2 ?? Number.NaN, digits) : "")) });
  }
  if (models.some((m) => m.withinR2 !== null)) {
    rows.push({ label: "Within R²", kind: "stat", cells: models.map((m) => (m.withinR2 === null ? "" : formatFixed(m.withinR2, digits))) });
  }

  rows.push(...extra("stat"));

  const notes: string[] = [];
  if (depvars.length === 1 && depvars[0] !== "") notes.push(`Dependent variable: ${variableLabel(depvars[0], labels)}.`);
  const tStatistics = models.some((m) => m.family === "poisson" || m.family === "logit" || m.family === "probit") ? "t statistics (z for Poisson, logit and probit) in parentheses" : "t statistics in parentheses";
  const inParens = statistic === "t" ? tStatistics : "Standard errors in parentheses";
  if (vcovs.length === 1) {
    const phrase = vcovPhrase(models[0].vcov);
    notes.push(statistic === "t" ? `${inParens}, from ${phrase}.` : `${capitalize(phrase)} in parentheses.`);
  } else {
    notes.push(`${inParens}; standard errors as named in the row "Standard errors".`);
  }
  notes.push(STAR_LEGEND);
  notes.push(...(options.notes ?? []));
  return { title: options.title ?? "", columns, rows, notes };
}

function columnLabels(models: readonly ReportModel[], given: readonly string[] | undefined): string[] {
  if (given) {
    if (given.length !== models.length) {
      throw new InputError("option", `${given.length} model label(s) for ${models.length} model(s); give one label per model`);
    }
    return [...given];
  }
  return models.map((m, i) => m.label ?? `(${i + 1})`);
}

function controlGroups(controls: TableOptions["controls"]): [string, readonly string[]][] {
  if (controls === undefined) return [];
  if (Array.isArray(controls)) return controls.length === 0 ? [] : [["Controls", controls as readonly string[]]];
  return Object.entries(controls as Readonly<Record<string, readonly string[]>>);
}

function defaultKeep(models: readonly ReportModel[], controls: ReadonlySet<string>): string[] {
  const names = unique(models.flatMap((m) => m.coefficients.map((c) => c.name))).filter((n) => !controls.has(n));
  const hasIntercept = names.includes(INTERCEPT);
  return [...names.filter((n) => n !== INTERCEPT), ...(hasIntercept ? [INTERCEPT] : [])];
}

function checkedKeep(models: readonly ReportModel[], keep: readonly string[]): string[] {
  const all = unique(models.flatMap((m) => m.coefficients.map((c) => c.name)));
  for (const name of keep) {
    if (!all.includes(name)) {
      throw new InputError("option", `keep: "${name}" is not a coefficient of any model; coefficients: ${all.join(", ")}`);
    }
  }
  return unique(keep);
}

export function variableLabel(name: string, labels: Readonly<Record<string, string>>): string {
  if (name in labels) return labels[name];
  return name === INTERCEPT ? "Constant" : name;
}

/** An interacted fixed effect a^b shows as "A × B" from its parts' labels unless labelled whole. */
function fixefLabel(fe: string, labels: Readonly<Record<string, string>>): string {
  if (fe in labels) return labels[fe];
  return fe
    .split("^")
    .map((p) => variableLabel(p, labels))
    .join(" × ");
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
