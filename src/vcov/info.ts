import { sscJson, type SmallSample } from "./ssc.js";
import type { VcovSpec } from "./spec.js";

/** How the variance was estimated, with the small-sample corrections applied. */
export type VcovInfo = (
  | { readonly type: "iid" | "hetero" }
  | { readonly type: "cluster"; readonly cluster: readonly string[] }
  | { readonly type: "nw" | "dk"; readonly panelId: readonly [string, string]; readonly lag: number }
) & { readonly ssc: SmallSample };

/** The result's account of `spec`; `lagUsed` is the Newey–West / Driscoll–Kraay lag the variance took. */
export function vcovInfo(spec: VcovSpec, ssc: SmallSample, lagUsed: number | undefined): VcovInfo {
  if (spec.type === "cluster") return { type: "cluster", cluster: spec.cluster, ssc };
  if (spec.type === "nw" || spec.type === "dk") return { type: spec.type, panelId: [spec.panel.unit, spec.panel.time], lag: lagUsed ?? spec.lag ?? 0, ssc };
  return { type: spec.type, ssc };
}

/** The printed name of a vcov: "IID", "Clustered (firm_id)", "Newey-West (L=1)", … */
export function vcovLabel(v: VcovInfo): string {
  if (v.type === "cluster") return `Clustered (${v.cluster.join(" & ")})`;
  if (v.type === "nw") return `Newey-West (L=${v.lag})`;
  if (v.type === "dk") return `Driscoll-Kraay (L=${v.lag})`;
  return v.type === "iid" ? "IID" : "Heteroskedasticity-robust";
}

export function vcovJson(v: VcovInfo): Record<string, unknown> {
  const ssc = sscJson(v.ssc);
  if (v.type === "cluster") return { type: "cluster", cluster: [...v.cluster], ssc };
  if (v.type === "nw" || v.type === "dk") return { type: v.type, panel_id: [...v.panelId], lag: v.lag, ssc };
  return { type: v.type, ssc };
}
