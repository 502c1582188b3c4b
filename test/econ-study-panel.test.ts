import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CategoricalColumn, Frame } from "../src/data/frame.js";
import { feols, shutdown } from "../src/index.js";
import { generateStudyPanel, STUDY_DEFAULT_SEED, type StudyPanel } from "../src/study/study-panel.js";
import { buildStudyData, type StudyData } from "../src/study/study-data.js";
import { STUDY_CLUSTER, STUDY_PLANTED, plantedEffects, totalEffect } from "../src/study/planted.js";
import { linkageWeights } from "../src/study/linkages.js";

function num(frame: Frame, name: string): Float64Array {
  const c = frame.columns.get(name);
  if (!c || c.kind !== "numeric") throw new Error(`no numeric column ${name}`);
  return c.values;
}

function share(values: ArrayLike<number>, test: (v: number) => boolean): number {
  let k = 0;
  for (let i = 0; i < values.length; i++) if (test(values[i]!)) k++;
  return k / values.length;
}

const RAW_COLUMNS = [
  "firm_id", "year", "industry", "region", "soe", "intensity", "open_year", "employees", "prod_share", "assets",
  "net_fixed_assets", "liabilities", "cost", "profit", "rd", "exports", "exports_ordinary", "domestic_sales",
  "imports_processing", "imports_ordinary", "inputs_total",
];

let study: StudyPanel;
let data: StudyData;

beforeAll(() => {
  study = generateStudyPanel({ firms: 20_000 });
  data = buildStudyData(study);
});
afterAll(() => shutdown());

