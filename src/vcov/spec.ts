import { InputError } from "../core/errors.js";
import { encodingNamed, type EncodedEffect } from "../data/encode.js";
import type { EffectSize } from "./ssc.js";

/**
 * How the variance is estimated; every result names it. Newey–West and Driscoll–Kraay need the
 * panel id and the time variable, `{ type: "NW", panelId: ["firm_id", "year"], lag: 1 }` (or the
 * fit's panelId option); a cluster may be an interaction, `{ cluster: "exporter^importer" }`; the lag
 * defaults to ⌊T^(1/4)⌋ for T time periods (fixest's rule) and lags count observed periods.
 */
export type VcovOption =
  | "iid"
  | "hetero"
  | { readonly cluster: string | readonly string[] }
  | { readonly type: "NW" | "DK" | "nw" | "dk"; readonly panelId?: readonly string[]; readonly lag?: number };

/** The panel of a Newey–West / Driscoll–Kraay variance, by column name. */
export interface PanelColumns {
  readonly unit: string;
  readonly time: string;
}

/**
 * The user's vcov option, checked, from which everything downstream is derived: the columns the
 * sample must encode for it (`columns`), its binding to those encodings (bindVcov), the variance
 * (computeVcov) and the result's VcovInfo (vcovInfo). A new variance type stays in this folder
 * (and the CLI's --vcov flag): a member here with its case in vcovRequest and bindVcov, its meat
 * (meat.ts), its scaling (compute.ts) and its name (info.ts).
 */
export type VcovSpec = (
  | { readonly type: "iid" }
  | { readonly type: "hetero" }
  | { readonly type: "cluster"; readonly cluster: readonly string[] }
  | { readonly type: "nw" | "dk"; readonly panel: PanelColumns; readonly lag?: number }
) & {
  /** Columns the sample encodes (and drops missing values of), as its `clusters`. */
  readonly columns: readonly string[];
};

/** `fallbackPanel` (the fit's panelId option) stands in for a Newey–West / Driscoll–Kraay vcov's own. */
export function vcovRequest(v: VcovOption | undefined, fallbackPanel?: readonly string[]): VcovSpec {
  if (v === undefined || v === "iid") return { type: "iid", columns: [] };
  if (v === "hetero") return { type: "hetero", columns: [] };
  if (typeof v === "object" && v !== null && "cluster" in v) {
    const cluster = typeof v.cluster === "string" ? [v.cluster] : [...v.cluster];
    if (cluster.length === 0) throw new InputError("option", 'vcov cluster needs at least one column, e.g. { cluster: "firm_id" }');
    return { type: "cluster", cluster, columns: cluster };
  }
  if (typeof v === "object" && v !== null && "type" in v && typeof v.type === "string" && ["nw", "dk"].includes(v.type.toLowerCase())) {
    return panelRequest(v, fallbackPanel);
  }
  throw new InputError(
    "option",
    `unknown vcov ${JSON.stringify(v)}: use "iid", "hetero", { cluster: "col" | ["col1", "col2"] } or { type: "NW" | "DK", panelId: [id, time], lag? }`,
  );
}

function panelRequest(v: Extract<VcovOption, { type: string }>, fallbackPanel: readonly string[] | undefined): VcovSpec {
  const type = v.type.toLowerCase() as "nw" | "dk";
  const label = type === "nw" ? "Newey–West" : "Driscoll–Kraay";
  const example = `{ type: "${type.toUpperCase()}", panelId: ["firm_id", "year"] }`;
  const ids = "panelId" in v && Array.isArray(v.panelId) ? (v.panelId as unknown[]) : fallbackPanel ? [...fallbackPanel] : null;
  if (!ids || ids.length === 0) {
    throw new InputError("option", `vcov ${label} needs a panel id and a time variable, e.g. ${example} (CLI: --panel-id firm_id,year)`);
  }
  if (ids.length < 2 || typeof ids[1] !== "string" || ids[1] === "") {
    throw new InputError("option", `vcov ${label} needs a time variable after the panel id, e.g. ${example} (CLI: --panel-id firm_id,year)`);
  }
  if (ids.length > 2 || typeof ids[0] !== "string" || ids[0] === "") {
    throw new InputError("option", `vcov ${label}: panelId must be [panel id, time], e.g. ${example}`);
  }
  const lag = "lag" in v ? v.lag : undefined;
  if (lag !== undefined && !(Number.isInteger(lag) && lag >= 0)) {
    throw new InputError("option", `vcov ${label}: lag must be a non-negative integer (got ${lag})`);
  }
  const panel = { unit: ids[0] as string, time: ids[1] as string };
  return { type, panel, lag, columns: [panel.unit, panel.time] };
}

