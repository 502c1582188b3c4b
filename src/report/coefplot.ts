import { InputError } from "../core/errors.js";
import { formatFixed } from "../core/format.js";
import { toReportModel, type ModelSource, type ReportCoefficient, type ReportModel } from "./model.js";
import { variableLabel } from "./table.js";

/**
 * Coefficient plots: point estimates with 95% confidence intervals, one horizontal row per
 * (coefficient, model), as a self-contained SVG (generic font families, no scripts, no external
 * resources). With one coefficient the rows are the models (e.g. one effect across heterogeneity
 * subsamples); with one model the rows are its coefficients; with several of both, the models
 * are grouped under each coefficient and coloured by model. The x axis always includes zero,
 * drawn as a dashed line; the estimate and interval are printed to the right of each row.
 */
export interface CoefPlotOptions {
  readonly title?: string;
  /** Coefficients to plot, in order (default: all but the intercept, in order of first appearance). */
  readonly keep?: readonly string[];
  /** One label per model (default: each model's own label, else (1), (2), …). */
  readonly modelLabels?: readonly string[];
  readonly variableLabels?: Readonly<Record<string, string>>;
  /** Axis title (default "Estimate and 95% confidence interval"). */
  readonly xLabel?: string;
  /** Width in pixels (default 720); the height follows from the number of rows. */
  readonly width?: number;
  /** Significant digits of the printed estimates and bounds (default 3). */
  readonly digits?: number;
  /** Print "estimate [low, high]" right of each row (default true). */
  readonly showValues?: boolean;
}

const PALETTE = ["#0b5394", "#c0392b", "#1e8449", "#7d3c98", "#d68910", "#117a8b", "#424949"];
const FONT = "Helvetica, Arial, sans-serif";
const FONT_SIZE = 12;
const ROW = 24;
const HEADER_ROW = 22;
/** Mean glyph width of a sans-serif font, as a fraction of the font size (generous, for layout). */
const CHAR_WIDTH = 0.6;
/** Width of a digit (Helvetica and Arial: 0.556 em), with a little room. */
const DIGIT_WIDTH = 0.57;

type PlotRow =
  | { readonly kind: "header"; readonly text: string }
  | { readonly kind: "point"; readonly label: string; readonly indent: boolean; readonly estimate: number; readonly low: number; readonly high: number; readonly color: string };

