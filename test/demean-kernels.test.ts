import { describe, expect, test } from "vitest";
import { withArenaSync } from "../src/engine/shared.js";
import { planDemean, scratchFor, solveResidualList, solveResiduals } from "../src/engine/absorb/solver.js";
import { allocScratch } from "../src/engine/absorb/plan.js";
import { Rng } from "../src/core/random.js";

// The exact method's passes have fast paths for the common layouts (two or three effects,
// unweighted; one small effect in the Schur complement; rows sorted by the largest effect).
// Each must give what the general arithmetic gives, bit for bit: these pin them to references
// that do the same operations in the same order.

const n = 5000;
const rng = new Rng(21);
const x = Float64Array.from({ length: n }, () => rng.normal() * 10);
const w = Float64Array.from({ length: n }, () => 0.5 + rng.uniform());
const sorted = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 4));
const years = Int32Array.from({ length: n }, (_, i) => (i * 7) % 13);
const third = Int32Array.from({ length: n }, () => rng.integer(29));
const sizes = [Math.ceil(n / 4), 13, 29];

function sumsByGroup(codes: Int32Array, size: number, v: (i: number) => number): Float64Array {
  const out = new Float64Array(size);
  for (let i = 0; i < n; i++) out[codes[i]] += v(i);
  return out;
}

