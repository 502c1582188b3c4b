import { describe, expect, it } from "vitest";
import type { Frame } from "../src/data/frame.js";
import { frameFromRecord } from "../src/data/readers/arrow.js";
import { frameToArrow } from "../src/data/writers/arrow.js";
import { InputError } from "../src/core/errors.js";
import { buildDvar, dvarOf } from "../src/study/dvar.js";
import { buildRobotPenetration, industryRobotDensity } from "../src/study/robots.js";
import { buildLinkages, industryLinkages, ioMatrixFromTable, linkageWeights } from "../src/study/linkages.js";
import { buildControls, gapToFrontier } from "../src/study/controls.js";
import { winsorize } from "../src/study/winsorize.js";
import { quantileSorted } from "../src/core/quantile.js";

function num(frame: Frame, name: string): number[] {
  const c = frame.columns.get(name);
  if (!c || c.kind !== "numeric") throw new Error(`no numeric column ${name}`);
  return [...c.values];
}

function expectClose(actual: number[], expected: number[], digits = 10): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    if (Number.isNaN(expected[i]!)) expect(a).toBeNaN();
    else expect(a).toBeCloseTo(expected[i]!, digits);
  });
}

/** The error `fn` throws (fails the test if it throws none). */
function thrown(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error("expected an error");
}

describe("buildDvar", () => {
  // Rows: A mixed exporter; B no exports; C negative exports; D pure processing (X^O = D = 0);
  // E imports above exports (DVAR < 0); F negative net fixed assets (DVAR > 1); G a missing input.
  const trade = {
    id: [1, 2, 3, 4, 5, 6, 7],
    imports_processing: [30, 0, 0, 80, 150, 0, 10],
    imports_ordinary: [20, 0, 0, 5, 0, 0, 0],
    domestic_sales: [50, 10, 0, 0, 0, 0, 0],
    exports_ordinary: [50, 0, 0, 0, 0, 0, 0],
    exports: [100, 0, -5, 100, 100, 100, 100],
    inputs_total: [120, 5, 0, 100, 150, 0, NaN],
    net_fixed_assets: [100, 10, 0, 0, 0, -100, 0],
  };
  // By hand (s = 0.05, c = 0.0417):
  // A: q = 50·20/(50 + 50) = 10; FVA = 30 + 10 + 0.05·(120 − 30 − 10) + 0.0417·100 = 48.17
  // D: FVA = 80 + 0.05·(100 − 80) = 81;  E: FVA = 150;  F: FVA = −4.17
  const dvarA = 1 - 48.17 / 100;
  const dvarD = 1 - 81 / 100;

  it("computes the formula and counts each cleaning step (out-of-range kept)", () => {
    const { frame, cleaning } = buildDvar(trade);
    expect(cleaning).toEqual({
      rowsIn: 7,
      nonPositiveExports: 2,
      missing: 1,
      belowZero: 1,
      aboveOne: 1,
      outOfRange: 2,
      droppedOutOfRange: 0,
      rowsOut: 5,
    });
    expect(num(frame, "id")).toEqual([1, 4, 5, 6, 7]);
    expectClose(num(frame, "dvar"), [dvarA, dvarD, -0.5, 1.0417, NaN]);
    // every input column is carried along
    expect([...frame.columns.keys()]).toEqual([...Object.keys(trade), "dvar"]);
  });

  it("takes an Arrow table as well", () => {
    const arrow = frameToArrow(frameFromRecord(trade));
    const { frame, cleaning } = buildDvar(arrow);
    expect(cleaning.rowsOut).toBe(5);
    expectClose(num(frame, "dvar"), [dvarA, dvarD, -0.5, 1.0417, NaN]);
  });

  it("drops out-of-range rows on request", () => {
    const { frame, cleaning } = buildDvar(trade, { outOfRange: "drop" });
    expect(cleaning.droppedOutOfRange).toBe(2);
    expect(cleaning.rowsOut).toBe(3);
    expect(num(frame, "id")).toEqual([1, 4, 7]);
  });

  it("takes s and c, a column name, other input names, and composes", () => {
    const first = buildDvar(trade, { outOfRange: "drop" });
    const alt = buildDvar(first.frame, { s: 0, name: "dvar_alt" });
    expect(alt.cleaning.rowsOut).toBe(3);
    // A without the indirect-content term: FVA = 30 + 10 + 4.17
    expectClose(num(alt.frame, "dvar_alt"), [1 - 44.17 / 100, 1 - 80 / 100, NaN]);
    expectClose(num(alt.frame, "dvar"), [dvarA, dvarD, NaN]);
    const { exports: X, ...others } = trade;
    const renamed = buildDvar({ ...others, X }, { columns: { exports: "X" }, c: 0 });
    expect(num(renamed.frame, "dvar")[0]).toBeCloseTo(1 - 44 / 100, 12);
    expect(
      dvarOf({
        processingImports: 30, ordinaryImports: 20, domesticSales: 50, ordinaryExports: 50, exports: 100, intermediates: 120, netFixedAssets: 100,
      }),
    ).toBeCloseTo(dvarA, 12);
  });

  it("names the missing column and the builder", () => {
    const { inputs_total: _, ...rest } = trade;
    const err = thrown(() => buildDvar(rest));
    expect(err.kind).toBe("column");
    expect(err.message).toContain('"inputs_total"');
    expect(err.message).toContain("buildDvar");
    expect(thrown(() => buildDvar(trade, { s: 2 })).message).toMatch(/buildDvar: s must be in \[0, 1\]/);
  });
});

