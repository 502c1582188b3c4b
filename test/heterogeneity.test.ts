import { beforeAll, describe, expect, test } from "vitest";
import { feols, heterogeneity, InputError, type Frame, type FeolsOptions } from "../src/index.js";
import type { Column } from "../src/data/frame.js";
import { generatePanel, PANEL_PLANTED } from "../src/study/synthetic.js";

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

let panel: Frame;
beforeAll(() => {
  panel = generatePanel({ firms: 2500, seed: 21 });
});

const cluster: FeolsOptions = { vcov: { cluster: "firm_id" } };
const formula = "dvar ~ robot + ln_age | firm_id + year";

function num(frame: Frame, name: string): Float64Array {
  const col = frame.columns.get(name) as Column;
  if (col.kind !== "numeric") throw new Error(`${name} is not numeric`);
  return col.values;
}

describe("heterogeneity by a firm-constant group", () => {
  test("split-sample estimates are the fits on each group", async () => {
    const h = await heterogeneity(panel, formula, { group: "soe", ...cluster, K: 0 });
    expect(h.levels).toEqual([0, 1]);
    expect(h.reference).toBe(0);
    const soe = num(panel, "soe");
    for (const g of h.groups) {
      const fit = await feols(panel, formula, { ...cluster, subset: Uint8Array.from(soe, (v) => (v === g.level ? 1 : 0)) });
      expect(g.nobs).toBe(fit.nobs);
      expect(rel(g.estimate.estimate, fit.coef("robot")!.estimate)).toBeLessThan(1e-12);
      expect(rel(g.estimate.se, fit.coef("robot")!.se)).toBeLessThan(1e-12);
    }
    expect(h.differences[0].splitDifference).toBe(h.groups[1].estimate.estimate - h.groups[0].estimate.estimate);
    expect(h.permutation).toBeNull();
  });

  test("the difference test is the pooled model's interaction test", async () => {
    const h = await heterogeneity(panel, formula, { group: "soe", ...cluster, K: 0 });
    // soe is constant within firm: its own dummy is absorbed by the firm effects and left out.
    expect(h.pooled.formula).toBe("dvar ~ robot + ln_age + i(soe, robot, ref = 0) | firm_id + year");
    const pooled = await feols(panel, "dvar ~ robot + ln_age + i(soe, robot, ref = 0) | firm_id + year", cluster);
    const c = pooled.coef("soe::1:robot")!;
    const d = h.differences[0];
    expect(d.level).toBe(1);
    expect(d.interaction.name).toBe("soe::1:robot");
    expect(rel(d.interaction.estimate, c.estimate)).toBeLessThan(1e-12);
    expect(rel(d.interaction.t, c.t)).toBeLessThan(1e-10);
    expect(rel(d.interaction.p, c.p)).toBeLessThan(1e-8);
    expect(h.joint).toBeNull();
  });

  test("interactControls lets the controls' slopes differ too", async () => {
    const h = await heterogeneity(panel, formula, { group: "soe", ...cluster, K: 0, interactControls: true });
    expect(h.pooled.formula).toBe("dvar ~ robot + ln_age + i(soe, robot, ref = 0) + i(soe, ln_age, ref = 0) | firm_id + year");
  });

  test("the permutation test is reproducible under a seed", async () => {
    const opts = { group: "soe", ...cluster, K: 99, seed: 5 };
    const one = await heterogeneity(panel, formula, opts);
    const two = await heterogeneity(panel, formula, opts);
    const other = await heterogeneity(panel, formula, { ...opts, seed: 6 });
    expect(one.permutation!.draws[0]).toEqual(two.permutation!.draws[0]);
    expect(one.differences[0].permutation).toEqual(two.differences[0].permutation);
    expect(other.permutation!.draws[0]).not.toEqual(one.permutation!.draws[0]);
    expect(one.permutation!.unit).toBe("firm_id");
    expect(one.permutation!.units).toBe(one.pooled.fixefSizes.firm_id);
    expect(one.permutation!.engine).toBe("cluster-sums");
    const p = one.differences[0].permutation!;
    expect(p.p).toBeGreaterThanOrEqual(1 / 100);
    expect(p.p).toBeLessThanOrEqual(1);
    // The p-value is the share of permuted differences at least as large as the observed one.
    const d = one.differences[0].splitDifference;
    const count = [...one.permutation!.draws[0]].filter((x) => Math.abs(x) >= Math.abs(d)).length;
    expect(p.p).toBeCloseTo((1 + count) / 100, 12);
  });

  test("per-unit sums and a demeaning per permutation agree", async () => {
    const opts = { group: "soe", ...cluster, K: 5, seed: 2 };
    const fast = await heterogeneity(panel, formula, opts);
    const rows = await heterogeneity(panel, formula, { ...opts, engine: "rows" as const });
    expect(rows.permutation!.engine).toBe("rows");
    fast.permutation!.draws[0].forEach((x, k) => expect(rel(x, rows.permutation!.draws[0][k])).toBeLessThan(1e-7));
  });

  test("a three-level text group: differences from the reference and the joint test", async () => {
    const h = await heterogeneity(panel, formula, { group: "region", reference: "east", ...cluster, K: 20 });
    expect(h.levels).toEqual(["central", "east", "west"]);
    expect(h.differences.map((d) => d.level)).toEqual(["central", "west"]);
    expect(h.differences.map((d) => d.interaction.name)).toEqual(["region::central:robot", "region::west:robot"]);
    expect(h.joint!.df1).toBe(2);
    expect(h.permutation!.draws).toHaveLength(2);
    const pooled = await feols(panel, 'dvar ~ robot + ln_age + i(region, robot, ref = "east") | firm_id + year', cluster);
    expect(rel(h.differences[1].interaction.t, pooled.coef("region::west:robot")!.t)).toBeLessThan(1e-10);
    expect(h.summary()).toMatch(/Joint test of equal slopes/);
  });
});