/** The SVG text of a coefficient plot. */
export function coefPlotSvg(sources: readonly ModelSource[], options: CoefPlotOptions = {}): string {
  if (sources.length === 0) throw new InputError("option", "a coefficient plot needs at least one model");
  const models = sources.map((s, i) => toReportModel(s, `model ${i + 1}`));
  const labels = options.variableLabels ?? {};
  const modelLabels = options.modelLabels ?? models.map((m, i) => m.label ?? `(${i + 1})`);
  if (modelLabels.length !== models.length) {
    throw new InputError("option", `${modelLabels.length} model label(s) for ${models.length} model(s); give one label per model`);
  }
  const names = coefficientNames(models, options.keep);
  const digits = options.digits ?? 3;
  const showValues = options.showValues ?? true;

  const rows: PlotRow[] = [];
  const grouped = names.length > 1 && models.length > 1;
  for (const name of names) {
    if (grouped) rows.push({ kind: "header", text: variableLabel(name, labels) });
    models.forEach((m, j) => {
      const c = m.coefficients.find((x) => x.name === name);
      if (!c) return;
      const [low, high] = interval(c);
      const label = names.length === 1 || grouped ? modelLabels[j] : variableLabel(name, labels);
      const color = models.length > 1 ? PALETTE[j % PALETTE.length] : PALETTE[0];
      rows.push({ kind: "point", label, indent: grouped, estimate: c.estimate, low, high, color });
    });
  }
  const points = rows.filter((r): r is Extract<PlotRow, { kind: "point" }> => r.kind === "point");
  if (points.length === 0) throw new InputError("option", `none of the models estimated ${names.join(", ")}`);
  const title = options.title ?? (names.length === 1 ? variableLabel(names[0], labels) : "");
  const xLabel = options.xLabel ?? "Estimate and 95% confidence interval";

  // Layout.
  const width = options.width ?? 720;
  const textWidth = (s: string, size = FONT_SIZE, perChar = CHAR_WIDTH) => s.length * size * perChar;
  const valueText = (r: Extract<PlotRow, { kind: "point" }>) =>
    `${num(r.estimate, digits)} [${num(r.low, digits)}, ${num(r.high, digits)}]`;
  const labelWidth = Math.max(...rows.map((r) => (r.kind === "header" ? textWidth(r.text) : textWidth(r.label) + (r.indent ? 14 : 0))));
  const valuesHeading = "Estimate [95% CI]";
  const valuesWidth = showValues ? Math.max(textWidth(valuesHeading), ...points.map((r) => textWidth(valueText(r), FONT_SIZE, DIGIT_WIDTH))) : 0;
  const left = Math.ceil(16 + labelWidth + 14);
  const right = Math.ceil(showValues ? 16 + valuesWidth + 18 : 24);
  const top = title !== "" ? 52 : 24;
  const plotWidth = width - left - right;
  if (plotWidth < 120) throw new InputError("option", `the plot is too narrow for its labels: give a width of at least ${left + right + 120}`);
  const rowsHeight = rows.reduce((h, r) => h + (r.kind === "header" ? HEADER_ROW : ROW), 0);
  const plotTop = top + (showValues ? 8 : 0);
  const plotBottom = plotTop + rowsHeight + 8;
  const height = plotBottom + 56;

  // Scale, with zero always in view and the ends on ticks.
  const finite = points.flatMap((r) => [r.estimate, r.low, r.high]).filter(Number.isFinite);
  const lo = Math.min(0, ...finite);
  const hi = Math.max(0, ...finite);
  const ticks = niceTicks(lo, hi, Math.max(3, Math.min(8, Math.floor(plotWidth / 55) + 1)));
  const d0 = ticks[0];
  const d1 = ticks[ticks.length - 1];
  const x = (v: number) => left + ((v - d0) / (d1 - d0)) * plotWidth;
  const tickDecimals = decimalsOf(ticks.length > 1 ? ticks[1] - ticks[0] : 1);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" font-family="${FONT}" font-size="${FONT_SIZE}">`,
  );
  out.push(`<title>${escapeXml(title || "Coefficient plot")}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  if (title !== "") out.push(`<text x="${width / 2}" y="30" text-anchor="middle" font-size="16" font-weight="bold" fill="#1a1a1a">${escapeXml(title)}</text>`);

  // Grid, zero line, axis.
  out.push(`<g stroke="#e3e3e3" stroke-width="1">`);
  for (const t of ticks) out.push(`<line x1="${f(x(t))}" y1="${plotTop}" x2="${f(x(t))}" y2="${plotBottom}"/>`);
  out.push(`</g>`);
  out.push(`<line x1="${f(x(0))}" y1="${plotTop}" x2="${f(x(0))}" y2="${plotBottom}" stroke="#6b6b6b" stroke-width="1.2" stroke-dasharray="5 4"/>`);
  out.push(`<g stroke="#333333" stroke-width="1">`);
  out.push(`<line x1="${left}" y1="${plotBottom}" x2="${left + plotWidth}" y2="${plotBottom}"/>`);
  for (const t of ticks) out.push(`<line x1="${f(x(t))}" y1="${plotBottom}" x2="${f(x(t))}" y2="${plotBottom + 5}"/>`);
  out.push(`</g>`);
  out.push(`<g fill="#333333" text-anchor="middle">`);
  for (const t of ticks) out.push(`<text x="${f(x(t))}" y="${plotBottom + 19}">${escapeXml(tickLabel(t, tickDecimals))}</text>`);
  out.push(`</g>`);
  out.push(`<text x="${f(left + plotWidth / 2)}" y="${plotBottom + 44}" text-anchor="middle" fill="#1a1a1a">${escapeXml(xLabel)}</text>`);
  if (showValues) {
    out.push(`<text x="${width - 16}" y="${plotTop - 4}" text-anchor="end" fill="#555555" font-style="italic">${escapeXml(valuesHeading)}</text>`);
  }

  // Rows.
  let y = plotTop;
  for (const r of rows) {
    if (r.kind === "header") {
      const cy = y + HEADER_ROW / 2 + 4;
      out.push(`<text x="16" y="${f(cy)}" font-weight="bold" fill="#1a1a1a">${escapeXml(r.text)}</text>`);
      y += HEADER_ROW;
      continue;
    }
    const cy = y + ROW / 2;
    out.push(`<g>`);
    out.push(`<text x="${left - 14}" y="${f(cy + 4)}" text-anchor="end" fill="#1a1a1a">${escapeXml(r.label)}</text>`);
    if (Number.isFinite(r.low) && Number.isFinite(r.high)) {
      const [a, b] = [x(r.low), x(r.high)];
      out.push(`<line x1="${f(a)}" y1="${f(cy)}" x2="${f(b)}" y2="${f(cy)}" stroke="${r.color}" stroke-width="2"/>`);
      out.push(`<line x1="${f(a)}" y1="${f(cy - 5)}" x2="${f(a)}" y2="${f(cy + 5)}" stroke="${r.color}" stroke-width="2"/>`);
      out.push(`<line x1="${f(b)}" y1="${f(cy - 5)}" x2="${f(b)}" y2="${f(cy + 5)}" stroke="${r.color}" stroke-width="2"/>`);
    }
    if (Number.isFinite(r.estimate)) out.push(`<circle cx="${f(x(r.estimate))}" cy="${f(cy)}" r="4.5" fill="${r.color}" stroke="#ffffff" stroke-width="1"/>`);
    if (showValues) out.push(`<text x="${width - 16}" y="${f(cy + 4)}" text-anchor="end" fill="#333333">${escapeXml(valueText(r))}</text>`);
    out.push(`</g>`);
    y += ROW;
  }
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

/** The 95% interval: the fit's own bounds where given, else estimate ± 1.96·se. */
function interval(c: ReportCoefficient): [number, number] {
  if (Number.isFinite(c.confLow) && Number.isFinite(c.confHigh)) return [c.confLow, c.confHigh];
  return [c.estimate - 1.96 * c.se, c.estimate + 1.96 * c.se];
}

function coefficientNames(models: readonly ReportModel[], keep: readonly string[] | undefined): string[] {
  const all = [...new Set(models.flatMap((m) => m.coefficients.map((c) => c.name)))];
  if (keep === undefined) {
    const names = all.filter((n) => n !== "(Intercept)");
    return names.length > 0 ? names : all;
  }
  for (const name of keep) {
    if (!all.includes(name)) throw new InputError("option", `keep: "${name}" is not a coefficient of any model; coefficients: ${all.join(", ")}`);
  }
  return [...new Set(keep)];
}

/** Three to maxTicks ticks at 1, 2 or 5 × 10^k covering [lo, hi], the tightest such cover. */
export function niceTicks(lo: number, hi: number, maxTicks = 8): number[] {
  const minTicks = Math.min(3, maxTicks);
  if (!(hi > lo)) {
    const m = Math.abs(lo) || 1;
    [lo, hi] = [lo - m, hi + m];
  }
  const k = Math.floor(Math.log10((hi - lo) / 5));
  let best: { first: number; last: number; step: number } | null = null;
  for (let e = k - 1; e <= k + 2; e++) {
    for (const m of [1, 2, 5]) {
      const step = m * 10 ** e;
      const first = Math.floor(lo / step + 1e-9);
      const last = Math.ceil(hi / step - 1e-9);
      const n = last - first + 1;
      if (n < minTicks || n > maxTicks) continue;
      if (best === null || (last - first) * step < (best.last - best.first) * best.step - 1e-12 * step) best = { first, last, step };
    }
  }
  if (best === null) {
    const step = 10 ** Math.ceil(Math.log10((hi - lo) / 5));
    best = { first: Math.floor(lo / step), last: Math.ceil(hi / step), step };
  }
  const ticks: number[] = [];
  for (let i = best.first; i <= best.last; i++) ticks.push(clean(i * best.step));
  return ticks;
}

function clean(v: number): number {
  return Number.parseFloat(v.toPrecision(12));
}

function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

function tickLabel(v: number, decimals: number): string {
  const s = formatFixed(v, decimals);
  return s.startsWith("-") ? `\u2212${s.slice(1)}` : s;
}

/** `digits` significant digits, without exponent notation for ordinary magnitudes; minus as U+2212. */
function num(v: number, digits: number): string {
  let s: string;
  if (!Number.isFinite(v)) s = "NA";
  else if (v === 0) s = "0";
  else if (Math.abs(v) >= 10 ** digits) s = String(Math.round(v));
  else s = v.toPrecision(digits);
  return s.startsWith("-") ? `\u2212${s.slice(1)}` : s;
}

function f(v: number): string {
  return String(Math.round(v * 10) / 10);
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] as string);
}