describe("buildRobotPenetration", () => {
  const robots = {
    industry: ["A", "A", "B", "B"],
    year: [2000, 2001, 2000, 2001],
    stock: [10, 20, 5, 15],
    foreign_stock: [30, 40, 10, 20],
  };
  const employment = { industry: ["A", "A", "B", "B"], year: [2000, 2001, 2000, 2001], employment: [1000, 2000, 500, 500] };
  const panel = {
    firm: [1, 2, 3, 1, 3, 4],
    industry: ["A", "A", "B", "A", "B", "C"],
    year: [2000, 2000, 2000, 2001, 2001, 2001],
    prod_share: [0.5, 0.7, 0.6, 0.4, 0.8, 0.9],
  };

  it("multiplies industry density by the firm's share over the year's median share", () => {
    // density per 10,000 workers, base year 2000: A 100, 200; B 100, 300. Foreign: A 300, 400; B 200, 400.
    // medians: 2000 {0.5, 0.7, 0.6} → 0.6; 2001 {0.4, 0.8, 0.9} → 0.8 (industry C counts too).
    const result = buildRobotPenetration(panel, robots, employment);
    expect(result.baseYear).toBe(2000);
    expect(result.unmatched).toBe(1);
    expect(result.medians).toEqual([
      { year: 2000, median: 0.6, firms: 3 },
      { year: 2001, median: 0.8, firms: 3 },
    ]);
    expectClose(num(result.frame, "robot_density"), [100, 100, 100, 200, 300, NaN]);
    expectClose(num(result.frame, "robot_weight"), [0.5 / 0.6, 0.7 / 0.6, 1, 0.5, 1, 0.9 / 0.8]);
    expectClose(num(result.frame, "robot"), [(100 * 0.5) / 0.6, (100 * 0.7) / 0.6, 100, 100, 300, NaN]);
    expectClose(num(result.frame, "robot_iv"), [(300 * 0.5) / 0.6, (300 * 0.7) / 0.6, 200, 200, 400, NaN]);
    expectClose(num(result.density, "robot_density"), [100, 200, 100, 300]);
  });

  it("takes the base year, the unit and a base-year table without years", () => {
    const b2001 = industryRobotDensity(robots, employment, { baseYear: 2001, per: 1 });
    expectClose(num(b2001.frame, "robot_density"), [10 / 2000, 20 / 2000, 5 / 500, 15 / 500]);
    const flat = industryRobotDensity(robots, { industry: ["B", "A"], employment: [500, 1000] }, { per: 1, instrument: false });
    expectClose(num(flat.frame, "robot_density"), [0.01, 0.02, 0.01, 0.03]);
    expect(flat.frame.columns.has("robot_density_foreign")).toBe(false);
  });

  it("restricts the median to manufacturing firms when asked", () => {
    const result = buildRobotPenetration({ ...panel, manuf: [1, 1, 0, 1, 1, 1] }, robots, employment, { manufacturing: "manuf" });
    expect(result.medians[0]).toEqual({ year: 2000, median: 0.6, firms: 2 });
  });

  it("names the missing column and the builder; explains missing employment", () => {
    const { prod_share: _, ...rest } = panel;
    const err = thrown(() => buildRobotPenetration(rest, robots, employment));
    expect(err.message).toContain('"prod_share"');
    expect(err.message).toContain("buildRobotPenetration");
    const { foreign_stock: __, ...domesticOnly } = robots;
    const noForeign = thrown(() => buildRobotPenetration(panel, domesticOnly, employment));
    expect(noForeign.message).toContain('"foreign_stock"');
    const missingB = thrown(() => industryRobotDensity(robots, { industry: ["A"], employment: [10] }));
    expect(missingB.message).toMatch(/industry B .* no base-year \(2000\) employment/);
  });
});

