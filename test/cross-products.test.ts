import { afterAll, describe, expect, test } from "vitest";
import { withArena, withArenaSync } from "../src/engine/shared.js";
import { crossprodInto, crossprodLanes, residualsLanes } from "../src/engine/cross-products.js";
import { shutdownPool } from "../src/engine/pool.js";
import { Rng } from "../src/core/random.js";

afterAll(() => shutdownPool());

describe("the one-pass cross-products", () => {
  test.each([1, 6])("residuals over two lanes (%i columns) are the one-thread residuals bit for bit", async (k) => {
    const n = 700_001;
    const rng = new Rng(30 + k);
    await withArena(async (arena, kern) => {
      const x = arena.putF64(Float64Array.from({ length: n * k }, () => rng.normal()));
      const y = arena.putF64(Float64Array.from({ length: n }, () => rng.normal()));
      const beta = arena.putF64(Float64Array.from({ length: k }, () => rng.normal()));
      const one = arena.allocF64(n);
      kern.residuals(n, k, x, beta, y, one);
      const two = arena.allocF64(n);
      await residualsLanes(kern, n, k, x, beta, y, two, 2);
      expect(Array.from(arena.f64(two, n))).toEqual(Array.from(arena.f64(one, n)));
      // Each value is y − β₀x₀ − β₁x₁ − …, in column order.
      const xs = arena.f64(x, n * k), ys = arena.f64(y, n), bs = arena.f64(beta, k);
      for (const i of [0, 1, n >> 1, n - 1]) {
        let r = ys[i];
        for (let a = 0; a < k; a++) r -= bs[a] * xs[a * n + i];
        expect(arena.f64(two, n)[i]).toBe(r);
      }
    });
  });
  test.each([2, 3, 7, 12])("split in two lanes (%i columns), the matrix is the one-pass kernel's bit for bit", async (k) => {
    const n = 400_001;
    const rng = new Rng(k);
    await withArena(async (arena, kern) => {
      const x = arena.putF64(Float64Array.from({ length: n * k }, () => rng.normal()));
      const whole = arena.allocF64(k * k);
      crossprodInto(kern, arena, n, k, x, 0, whole);
      const split = arena.allocF64(k * k);
      await crossprodLanes(kern, arena, n, k, x, 0, split, 2);
      expect(Array.from(arena.f64(split, k * k))).toEqual(Array.from(arena.f64(whole, k * k)));
    });
  });

  // Row counts around the kernel's 512-row blocks and its 4- and 2-row steps.
  for (const n of [1, 2, 3, 5, 511, 512, 513, 1026, 2049, 100_003]) {
    test(`${n} rows: every entry of X'X and X'WX is the dot product of its two columns, bit for bit`, () => {
      const rng = new Rng(n);
      const k = 5;
      withArenaSync((arena, kern) => {
        const x = arena.allocF64(n * k);
        const xs = arena.f64(x, n * k);
        for (let i = 0; i < xs.length; i++) xs[i] = rng.normal() * 10 ** Math.floor(rng.uniform() * 6 - 3);
        const w = arena.allocF64(n);
        const ws = arena.f64(w, n);
        for (let i = 0; i < n; i++) ws[i] = rng.uniform() + 0.1;
        for (const weights of [0, w]) {
          const out = arena.allocF64(k * k);
          crossprodInto(kern, arena, n, k, x, weights, out);
          const got = arena.f64(out, k * k);
          for (let a = 0; a < k; a++) {
            for (let b = 0; b < k; b++) {
              expect(Object.is(got[a * k + b], kern.dot(n, x + a * n * 8, x + b * n * 8, weights)), `entry (${a}, ${b}), weights ${weights !== 0}`).toBe(true);
            }
          }
        }
      });
    });
  }

  test("column_stats gives max |x|, and Σ w x and Σ w x² equal to sum and dot bit for bit", () => {
    const rng = new Rng(7);
    withArenaSync((arena, kern) => {
      for (const n of [1, 2, 3, 6, 1001]) {
        const x = arena.allocF64(n);
        const xs = arena.f64(x, n);
        for (let i = 0; i < n; i++) xs[i] = rng.normal() * 1e3;
        const w = arena.allocF64(n);
        arena.f64(w, n).forEach((_, i, a) => (a[i] = rng.uniform() + 0.5));
        for (const weights of [0, w]) {
          const out = arena.allocF64(3);
          kern.column_stats(n, x, weights, out);
          const [largest, sum, squares] = arena.f64(out, 3);
          expect(largest).toBe(Math.max(...Array.from(xs, Math.abs)));
          expect(Object.is(sum, kern.sum(n, x, weights)), `sum, ${n} rows`).toBe(true);
          expect(Object.is(squares, kern.dot(n, x, x, weights)), `squares, ${n} rows`).toBe(true);
        }
        // One NaN anywhere (a block of four, the pair after, the last row) makes max |x| NaN.
        for (const at of new Set([0, Math.max(0, n - 2), n - 1])) {
          const saved = xs[at];
          xs[at] = NaN;
          const out = arena.allocF64(3);
          kern.column_stats(n, x, 0, out);
          expect(arena.f64(out, 3)[0], `NaN at row ${at} of ${n}`).toBeNaN();
          xs[at] = saved;
        }
      }
    });
  });
});

describe("gather_stats", () => {
  // The model matrix gathers each column and sums it in one pass: the same values gather_f64
  // writes, and the same bytes column_stats gives of them, for every length's tail.
  test.each([0, 1, 2, 3, 4, 5, 1001, 4099])("%i rows, weighted or not, with a NaN or without", (m) => {
    const rng2 = new Rng(m + 3);
    const src = Float64Array.from({ length: m * 2 + 3 }, () => rng2.normal() * 100);
    const rows = Int32Array.from({ length: m }, (_, i) => 2 * i + (rng2.uniform() < 0.5 ? 1 : 0));
    const weights = Float64Array.from({ length: m }, () => 0.5 + rng2.uniform());
    for (const nan of [false, true]) {
      if (nan && m > 0) src[rows[m >> 1]] = NaN;
      for (const weighted of [false, true]) {
        const got = withArenaSync((arena, k) => {
          const at = arena.putI32(rows);
          const s = arena.putF64(src);
          const w = weighted ? arena.putF64(weights) : 0;
          const [gathered, fused] = [arena.allocF64(Math.max(m, 1)), arena.allocF64(Math.max(m, 1))];
          const [stats, fusedStats] = [arena.allocF64(3), arena.allocF64(3)];
          k.gather_f64(m, s, at, gathered);
          k.column_stats(m, gathered, w, stats);
          k.gather_stats(m, s, at, fused, w, fusedStats);
          return {
            values: [Array.from(arena.f64(gathered, m)), Array.from(arena.f64(fused, m))],
            stats: [Array.from(arena.f64(stats, 3)), Array.from(arena.f64(fusedStats, 3))],
          };
        });
        expect(got.values[1]).toEqual(got.values[0]);
        expect(got.stats[1]).toEqual(got.stats[0]);
      }
    }
  });
});
