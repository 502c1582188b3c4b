import { InputError } from "../core/errors.js";
import type { VcovOption } from "../vcov/spec.js";

/** --vcov iid | hetero | cluster:COL[+COL...] */
export function parseVcovFlag(text: string | undefined): VcovOption {
  if (text === undefined || text === "iid") return "iid";
  if (text === "hetero" || text === "hc1") return "hetero";
  const m = /^cluster:(.+)$/.exec(text);
  if (m) {
    const cols = m[1].split("+").map((s) => s.trim());
    if (cols.every((c) => c.length > 0)) return { cluster: cols };
  }
  throw new InputError("option", `--vcov "${text}" is not understood: use iid, hetero, or cluster:COL (two-way: cluster:COL1+COL2)`);
}
