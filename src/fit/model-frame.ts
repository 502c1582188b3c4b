import type { Frame } from "../data/frame.js";
import { selectColumns } from "../data/select.js";
import { InputError } from "../core/errors.js";
import { withDerivedColumns, type DerivedColumn } from "../formula/evaluate.js";
import { needsPanel, type ModelSpec } from "../formula/parse.js";
import { checkReferences } from "./design.js";
import { assertNotConsumed } from "../data/consumed.js";
import type { FeolsOptions } from "./options.js";

/** What a call reads besides its models' columns. */
export interface FrameNeeds {
  /** Column names: the vcov's variables (clusters, or the panel id and time), then any the call reads of its own. */
  readonly columns: readonly string[];
  /** A Newey–West / Driscoll–Kraay vcov's panel, [id, time], or null. */
  readonly panel: readonly [string, string] | null;
}

/**
 * The frame the estimators read: the data's columns, every one the models and options name
 * checked to exist and not consumed by an earlier fit (consumeFrame), plus the columns the formula computes (transforms, lags along the panel).
 */
export function modelFrame(frame: Frame, specs: readonly ModelSpec[], needs: FrameNeeds, options: FeolsOptions): Frame {
  const panel = panelOf(options, needs.panel);
  const lagged = specs.some(needsPanel);
  const used = [
    ...specs.flatMap((s) => s.variables),
    ...needs.columns,
    ...(options.weights ? [options.weights] : []),
    ...(panel && lagged ? panel : []),
  ];
  selectColumns(frame, [...new Set(used)], "the data");
  assertNotConsumed(frame, "this fit", new Set(used));
  const derived = new Map<string, DerivedColumn>();
  for (const d of specs.flatMap((s) => s.derived)) derived.set(d.name, d);
  const full = withDerivedColumns(frame, [...derived.values()], panel);
  for (const s of specs) checkReferences(full, s.terms);
  return full;
}

/** The panel lags are taken along: the panelId option, else a Newey–West / Driscoll–Kraay vcov's. */
function panelOf(options: FeolsOptions, vcovPanel: readonly [string, string] | null): readonly [string, string] | null {
  const p = options.panelId;
  if (p === undefined) return vcovPanel;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((c) => typeof c === "string" && c !== "")) {
    throw new InputError("option", `panelId must be [panel id, time], e.g. ["firm_id", "year"] (got ${JSON.stringify(p)})`);
  }
  return p;
}