describe("generateStudyPanel", () => {
  it("has the raw columns and the study's structure", () => {
    const { panel, robots, employment, io } = study;
    expect([...panel.columns.keys()]).toEqual(RAW_COLUMNS);
    expect(panel.columns.has("dvar")).toBe(false);
    expect(panel.nrows / 20_000).toBeGreaterThan(3.8);
    expect(panel.nrows / 20_000).toBeLessThan(4.3);
    // unbalanced: firms enter and leave
    const firm = num(panel, "firm_id");
    const year = num(panel, "year");
    const spans = new Map<number, number[]>();
    for (let r = 0; r < panel.nrows; r++) {
      const s = spans.get(firm[r]!) ?? [Infinity, -Infinity, 0];
      spans.set(firm[r]!, [Math.min(s[0]!, year[r]!), Math.max(s[1]!, year[r]!), s[2]! + 1]);
    }
    const lengths = new Set([...spans.values()].map((s) => s[2]));
    expect(lengths.size).toBeGreaterThan(10);
    expect([...spans.values()].every((s) => s[1]! - s[0]! + 1 === s[2])).toBe(true);
    // regions ≈ 92 / 5.5 / 2.5%, SOEs ≈ 5%, three factor-intensity classes
    const region = panel.columns.get("region") as CategoricalColumn;
    expect(region.levels).toEqual(["east", "central", "west"]);
    expect(share(region.codes, (c) => c === 0)).toBeCloseTo(0.92, 1);
    expect(share(region.codes, (c) => c === 1)).toBeGreaterThan(0.045);
    expect(share(region.codes, (c) => c === 2)).toBeGreaterThan(0.018);
    expect(share(num(panel, "soe"), (v) => v === 1)).toBeCloseTo(0.05, 1);
    expect((panel.columns.get("intensity") as CategoricalColumn).levels).toEqual(["labour", "capital", "technology"]);
    // 14 industries × 14 years of robot stocks, each growing; a 14 × 14 input–output matrix
    expect(robots.nrows).toBe(196);
    const stock = num(robots, "stock");
    for (let k = 0; k < 14; k++) expect(stock[k * 14 + 13]!).toBeGreaterThan(2 * stock[k * 14]!);
    expect(employment.nrows).toBe(14);
    expect(linkageWeights(io).n).toBe(14);
  });

  it("is deterministic for a seed; the industry tables do not depend on the firm count", () => {
    const a = generateStudyPanel({ firms: 500, seed: 7 });
    const b = generateStudyPanel({ firms: 500, seed: 7 });
    const c = generateStudyPanel({ firms: 900, seed: 7 });
    for (const name of RAW_COLUMNS) {
      const x = a.panel.columns.get(name)!;
      const y = b.panel.columns.get(name)!;
      expect(x.kind === "numeric" ? x.values : x.codes).toEqual(y.kind === "numeric" ? y.values : y.codes);
    }
    expect(num(c.robots, "stock")).toEqual(num(a.robots, "stock"));
    expect(c.io.flows).toEqual(a.io.flows);
    expect(num(generateStudyPanel({ firms: 500, seed: 8 }).robots, "stock")).not.toEqual(num(a.robots, "stock"));
    expect(STUDY_DEFAULT_SEED).toBe(1);
  });

  it("the cleaning meets non-exporters and garbled import records at their planted rates", () => {
    const c = data.cleaning;
    expect(c.rowsIn).toBe(study.panel.nrows);
    expect(c.nonPositiveExports / c.rowsIn).toBeGreaterThan(0.025);
    expect(c.nonPositiveExports / c.rowsIn).toBeLessThan(0.037);
    expect(c.belowZero / c.rowsIn).toBeGreaterThan(0.003);
    expect(c.belowZero / c.rowsIn).toBeLessThan(0.007);
    expect(c.aboveOne).toBe(0);
    expect(c.missing).toBe(0);
    expect(c.rowsOut).toBe(c.rowsIn - c.nonPositiveExports - c.outOfRange);
    const dvar = num(data.frame, "dvar");
    expect(dvar.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(study.redrawn).toBeLessThan(20);
    for (const name of ["robot", "robot_iv", "robot_for", "robot_back", "ln_age", "cap_intensity", "hhi", "profitability", "tech", "gap"]) {
      expect(share(num(data.frame, name), Number.isNaN), name).toBe(0);
    }
  });
});

describe("planted effects are recovered (firm + year FE, clustered by firm, 20,000 firms, default seed)", () => {
  const effects = plantedEffects();
  it("lists every planted effect once, with its value", () => {
    expect(effects.map((e) => e.key)).toEqual([
      "total", "soe", "tech", "forward", "backward", "robot_profitability", "profitability_dvar", "robot_innovation",
      "innovation_dvar", "direct", "gap",
    ]);
    const P = STUDY_PLANTED;
    expect(totalEffect()).toBeCloseTo(P.direct + P.robotProfitability * P.profitabilityDvar + P.robotInnovation * P.innovationDvar, 15);
    expect(study.planted.effects).toEqual(effects);
  });

  for (const effect of effects) {
    it(`${effect.label}: |estimate − ${effect.value.toPrecision(3)}| ≤ 4 se`, async () => {
      const fit = await feols(data.frame, effect.formula, { vcov: { cluster: STUDY_CLUSTER } });
      const c = fit.coef(effect.coefficient)!;
      expect(c, effect.coefficient).toBeDefined();
      expect(Math.abs(c.estimate - effect.value)).toBeLessThanOrEqual(4 * c.se);
      // and estimated precisely enough for that to mean something
      expect(Math.abs(effect.value) / c.se).toBeGreaterThan(4);
    });
  }

  it("the SOE and technology-intensive effects show in split samples too", async () => {
    const fe = "robot + robot_for + robot_back | firm_id + year";
    const soe = num(data.frame, "soe");
    const tech = num(data.frame, "tech");
    const fit = async (keep: (r: number) => boolean) => {
      const subset = Uint8Array.from({ length: data.frame.nrows }, (_, r) => (keep(r) ? 1 : 0));
      return (await feols(data.frame, `dvar ~ ${fe}`, { vcov: { cluster: "firm_id" }, subset })).coef("robot")!;
    };
    const ref = await fit((r) => soe[r] === 0 && tech[r] === 0);
    const soeOnly = await fit((r) => soe[r] === 1 && tech[r] === 0);
    const techOnly = await fit((r) => soe[r] === 0 && tech[r] === 1);
    const total = totalEffect();
    expect(Math.abs(ref.estimate - total)).toBeLessThanOrEqual(4 * ref.se);
    expect(Math.abs(soeOnly.estimate - (total + STUDY_PLANTED.directSoe))).toBeLessThanOrEqual(4 * soeOnly.se);
    expect(Math.abs(techOnly.estimate - (total + STUDY_PLANTED.directTech))).toBeLessThanOrEqual(4 * techOnly.se);
  });
});

describe("timing", () => {
  it("generates and builds the default 100k-firm panel in a few seconds", () => {
    const t0 = performance.now();
    const big = generateStudyPanel();
    const t1 = performance.now();
    const built = buildStudyData(big);
    const t2 = performance.now();
    console.log(
      `study panel, 100,000 firms: ${big.panel.nrows} firm-years generated in ${((t1 - t0) / 1000).toFixed(2)} s, ` +
        `built (${built.frame.nrows} rows, ${built.frame.columns.size} columns) in ${((t2 - t1) / 1000).toFixed(2)} s`,
    );
    expect(big.panel.nrows).toBeGreaterThan(380_000);
    expect(t2 - t0).toBeLessThan(60_000);
  });
});