describe("heterogeneity by a group that varies within firms", () => {
  test("rows are permuted, and the group's own dummy stays in the pooled model", async () => {
    const year = num(panel, "year");
    const late = Float64Array.from(year, (y) => (y >= 2008 ? 1 : 0));
    const frame: Frame = { nrows: panel.nrows, columns: new Map([...panel.columns, ["late", { kind: "numeric", values: late } as Column]]) };
    const h = await heterogeneity(frame, "dvar ~ robot + ln_age | firm_id", { group: "late", ...cluster, K: 4, seed: 1 });
    expect(h.permutation!.unit).toBeNull();
    expect(h.permutation!.engine).toBe("rows");
    expect(h.pooled.formula).toBe("dvar ~ robot + ln_age + i(late, robot, ref = 0) + i(late, ref = 0) | firm_id");
    const again = await heterogeneity(frame, "dvar ~ robot + ln_age | firm_id", { group: "late", ...cluster, K: 4, seed: 1 });
    expect(again.permutation!.draws[0]).toEqual(h.permutation!.draws[0]);
    await expect(heterogeneity(frame, "dvar ~ robot | firm_id", { group: "late", unit: "firm_id", ...cluster })).rejects.toThrow(/varies within the unit "firm_id"/);
  });
});

describe("the planted SOE heterogeneity is recovered", () => {
  test("robot's extra effect for SOEs (0.0029) is within 4 standard errors", async () => {
    const big = generatePanel({ firms: 20_000, seed: 1 });
    const h = await heterogeneity(big, formula, { group: "soe", ...cluster, K: 99, seed: 1 });
    const d = h.differences[0];
    expect(Math.abs(d.interaction.estimate - PANEL_PLANTED["robot:soe"])).toBeLessThan(4 * d.interaction.se);
    expect(d.interaction.p).toBeLessThan(0.05);
    expect(d.permutation!.p).toBeLessThan(0.05);
  });
});

describe("heterogeneity errors", () => {
  test("a group with one level in the sample says so", async () => {
    const soe = num(panel, "soe");
    const err = await heterogeneity(panel, formula, { group: "soe", ...cluster, subset: Uint8Array.from(soe, (v) => (v === 0 ? 1 : 0)) }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/group "soe" has a single level \(0\).*at least two/);
  });

  test("unknown group column, bad reference, missing group option", async () => {
    await expect(heterogeneity(panel, formula, { group: "ownership", ...cluster })).rejects.toThrow(/column "ownership" not found/);
    await expect(heterogeneity(panel, formula, { group: "soe", reference: 7, ...cluster })).rejects.toThrow(/reference "7" is not a level/);
    await expect(heterogeneity(panel, formula, {} as never)).rejects.toThrow(/name the grouping column/);
    await expect(heterogeneity(panel, formula, { group: "soe", K: 1.5 })).rejects.toThrow(InputError);
  });
});
