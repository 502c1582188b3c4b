import { InputError } from "../core/errors.js";
import { vcovRequest, type VcovOption } from "../vcov/spec.js";
import { clusterVariables } from "../fit/sample.js";
import { parseVcovFlag } from "./vcov-flag.js";

/**
 * --vcov with the panel variance types: `--vcov nw|dk --panel-id ID,TIME [--lag N]`; anything
 * else goes to parseVcovFlag (iid, hetero, cluster:COL[+COL]). --panel-id goes with every vcov
 * (the formula's lags use it); --lag only with nw and dk.
 */
export function parseCliVcov(vcov: string | undefined, panelId: string | undefined, lag: string | undefined): VcovOption {
  const type = vcov?.trim().toLowerCase();
  if (type === "nw" || type === "dk") {
    const label = type === "nw" ? "Newey–West" : "Driscoll–Kraay";
    if (panelId === undefined || panelId.trim() === "") {
      throw new InputError("option", `--vcov ${type} (${label}) needs the panel id and the time variable: --panel-id firm_id,year`);
    }
    const ids = panelId.split(",").map((s) => s.trim());
    if (ids.length < 2 || ids[1] === "") {
      throw new InputError("option", `--vcov ${type} (${label}) needs a time variable after the panel id: --panel-id ${ids[0]},year`);
    }
    let lagValue: number | undefined;
    if (lag !== undefined) {
      lagValue = Number(lag);
      if (!Number.isInteger(lagValue) || lagValue < 0) throw new InputError("option", `--lag must be a non-negative integer (got "${lag}")`);
    }
    return { type: type === "nw" ? "NW" : "DK", panelId: parsePanelIdFlag(panelId), lag: lagValue };
  }
  if (lag !== undefined) throw new InputError("option", `--lag goes with --vcov nw or --vcov dk (got --vcov ${vcov ?? "iid"})`);
  return parseVcovFlag(vcov);
}

/** --panel-id ID,TIME */
export function parsePanelIdFlag(text: string): [string, string] {
  const ids = text.split(",").map((s) => s.trim());
  if (ids.length !== 2 || ids[0] === "" || ids[1] === "") throw new InputError("option", `--panel-id must be ID,TIME, e.g. --panel-id firm_id,year (got "${text}")`);
  return [ids[0], ids[1]];
}

/** The data columns a vcov option reads. */
export function vcovColumns(v: VcovOption): string[] {
  return vcovRequest(v).columns.flatMap(clusterVariables);
}
