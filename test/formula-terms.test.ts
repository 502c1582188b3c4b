import { describe, expect, test } from "vitest";
import { feols } from "../src/index.js";
import { generatePanel } from "../src/study/synthetic.js";
import type { NumericColumn, CategoricalColumn } from "../src/data/frame.js";

describe("x:z and i() reproduce the fits on the columns they stand for", () => {
  const panel = generatePanel({ firms: 2000, seed: 9 });
  const col = (name: string) => (panel.columns.get(name) as NumericColumn).values;
  const region = panel.columns.get("region") as CategoricalColumn;
  const data = {
    dvar: col("dvar"),
    robot: col("robot"),
    soe: col("soe"),
    firm_id: col("firm_id"),
    year: col("year"),
    region: Array.from(region.codes, (c) => region.levels[c]),
    robot_soe: col("robot").map((r, i) => r * col("soe")[i]),
    central: Array.from(region.codes, (c) => (region.levels[c] === "central" ? 1 : 0)),
    west: Array.from(region.codes, (c) => (region.levels[c] === "west" ? 1 : 0)),
  };
  const same = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(b)));

  test("robot:soe equals a product column", async () => {
    const a = await feols(data, "dvar ~ robot + robot:soe | firm_id + year", { vcov: { cluster: "firm_id" } });
    const b = await feols(data, "dvar ~ robot + robot_soe | firm_id + year", { vcov: { cluster: "firm_id" } });
    same(a.coef("robot:soe")!.estimate, b.coef("robot_soe")!.estimate);
    same(a.coef("robot:soe")!.se, b.coef("robot_soe")!.se);
  });

  test('i(region, ref = "east") equals dummy columns', async () => {
    const a = await feols(data, 'dvar ~ robot + i(region, ref = "east") | year', { vcov: "hetero" });
    const b = await feols(data, "dvar ~ robot + central + west | year", { vcov: "hetero" });
    expect(a.coefficients.map((c) => c.name)).toEqual(["robot", "region::central", "region::west"]);
    same(a.coef("region::central")!.estimate, b.coef("central")!.estimate);
    same(a.coef("region::west")!.se, b.coef("west")!.se);
  });
});