/** The [panel id, time] a Newey–West / Driscoll–Kraay vcov names (formula lags default to it), else null. */
export function vcovPanelId(spec: VcovSpec): readonly [string, string] | null {
  return spec.type === "nw" || spec.type === "dk" ? [spec.panel.unit, spec.panel.time] : null;
}

/** What a variance reads from a sample: its fixed effects and the encodings of the spec's `columns`. */
export interface SampleEncodings {
  readonly fixedEffects: readonly EncodedEffect[];
  readonly clusters: readonly EncodedEffect[];
}

/** The panel's encodings over the sample rows; the time codes are the ranks of the sorted distinct values. */
export interface PanelEncodings {
  readonly unit: EncodedEffect;
  readonly time: EncodedEffect;
}

/** fixest's default lag for panel Newey–West and Driscoll–Kraay: ⌊T^(1/4)⌋ for T periods. */
export function defaultLag(periods: number): number {
  return Math.max(0, Math.floor(Math.pow(periods, 0.25)));
}

/** A VcovSpec bound to one sample's encodings (the Newey–West / Driscoll–Kraay lag resolved). */
export type BoundVcov =
  | { readonly type: "iid" }
  | { readonly type: "hetero" }
  | { readonly type: "cluster"; readonly clusters: readonly EncodedEffect[] }
  | { readonly type: "nw" | "dk"; readonly panel: PanelEncodings; readonly lag: number };

/** A variance with a meat Σ s s' (every type but iid). */
export type ScoreVcov = Exclude<BoundVcov, { readonly type: "iid" }>;

export function bindVcov(spec: VcovSpec, sample: SampleEncodings): BoundVcov {
  const encoded = (name: string): EncodedEffect => encodingNamed(sample.clusters, name);
  if (spec.type === "cluster") return { type: "cluster", clusters: spec.cluster.map(encoded) };
  if (spec.type === "nw" || spec.type === "dk") {
    const time = encoded(spec.panel.time);
    return { type: spec.type, panel: { unit: encoded(spec.panel.unit), time }, lag: spec.lag ?? defaultLag(time.size) };
  }
  return spec.type === "iid" ? { type: "iid" } : { type: "hetero" };
}

/** The encodings against which "nested" fixed effects are not counted in K (fixest's rule). */
function nestingVariables(vcov: BoundVcov): readonly EncodedEffect[] {
  if (vcov.type === "cluster") return vcov.clusters;
  if (vcov.type === "nw") return [vcov.panel.unit, vcov.panel.time];
  if (vcov.type === "dk") return [vcov.panel.time];
  return [];
}

/** Fixed-effect sizes with their nesting in the vcov's cluster or panel variables. */
export function effectSizes(vcov: BoundVcov, fixedEffects: readonly EncodedEffect[]): EffectSize[] {
  const vars = nestingVariables(vcov);
  return fixedEffects.map((fe) => ({ size: fe.size, nestedInCluster: vars.some((c) => nestedIn(fe, c)) }));
}

/** Whether each level of the fixed effect falls within a single level of `by`. */
export function nestedIn(fe: EncodedEffect, by: EncodedEffect): boolean {
  // A cluster that is the fixed effect itself shares its codes (sample.ts): trivially nested.
  if (fe.codes === by.codes) return true;
  const seen = new Int32Array(fe.size).fill(-1);
  for (let i = 0; i < fe.codes.length; i++) {
    const g = fe.codes[i];
    const c = by.codes[i];
    if (seen[g] === -1) seen[g] = c;
    else if (seen[g] !== c) return false;
  }
  return true;
}

/** The smallest number of clusters G of a clustered variance, else null (for (G − 1)/G factors). */
export function smallestClusterCount(vcov: BoundVcov): number | null {
  return vcov.type === "cluster" ? Math.min(...vcov.clusters.map((c) => c.size)) : null;
}