describe("linkages", () => {
  // z[k][j]: what industry j buys from industry k.
  const flows = [
    [5, 2, 2],
    [1, 7, 6],
    [3, 4, 9],
  ];
  // For weights (j's suppliers k ≠ j, by z_kj): j=1: k2 1/4, k3 3/4; j=2: k1 1/3, k3 2/3; j=3: k1 1/4, k2 3/4.
  // Back weights (j's buyers k ≠ j, by z_jk): j=1: k2 1/2, k3 1/2; j=2: k1 1/7, k3 6/7; j=3: k1 3/7, k2 4/7.
  const density = {
    industry: [1, 2, 3, 1, 2, 3],
    year: [2000, 2000, 2000, 2001, 2001, 2001],
    robot_density: [10, 20, 40, 12, 30, 60],
  };

  it("weights exclude the own industry and sum to one", () => {
    const w = linkageWeights({ industries: [1, 2, 3], flows });
    expectClose([...w.forward], [0, 1 / 4, 3 / 4, 1 / 3, 0, 2 / 3, 1 / 4, 3 / 4, 0]);
    expectClose([...w.backward], [0, 1 / 2, 1 / 2, 1 / 7, 0, 6 / 7, 3 / 7, 4 / 7, 0]);
  });

  it("For and Back by industry-year and on the firm panel", () => {
    const table = industryLinkages(density, { flows });
    expectClose(num(table, "robot_for"), [35, 30, 17.5, 0.25 * 30 + 0.75 * 60, 12 / 3 + (2 / 3) * 60, 3 + 0.75 * 30]);
    expectClose(num(table, "robot_back"), [30, 250 / 7, 110 / 7, 45, 12 / 7 + (6 / 7) * 60, (3 / 7) * 12 + (4 / 7) * 30]);
    // industries given as text in a different order; a flat matrix
    const reordered = industryLinkages(density, {
      industries: ["3", "1", "2"],
      flows: [9, 3, 4, 2, 5, 2, 6, 1, 7],
    });
    expectClose(num(reordered, "robot_for"), num(table, "robot_for"));
    expectClose(num(reordered, "robot_back"), num(table, "robot_back"));
    const panel = { firm: [7, 7, 8], industry: [3, 3, 4], year: [2000, 2001, 2001] };
    const linked = buildLinkages(panel, density, { flows });
    expect(linked.unmatched).toBe(1);
    expectClose(num(linked.frame, "robot_for"), [17.5, 25.5, NaN]);
    expectClose(num(linked.frame, "robot_back"), [110 / 7, (3 / 7) * 12 + (4 / 7) * 30, NaN]);
  });

  it("reads the matrix from a table whose columns are the buying industries", () => {
    const io = ioMatrixFromTable({ industry: [1, 2, 3], "3": [2, 6, 9], "1": [5, 1, 3], "2": [2, 7, 4] });
    expect(io.industries).toEqual([1, 2, 3]);
    expect((io.flows as Float64Array[]).map((row) => [...row])).toEqual(flows);
    expectClose(num(industryLinkages(density, io), "robot_for"), num(industryLinkages(density, { flows }), "robot_for"));
    expect(thrown(() => ioMatrixFromTable({ industry: [1, 2, 3], "1": [1, 1, 1], "2": [1, 1, 1] })).message).toContain("must be 3×3 (one row and one column per industry), got 3×2");
    expect(thrown(() => ioMatrixFromTable({ industry: [1, 2], "1": [1, 1], "3": [1, 1] })).message).toContain("missing: 2");
  });

  it("says the expected and actual size of a wrong-size matrix", () => {
    const twoByTwo = thrown(() => industryLinkages(density, { flows: [[1, 2], [3, 4]] }));
    expect(twoByTwo.message).toContain("must be 3×3");
    expect(twoByTwo.message).toContain("got 2×2");
    expect(thrown(() => industryLinkages(density, { flows: [[1, 2, 3], [3, 4, 5]] })).message).toContain("got 2×3");
    expect(thrown(() => industryLinkages(density, { flows: new Float64Array(8) })).message).toContain("got 8 values");
    expect(thrown(() => industryLinkages(density, { flows: [[1, 2, 3], [3, -4, 5], [1, 1, 1]] })).message).toMatch(/non-negative; row 2, column 2/);
    const err = thrown(() => buildLinkages({ firm: [1], industry: [1] }, density, { flows }));
    expect(err.message).toContain('"year"');
    expect(err.message).toContain("buildLinkages");
  });
});

