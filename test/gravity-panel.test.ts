import { describe, expect, test } from "vitest";
import { fepois } from "../src/index.js";
import { generateGravityPanel, GRAVITY_PLANTED } from "../src/study/index.js";

describe("synthetic gravity panel (gen_gravity.R's process)", () => {
  test("shape, columns and a zero share like the reference panel's; deterministic for a seed", () => {
    const a = generateGravityPanel({ countries: 40, years: 10, seed: 3 });
    const b = generateGravityPanel({ countries: 40, years: 10, seed: 3 });
    expect(a.nrows).toBe(40 * 39 * 10);
    expect([...a.columns.keys()]).toEqual(["exporter", "importer", "pair", "year", "dist_km", "ln_dist", "contig", "lang", "rta", "rta_year", "trade", "any_trade"]);
    const trade = (a.columns.get("trade") as { values: Float64Array }).values;
    expect(trade).toEqual((b.columns.get("trade") as { values: Float64Array }).values);
    const zeros = trade.filter((v) => v === 0).length / a.nrows;
    expect(zeros).toBeGreaterThan(0.2);
    expect(zeros).toBeLessThan(0.7);
    const pair = a.columns.get("pair") as { levels: readonly string[]; codes: Int32Array };
    expect(pair.levels[pair.codes[0]]).toBe("C001_C002");
  });

  test("PPML with exporter-year and importer-year effects recovers the planted coefficients", async () => {
    const panel = generateGravityPanel({ countries: 60, years: 12, seed: 11 });
    const fit = await fepois(panel, "trade ~ ln_dist + contig + lang + rta | exporter^year + importer^year", { vcov: { cluster: "pair" } });
    for (const [name, planted] of Object.entries(GRAVITY_PLANTED)) {
      const c = fit.coef(name)!;
      expect(Math.abs(c.estimate - planted), `${name}: ${c.estimate} ± ${c.se} vs planted ${planted}`).toBeLessThan(4 * c.se + 0.02);
    }
  });
});