describe("the exact method's kernels", () => {
  test.each([2, 3])("group_sums_all over %i effects equals one sum per effect, weighted or not", (q) => {
    const codes = [sorted, years, third].slice(0, q);
    for (const weighted of [false, true]) {
      const got = withArenaSync((arena, k) => {
        const sums = codes.map((_, j) => arena.allocF64(sizes[j]));
        sums.forEach((p, j) => arena.f64(p, sizes[j]).fill(0));
        k.group_sums_all(n, arena.putF64(x), weighted ? arena.putF64(w) : 0, q, arena.putU32(codes.map((c) => arena.putI32(c))), arena.putU32(sums));
        return sums.map((p, j) => Array.from(arena.f64(p, sizes[j])));
      });
      codes.forEach((c, j) => expect(got[j]).toEqual(Array.from(sumsByGroup(c, sizes[j], (i) => (weighted ? w[i] * x[i] : x[i])))));
    }
  });

  test.each([1, 2])("residual_group_sums with %i other effect(s) takes off their coefficients and sums the rest by the first", (others) => {
    const coef = [years, third].slice(0, others).map((_, j) => Float64Array.from({ length: sizes[j + 1] }, () => rng.normal()));
    const codes = [years, third].slice(0, others);
    const residual = (i: number) => {
      if (others === 1) return x[i] - coef[0][codes[0][i]];
      let s = 0;
      for (let j = 0; j < others; j++) s += coef[j][codes[j][i]];
      return x[i] - s;
    };
    const want = Float64Array.from({ length: n }, (_, i) => residual(i));
    for (const weighted of [false, true]) {
      const [out, sums] = withArenaSync((arena, k) => {
        const o = arena.allocF64(n);
        const s = arena.allocF64(sizes[0]);
        arena.f64(s, sizes[0]).fill(0);
        k.residual_group_sums(n, arena.putF64(x), o, others, arena.putU32(codes.map((c) => arena.putI32(c))), arena.putU32(coef.map((c) => arena.putF64(c))), weighted ? arena.putF64(w) : 0, arena.putI32(sorted), s);
        return [Array.from(arena.f64(o, n)), Array.from(arena.f64(s, sizes[0]))];
      });
      expect(out).toEqual(Array.from(want));
      expect(sums).toEqual(Array.from(sumsByGroup(sorted, sizes[0], (i) => (weighted ? w[i] * want[i] : want[i]))));
    }
  });

  test.each([
    ["sorted", sorted],
    ["shuffled", Int32Array.from({ length: n }, () => rng.integer(sizes[0]))],
  ] as const)("counting_sort lists the rows by group, in row order within a group (%s codes)", (name, codes) => {
    const g = sizes[0];
    const [start, order, grouped] = withArenaSync((arena, k) => {
      const s = arena.allocI32(g + 1);
      const o = arena.allocI32(n);
      arena.i32(o, n).fill(-7);
      const found = k.counting_sort(n, arena.putI32(codes), g, s, o);
      return [Array.from(arena.i32(s, g + 1)), Array.from(arena.i32(o, n)), found];
    });
    const want = Array.from({ length: n }, (_, i) => i).sort((a, b) => codes[a] - codes[b] || a - b);
    // Rows already grouped: the order is the identity, reported, and not written.
    expect(grouped).toBe(name === "sorted" ? 1 : 0);
    expect(order).toEqual(name === "sorted" ? new Array(n).fill(-7) : want);
    const counts = new Array<number>(g).fill(0);
    for (const c of codes) counts[c]++;
    expect(start).toEqual([0, ...counts.map((_, c) => counts.slice(0, c + 1).reduce((a, b) => a + b, 0))]);
  });

  const wide = Int32Array.from({ length: n }, () => rng.integer(45));
  // Every other group of the first effect empty: no rows, nothing touched.
  const gappy = Int32Array.from(sorted, (c) => 2 * c);
  test.each([
    ["one small effect", [years], [13], sorted],
    ["one small effect, empty groups between", [years], [13], gappy],
    ["one small effect of 45 levels", [wide], [45], sorted],
    ["two small effects", [years, third], [13, 29], sorted],
  ] as const)("the Schur complement of %s equals the general formula's, summed in the same order", (_, small, smallSizes, first) => {
    const g = first[n - 1] + 1;
    const m = small.length;
    const offsets = small.map((_, j) => smallSizes.slice(0, j).reduce((a, b) => a + b, 0));
    const levels = smallSizes.reduce((a, b) => a + b, 0);
    for (const weighted of [false, true]) {
      const got = withArenaSync((arena, k) => {
        const start = arena.allocI32(g + 1);
        const order = arena.allocI32(n);
        const grouped = k.counting_sort(n, arena.putI32(first), g, start, order) === 1;
        const a = arena.allocF64(levels * levels);
        arena.f64(a, levels * levels).fill(0);
        const c = arena.allocF64(levels);
        arena.f64(c, levels).fill(0);
        k.schur_complement(g, start, grouped ? 0 : order, m, arena.putU32(small.map((codes) => arena.putI32(codes))), arena.putI32(offsets), weighted ? arena.putF64(w) : 0, levels, a, c, arena.allocI32(levels));
        return Array.from(arena.f64(a, levels * levels));
      });
      // The kernel's arithmetic, entry by entry: per group, each row adds its weight to the
      // entries of its levels and to the group's c; then c_u c_v / W_g comes off (u, v) as
      // (c_u / W_g)·c_v. The lower triangle is summed so, and the upper is its mirror.
      const a = new Float64Array(levels * levels);
      const rowsOf = Array.from({ length: g }, () => [] as number[]);
      first.forEach((grp, i) => rowsOf[grp].push(i));
      for (let grp = 0; grp < g; grp++) {
        const c = new Float64Array(levels);
        const touched = new Set<number>();
        let wg = 0;
        for (const i of rowsOf[grp]) {
          const wi = weighted ? w[i] : 1;
          wg += wi;
          const ls = small.map((codes, j) => offsets[j] + codes[i]);
          for (const l of ls) {
            touched.add(l);
            c[l] += wi;
          }
          for (const u of ls) for (const v of ls) if (v <= u) a[u * levels + v] += wi;
        }
        for (const u of touched) for (const v of touched) if (v <= u) a[u * levels + v] -= (c[u] / wg) * c[v];
      }
      for (let u = 0; u < levels; u++) for (let v = u + 1; v < levels; v++) a[u * levels + v] = a[v * levels + u];
      expect(got).toEqual(Array.from(a));
    }
  });

  // Pairs: two columns per pass must each get what the one-column kernel gives it alone.
  const x2 = Float64Array.from({ length: n }, () => rng.normal() * 3 - 1);
  const bits = (v: ArrayLike<number>) => Array.from(v, (d) => (Object.is(d, -0) ? "-0" : d));

  test.each([2, 3])("group_sums_all_pair over %i effects gives each column group_sums_all's sums", (q) => {
    const codes = [sorted, years, third].slice(0, q);
    const [alone, paired] = withArenaSync((arena, k) => {
      const table = arena.putU32(codes.map((c) => arena.putI32(c)));
      const sumsOf = () => {
        const ptrs = codes.map((_, j) => arena.allocF64(sizes[j]));
        ptrs.forEach((p, j) => arena.f64(p, sizes[j]).fill(0));
        return { ptrs, table: arena.putU32(ptrs), read: () => ptrs.flatMap((p, j) => bits(arena.f64(p, sizes[j]))) };
      };
      const [oneA, oneB, pairA, pairB] = [sumsOf(), sumsOf(), sumsOf(), sumsOf()];
      const [xa, xb] = [arena.putF64(x), arena.putF64(x2)];
      k.group_sums_all(n, xa, 0, q, table, oneA.table);
      k.group_sums_all(n, xb, 0, q, table, oneB.table);
      k.group_sums_all_pair(n, xa, xb, q, table, pairA.table, pairB.table);
      return [[oneA.read(), oneB.read()], [pairA.read(), pairB.read()]];
    });
    expect(paired).toEqual(alone);
  });

  test.each([1, 2])("the pair kernels of the later passes, with %i small effect(s), give each column what the one-column kernels give", (others) => {
    const small = [years, third].slice(0, others);
    const got = withArenaSync((arena, k) => {
      const first = arena.putI32(sorted);
      const smallTable = arena.putU32(small.map((c) => arena.putI32(c)));
      const coefs = () => small.map((_, j) => arena.putF64(Float64Array.from({ length: sizes[j + 1] }, () => rng.normal())));
      const [coefA, coefB] = [coefs(), coefs()];
      const firstCoef = () => arena.putF64(Float64Array.from({ length: sizes[0] }, () => rng.normal()));
      const [fa, fb] = [firstCoef(), firstCoef()];
      const zeros = (size: number) => {
        const p = arena.allocF64(size);
        arena.f64(p, size).fill(0);
        return p;
      };
      const read = (p: number, len: number) => bits(arena.f64(p, len));
      // gather_scatter1 into the first small effect's groups, from the first effect's coefficients.
      const acc = [zeros(sizes[1]), zeros(sizes[1]), zeros(sizes[1]), zeros(sizes[1])];
      const yearsAt = arena.putI32(small[0]);
      k.gather_scatter1(n, yearsAt, acc[0], 0, first, fa);
      k.gather_scatter1(n, yearsAt, acc[1], 0, first, fb);
      k.gather_scatter1_pair(n, yearsAt, first, acc[2], fa, acc[3], fb);
      // residual_group_sums, then fe_residual, in place as the exact method runs them.
      const cols = [x, x2, x, x2].map((v) => arena.putF64(v));
      const sums = [0, 1, 2, 3].map(() => zeros(sizes[0]));
      const [ca, cb] = [arena.putU32(coefA), arena.putU32(coefB)];
      k.residual_group_sums(n, cols[0], cols[0], others, smallTable, ca, 0, first, sums[0]);
      k.residual_group_sums(n, cols[1], cols[1], others, smallTable, cb, 0, first, sums[1]);
      k.residual_group_sums_pair(n, others, smallTable, first, cols[2], cols[2], ca, sums[2], cols[3], cols[3], cb, sums[3]);
      const firstTable = arena.putU32([first]);
      k.fe_residual(n, cols[0], cols[0], 1, firstTable, arena.putU32([fa]));
      k.fe_residual(n, cols[1], cols[1], 1, firstTable, arena.putU32([fb]));
      k.fe_residual_pair(n, first, cols[2], cols[2], fa, cols[3], cols[3], fb);
      return {
        scatter: [[read(acc[0], sizes[1]), read(acc[1], sizes[1])], [read(acc[2], sizes[1]), read(acc[3], sizes[1])]],
        sums: [[read(sums[0], sizes[0]), read(sums[1], sizes[0])], [read(sums[2], sizes[0]), read(sums[3], sizes[0])]],
        residuals: [[read(cols[0], n), read(cols[1], n)], [read(cols[2], n), read(cols[3], n)]],
      };
    });
    expect(got.scatter[1]).toEqual(got.scatter[0]);
    expect(got.sums[1]).toEqual(got.sums[0]);
    expect(got.residuals[1]).toEqual(got.residuals[0]);
  });
});

