/** Number formatting shared by the tables and plots. Non-finite values print as "NA". */

export const MISSING = "NA";

/**
 * Fixed decimals. A nonzero value that would round to zero is printed with `digits` significant
 * digits instead (a standard error of 0.000116 prints 0.000116, not 0.000); an exact zero is 0
 * with the decimals, without a sign.
 */
export function formatFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return MISSING;
  const s = x.toFixed(digits);
  if (!/^-?0(\.0*)?$/.test(s)) return s;
  return x === 0 ? (s.startsWith("-") ? s.slice(1) : s) : x.toPrecision(Math.max(1, digits));
}

/** A count with thousands separators: 12,345. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return MISSING;
  return Math.round(n).toLocaleString("en-US");
}

/** Significance stars: * p < 0.1, ** p < 0.05, *** p < 0.01. */
export function significanceStars(p: number): "" | "*" | "**" | "***" {
  if (!Number.isFinite(p)) return "";
  return p < 0.01 ? "***" : p < 0.05 ? "**" : p < 0.1 ? "*" : "";
}

export const STAR_LEGEND = "* p < 0.1, ** p < 0.05, *** p < 0.01";

/** How a fit's variance was estimated, as a phrase ("standard errors clustered by firm_id"). */
export function vcovPhrase(v: { readonly type: string; readonly cluster?: readonly string[]; readonly lag?: number }): string {
  const lag = v.lag === undefined ? "" : ` (lag ${v.lag})`;
  switch (v.type) {
    case "iid":
      return "IID standard errors";
    case "hetero":
      return "heteroskedasticity-robust standard errors";
    case "cluster":
      return `standard errors clustered by ${joinAnd(v.cluster ?? [])}`;
    case "nw":
      return `Newey-West standard errors${lag}`;
    case "dk":
      return `Driscoll-Kraay standard errors${lag}`;
    default:
      return `${v.type} standard errors`;
  }
}

/** A short name of a fit's variance, for a table row when the columns differ. */
export function vcovShort(v: { readonly type: string; readonly cluster?: readonly string[]; readonly lag?: number }): string {
  switch (v.type) {
    case "iid":
      return "IID";
    case "hetero":
      return "Robust";
    case "cluster":
      return `Cluster (${(v.cluster ?? []).join(", ")})`;
    case "nw":
      return v.lag === undefined ? "Newey-West" : `Newey-West (L=${v.lag})`;
    case "dk":
      return v.lag === undefined ? "Driscoll-Kraay" : `Driscoll-Kraay (L=${v.lag})`;
    default:
      return v.type;
  }
}

function joinAnd(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** A number in a console printout, as fixest prints it: 6 significant digits, exponent when tiny or huge. */
export function formatPrinted(x: number | null): string {
  if (x === null) return MISSING;
  if (x === 0) return "0";
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e6 ? x.toPrecision(6) : x.toExponential(4);
}

/** A p-value in a console printout, as R prints it. */
export function formatPValue(p: number): string {
  return p < 2.2e-16 ? "< 2.2e-16" : p < 1e-4 ? p.toExponential(2) : p.toFixed(6);
}
