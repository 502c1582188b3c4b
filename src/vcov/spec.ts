import { InputError } from "../core/errors.js";
import type { VcovRequest as ComputeRequest } from "./compute.js";
import type { EffectSize, SmallSample } from "./ssc.js";
import type { EncodedEffect, Sample } from "../fit/sample.js";
import type { VcovOption } from "../fit/options.js";
import type { VcovInfo } from "../fit/result.js";

/**
 * The user's vcov option, checked: its type, the columns the sample must encode for it (cluster
 * variables, or the panel id and time), and for Newey–West / Driscoll–Kraay the lag asked for.
 */
export interface VcovSpec {
  readonly type: "iid" | "hetero" | "cluster" | "nw" | "dk";
  /** Columns the sample encodes (and drops missing values of): clusters, or [panel id, time]. */
  readonly clusters: readonly string[];
  /** nw / dk: [panel id, time]. */
  readonly panelId?: readonly [string, string];
  readonly lag?: number;
}

/** `fallbackPanel` (the fit's panelId option) stands in for a Newey–West / Driscoll–Kraay vcov's own. */
export function vcovRequest(v: VcovOption | undefined, fallbackPanel?: readonly string[]): VcovSpec {
  if (v === undefined || v === "iid") return { type: "iid", clusters: [] };
  if (v === "hetero") return { type: "hetero", clusters: [] };
  if (typeof v === "object" && v !== null && "cluster" in v) {
    const clusters = typeof v.cluster === "string" ? [v.cluster] : [...v.cluster];
    if (clusters.length === 0) throw new InputError("option", 'vcov cluster needs at least one column, e.g. { cluster: "firm_id" }');
    return { type: "cluster", clusters };
  }
  if (typeof v === "object" && v !== null && "type" in v && typeof v.type === "string" && ["nw", "dk"].includes(v.type.toLowerCase())) {
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
    const panelId: [string, string] = [ids[0] as string, ids[1] as string];
    return { type, clusters: panelId, panelId, lag };
  }
  throw new InputError(
    "option",
    `unknown vcov ${JSON.stringify(v)}: use "iid", "hetero", { cluster: "col" | ["col1", "col2"] } or { type: "NW" | "DK", panelId: [id, time], lag? }`,
  );
}

/** The encodings against which "nested" fixed effects are not counted in K (fixest's rule). */
function nestingVariables(spec: VcovSpec, sample: Sample): readonly EncodedEffect[] {
  if (spec.type === "cluster") return sample.clusters;
  if (spec.type === "nw") return sample.clusters;
  if (spec.type === "dk") return sample.clusters.slice(1);
  return [];
}

/** Fixed-effect sizes with their nesting in the vcov's cluster or panel variables. */
export function effectSizes(spec: VcovSpec, sample: Sample): EffectSize[] {
  const vars = nestingVariables(spec, sample);
  return sample.fixedEffects.map((fe) => ({ size: fe.size, nestedInCluster: vars.some((c) => nestedIn(fe, c)) }));
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

/** What computeVcov needs from the spec and the sample. */
export function computeRequest(spec: VcovSpec, sample: Sample): ComputeRequest {
  if (spec.type === "nw" || spec.type === "dk") {
    return { type: spec.type, clusters: [], panel: { unit: sample.clusters[0], time: sample.clusters[1], lag: spec.lag } };
  }
  if (spec.type === "cluster") {
    // One cluster leaves no between-cluster variation: the clustered variance would be 0/0.
    const single = sample.clusters.find((c) => c.size < 2);
    if (single) {
      throw new InputError(
        "data",
        `the sample (${sample.rows.length} rows) has a single cluster of "${single.name}" (${String(single.levels[0])}); ` +
          `clustered standard errors need at least two clusters: cluster by another variable or use vcov "hetero"`,
      );
    }
  }
  return { type: spec.type, clusters: sample.clusters };
}

export function vcovInfo(spec: VcovSpec, ssc: SmallSample, lagUsed: number | undefined): VcovInfo {
  if (spec.type === "cluster") return { type: "cluster", cluster: spec.clusters, ssc };
  if (spec.type === "nw" || spec.type === "dk") return { type: spec.type, panelId: spec.panelId!, lag: lagUsed ?? spec.lag ?? 0, ssc };
  return { type: spec.type, ssc };
}