describe("the exact method in pairs", () => {
  // A thread projects its columns two at a time where the plan allows (unweighted, two or three
  // fixed effects): each column must come out as it does projected alone, whatever its partner.
  test.each([2, 3])("%i fixed effects: five columns in pairs are the bytes of each alone; weighted plans go one by one", (q) => {
    const effects = [sorted, years, third].slice(0, q);
    const columns = Array.from({ length: 5 }, (_, c) => Float64Array.from({ length: n }, (_, i) => Math.sin(i * (c + 1)) * 10 + (i % (c + 2))));
    for (const weighted of [false, true]) {
      const [paired, alone, pairs] = withArenaSync((arena, k) => {
        const plan = planDemean(k, arena, {
          n, rowWeights: weighted ? arena.putF64(w) : 0, method: "exact", tol: 1e-8, maxIter: 100,
          effects: effects.map((codes, j) => ({ codes: arena.putI32(codes), size: sizes[j] })),
        });
        const place = () => columns.map((v) => {
          const p = arena.putF64(v);
          return { input: p, output: p };
        });
        const inPairs = place();
        const scratch = scratchFor(arena, plan, inPairs.length);
        solveResidualList(k, arena, plan, scratch, inPairs);
        const oneByOne = place();
        const single = allocScratch(arena, plan);
        for (const c of oneByOne) solveResiduals(k, arena, plan, single, c.input, c.output);
        const read = (cols: { output: number }[]) => cols.map((c) => Array.from(arena.f64(c.output, n)));
        return [read(inPairs), read(oneByOne), scratch.length];
      });
      expect(pairs).toBe(weighted ? 1 : 2);
      expect(paired).toEqual(alone);
    }
  });
});