describe("buildControls and gapToFrontier", () => {
  const panel = {
    industry: [1, 1, 2, 2],
    year: [2000, 2000, 2000, 2001],
    open_year: [1995, 2000, 2002, 1990],
    liabilities: [50, 30, 10, NaN],
    assets: [100, 300, 0, 40],
    net_fixed_assets: [25, 100, 20, 10],
    employees: [5, 10, 4, 0],
    profit: [10, -3, 1, 2],
    cost: [200, 100, 0, 40],
    rd: [9, 0, -1, NaN],
  };

  it("builds each measure by its definition and counts the values it cannot use", () => {
    const { frame, invalid } = buildControls(panel);
    expectClose(num(frame, "age"), [6, 1, NaN, 12]);
    expectClose(num(frame, "ln_age"), [Math.log(6), 0, NaN, Math.log(12)]);
    expectClose(num(frame, "leverage"), [0.5, 0.1, NaN, NaN]);
    expectClose(num(frame, "debt_nfa"), [2, 0.3, 0.5, NaN]);
    expectClose(num(frame, "cap_intensity"), [Math.log(5), Math.log(10), Math.log(5), NaN]);
    // industry 1 in 2000: asset shares 1/4, 3/4; industry 2 in 2000: no positive assets
    expectClose(num(frame, "hhi"), [0.625, 0.625, NaN, 1]);
    expectClose(num(frame, "profitability"), [0.05, -0.03, NaN, 0.05]);
    expectClose(num(frame, "innovation"), [Math.log(10), 0, NaN, NaN]);
    expect(invalid).toEqual({ age: 1, ln_age: 1, leverage: 1, debt_nfa: 0, cap_intensity: 1, hhi: 1, profitability: 1, innovation: 1 });
  });

  it("builds only the measures asked for; names a missing column with the builder and measure", () => {
    const { frame } = buildControls(panel, { measures: ["leverage"] });
    expect([...frame.columns.keys()].at(-1)).toBe("leverage");
    expect(frame.columns.has("age")).toBe(false);
    const { rd: _, ...rest } = panel;
    const err = thrown(() => buildControls(rest));
    expect(err.kind).toBe("column");
    expect(err.message).toContain('"rd"');
    expect(err.message).toContain("buildControls (innovation)");
    expect(buildControls(rest, { measures: ["leverage", "hhi"] }).frame.columns.has("hhi")).toBe(true);
    expect(thrown(() => buildControls(panel, { measures: ["size" as never] })).message).toContain("unknown measure");
  });

  it("gap to the year's and the industry-year's best", () => {
    const data = { industry: [1, 1, 2, 2, 1], year: [2000, 2000, 2000, 2001, 2001], dvar: [0.5, 0.7, 0.6, 0.4, NaN] };
    expectClose(num(gapToFrontier(data), "gap"), [0.2, 0, 0.1, 0, NaN]);
    expectClose(num(gapToFrontier(data, { by: ["industry", "year"], name: "g" }), "g"), [0.2, 0, 0, 0, NaN]);
  });
});

describe("winsorize", () => {
  it("uses R's type-7 quantiles", () => {
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 14); // R: quantile(1:4, 0.25)
    expect(quantileSorted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100], 0.9)).toBe(10);
    expect(quantileSorted([3], 0.01)).toBe(3);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it("clips at the chosen percentiles, over all rows or within groups", () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, NaN];
    const all = winsorize({ x }, "x", { lower: 0.1, upper: 0.9 });
    expectClose(num(all.frame, "x"), [2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, NaN]);
    expect(all.bounds).toEqual([{ column: "x", group: "all", low: 2, high: 10, raised: 1, lowered: 1 }]);
    const year = [2000, 2000, 2000, 2000, 2001, 2001, 2001, 2001, 2001, 2001, 2001, 2001];
    const byYear = winsorize({ x, year }, ["x"], { lower: 0.25, upper: 0.75, by: "year", suffix: "_w" });
    // 2000: 1..4 → [1.75, 3.25]; 2001: 5..10, 100 → [6.5, 9.5]
    expectClose(num(byYear.frame, "x_w"), [1.75, 2, 3, 3.25, 6.5, 6.5, 7, 8, 9, 9.5, 9.5, NaN]);
    expectClose(num(byYear.frame, "x"), x);
    expect(byYear.bounds.map((b) => [b.group, b.low, b.high])).toEqual([
      ["2000", 1.75, 3.25],
      ["2001", 6.5, 9.5],
    ]);
    expect(thrown(() => winsorize({ x }, "x", { lower: 0.9, upper: 0.1 })).message).toContain("winsorize");
    expect(thrown(() => winsorize({ x }, "y")).message).toContain('"y"');
  });
});
