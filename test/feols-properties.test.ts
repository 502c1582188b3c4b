import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { feols } from "../src/index.js";

/** A random unbalanced panel: firms × years with some cells missing, x correlated with the firm. */
const panel = fc
  .record({
    firms: fc.integer({ min: 3, max: 9 }),
    years: fc.integer({ min: 3, max: 5 }),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    keep: fc.double({ min: 0.6, max: 1, noNaN: true }),
  })
  .map(({ firms, years, seed, keep }) => {
    let s = seed;
    const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const g: number[] = [], t: number[] = [], x: number[] = [], z: number[] = [], y: number[] = [], w: number[] = [];
    for (let f = 0; f < firms; f++) {
      for (let yr = 0; yr < years; yr++) {
        if (yr > 1 && rand() > keep) continue;
        const xi = f * 0.3 + rand();
        const zi = rand() - 0.5;
        g.push(f); t.push(2000 + yr); x.push(xi); z.push(zi); w.push(0.5 + rand());
        y.push(1.5 * xi - 0.7 * zi + f * 0.2 + yr * 0.1 + rand());
      }
    }
    return { g, t, x, z, y, w };
  })
  // Enough rows to leave residual degrees of freedom after 2 regressors and both effects.
  .filter((d) => d.y.length > 2 + new Set(d.g).size + new Set(d.t).size + 2);

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-8 * Math.max(1, Math.abs(b));

describe("properties of absorbed fixed effects", () => {
  test("absorbing firm and year effects equals OLS with explicit dummies (coefficients and iid/cluster se)", async () => {
    await fc.assert(
      fc.asyncProperty(panel, fc.constantFrom("iid", "hetero"), fc.boolean(), async (data, vcov, weighted) => {
        const opts = { fixefRm: "none" as const, vcov: vcov as "iid" | "hetero", weights: weighted ? "w" : undefined };
        const absorbed = await feols(data, "y ~ x + z | g + t", opts);
        const dummies = await feols(data, "y ~ x + z + i(g) + i(t)", opts);
        for (const name of ["x", "z"]) {
          expect(close(absorbed.coef(name)!.estimate, dummies.coef(name)!.estimate)).toBe(true);
          expect(close(absorbed.coef(name)!.se, dummies.coef(name)!.se)).toBe(true);
        }
        expect(close(absorbed.r2, dummies.r2)).toBe(true);
        expect(absorbed.dfT).toBe(dummies.dfT);
      }),
      { numRuns: 60 },
    );
  });

  test("row order does not change the results, for every method", async () => {
    await fc.assert(
      fc.asyncProperty(panel, fc.integer({ min: 1, max: 1000 }), fc.constantFrom("exact", "map"), async (data, seed, method) => {
        const n = data.y.length;
        const perm = Array.from({ length: n }, (_, i) => i);
        let s = seed;
        for (let i = n - 1; i > 0; i--) {
          s = (s * 48271) % 2147483647;
          const j = s % (i + 1);
          [perm[i], perm[j]] = [perm[j], perm[i]];
        }
        const shuffled = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, perm.map((p) => v[p])]));
        const opts = { fixefRm: "singleton" as const, vcov: { cluster: "g" }, method: method as "exact" | "map", tol: 1e-12 };
        const a = await feols(data, "y ~ x + z | g + t", opts);
        const b = await feols(shuffled, "y ~ x + z | g + t", opts);
        expect(b.nobs).toBe(a.nobs);
        for (const c of a.coefficients) {
          expect(close(b.coef(c.name)!.estimate, c.estimate)).toBe(true);
          expect(close(b.coef(c.name)!.se, c.se)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  test("an age variable (year − founding year) is dropped as collinear with firm + year effects, every time", async () => {
    await fc.assert(
      fc.asyncProperty(panel, async (data) => {
        const founded = data.g.map((f) => 1980 + ((f * 7) % 13));
        const age = data.t.map((yr, i) => yr - founded[i] + 1);
        const withAge = await feols({ ...data, age }, "y ~ x + age | g + t", { fixefRm: "none" });
        const without = await feols(data, "y ~ x | g + t", { fixefRm: "none" });
        expect(withAge.droppedCollinear).toEqual(["age"]);
        expect(close(withAge.coef("x")!.estimate, without.coef("x")!.estimate)).toBe(true);
        expect(close(withAge.coef("x")!.se, without.coef("x")!.se)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
