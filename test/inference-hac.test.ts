import { describe, expect, test, beforeAll } from "vitest";
import { feols, readFrame, InputError, type Frame, type FeolsOptions, type SmallSample } from "../src/index.js";
import { hacCases, referencePanel, expectMatchesReference, expectRelative } from "./helpers/reference.js";
import { absorb, absorbJson } from "./helpers/cli.js";
import { dummies, groupMeat, ols, partial, sandwich, type Matrix } from "./helpers/dense.js";

const FIXEST = { k_adj: true, fixef_k: "nested", g_adj: true, t_df: "min" };

describe("fixest reference Newey–West and Driscoll–Kraay cases, through the API", () => {
  let frame: Frame;
  beforeAll(async () => {
    frame = await readFrame(referencePanel);
  });
  test.each(hacCases.map((c) => [c.id, c] as const))("%s", async (_id, c) => {
    const type = c.vcov as "NW" | "DK";
    const fit = await feols(frame, c.formula, { vcov: { type, panelId: c.panel_id!, lag: c.lag }, fixefRm: c.fixef_rm });
    expectMatchesReference(fit.toJSON() as never, c);
    expect(fit.dfT).toBe(13); // T − 1 for the 14 years
    expect(fit.vcov).toEqual({ type: type.toLowerCase(), panelId: ["firm_id", "year"], lag: 1, ssc: { kAdj: true, fixefK: "nested", gAdj: true, tDf: "min" } });
    // The default lag is fixest's ⌊T^(1/4)⌋ = 1 on 14 years.
    const byDefault = await feols(frame, c.formula, { vcov: { type, panelId: c.panel_id! }, fixefRm: c.fixef_rm });
    expect(byDefault.coefficients.map((x) => x.se)).toEqual(fit.coefficients.map((x) => x.se));
    expect(byDefault.vcovLabel).toMatch(type === "NW" ? /Newey-West \(L=1\)/ : /Driscoll-Kraay \(L=1\)/);
  });
  test("with alternating projections", async () => {
    for (const c of hacCases) {
      const fit = await feols(frame, c.formula, { vcov: { type: c.vcov as "NW", panelId: c.panel_id! }, fixefRm: c.fixef_rm, method: "map", tol: 1e-10 });
      expectMatchesReference(fit.toJSON() as never, c);
    }
  });
});

describe("fixest reference Newey–West and Driscoll–Kraay cases, through absorb fit --json", () => {
  test.each(hacCases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    const type = (c.vcov as string).toLowerCase();
    const lag = type === "nw" ? ["--lag", "1"] : []; // DK leaves the lag to the default
    const { status, json } = absorbJson([
      "fit", "--data", referencePanel, "--formula", c.formula, "--vcov", type, "--panel-id", c.panel_id!.join(","), ...lag, "--fixef-rm", c.fixef_rm, "--quiet",
    ]);
    expect(status).toBe(0);
    expectMatchesReference(json, c);
    expect(json.vcov).toEqual({ type, panel_id: ["firm_id", "year"], lag: 1, ssc: FIXEST });
  });
});

/** A small unbalanced panel with gaps, from a seeded LCG. */
function smallPanel() {
  let s = 12345;
  const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const unit: number[] = [];
  const time: number[] = [];
  const x1: number[] = [];
  const x2: number[] = [];
  const y: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < 14; i++) {
    const a = u() - 0.5;
    for (let t = 2001; t <= 2008; t++) {
      if (u() < 0.2 && t > 2001) continue; // gaps
      const e = u() - 0.5 + (y.length && unit[unit.length - 1] === i ? 0.4 * (y[y.length - 1] % 1) : 0);
      const v1 = u() + 0.1 * t - 200;
      const v2 = u() * u();
      unit.push(i);
      time.push(t);
      x1.push(v1);
      x2.push(v2);
      y.push(0.5 * v1 - 0.3 * v2 + a + 0.05 * (t - 2000) + e);
      w.push(0.5 + u());
    }
  }
  return { unit, time, x1, x2, y, w };
}

type Kind = "iid" | "hetero" | "cluster" | "nw" | "dk";

/** fixest's variance of the slope coefficients by hand (dummies, FWL, explicit meats), with its ssc rules. */
function handSe(p: ReturnType<typeof smallPanel>, kind: Kind, ssc: SmallSample, lag: number, weighted: boolean): { se: number[]; dfT: number } {
  const n = p.y.length;
  const w = weighted ? p.w : undefined;
  const D = [...dummies(p.unit, false), ...dummies(p.time, true)];
  const [x1t, x2t] = partial([p.x1, p.x2], D, w);
  const fit = ols(p.y, [p.x1, p.x2, ...D], w);
  const e = fit.resid;
  const X = [x1t, x2t];
  const bread = ols(p.y, X, w).xtxInv;
  const scores: Matrix = e.map((ei, i) => X.map((c) => (w ? w[i] : 1) * ei * c[i]));
  const U = new Set(p.unit).size;
  const times = [...new Set(p.time)].sort((a, b) => a - b);
  const T = times.length;
  const rank = p.time.map((t) => times.indexOf(t));
  // K: 2 slopes + fixed effects as counted by fixef_k (unit nested in the cluster / NW panel id; time nested in NW/DK time).
  const unitNested = kind === "cluster" || kind === "nw";
  const timeNested = kind === "nw" || kind === "dk";
  let K = 2;
  if (ssc.fixefK !== "none") K += 1 + (ssc.fixefK === "nested" && unitNested ? 0 : U - 1) + (ssc.fixefK === "nested" && timeNested ? 0 : T - 1);
  const kAdj = ssc.kAdj ? (n - 1) / (n - K) : 1;
  let V: Matrix;
  let dfT = n - K;
  if (kind === "iid") {
    const ssr = e.reduce((s, v, i) => s + (w ? w[i] : 1) * v * v, 0);
    V = bread.map((r) => r.map((v) => (v * ssr) / (ssc.kAdj ? n - K : n - 1)));
  } else if (kind === "hetero") {
    const meat = groupMeat(scores, e.map((_, i) => i));
    V = sandwich(bread, meat).map((r) => r.map((v) => v * kAdj * (ssc.gAdj ? n / (n - 1) : 1)));
  } else if (kind === "cluster") {
    V = sandwich(bread, groupMeat(scores, p.unit)).map((r) => r.map((v) => v * kAdj * (ssc.gAdj ? U / (U - 1) : 1)));
    if (ssc.tDf === "min") dfT = U - 1;
  } else {
    const wl = (l: number) => (l === 0 ? 0.5 : 1 - l / (lag + 1));
    const meat: Matrix = [[0, 0], [0, 0]];
    const add = (a: number[], b: number[], f: number) => {
      for (let r = 0; r < 2; r++) for (let c = 0; c < 2; c++) meat[r][c] += f * (a[r] * b[c] + b[r] * a[c]);
    };
    if (kind === "dk") {
      const S = times.map(() => [0, 0]);
      scores.forEach((s, i) => s.forEach((v, j) => (S[rank[i]][j] += v)));
      for (let l = 0; l <= lag; l++) for (let t = l; t < T; t++) add(S[t], S[t - l], wl(l));
    } else {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (p.unit[i] !== p.unit[j]) continue;
          const l = rank[i] - rank[j];
          if (l >= 0 && l <= lag) add(scores[i], scores[j], wl(l));
        }
      }
    }
    V = sandwich(bread, meat).map((r) => r.map((v) => v * kAdj * (ssc.gAdj ? T / (T - 1) : 1)));
    if (ssc.tDf === "min") dfT = T - 1;
  }
  return { se: [Math.sqrt(V[0][0]), Math.sqrt(V[1][1])], dfT };
}

describe("every vcov type under every small-sample choice equals a hand computation (dummies, explicit meats)", () => {
  const p = smallPanel();
  const data = { ...p, x1: p.x1, x2: p.x2 };
  const combos: SmallSample[] = [];
  for (const kAdj of [true, false]) for (const fixefK of ["none", "nested", "full"] as const) for (const gAdj of [true, false]) for (const tDf of ["min", "conventional"] as const) combos.push({ kAdj, fixefK, gAdj, tDf });
  const vcovs: [Kind, FeolsOptions["vcov"], number][] = [
    ["iid", "iid", 0],
    ["hetero", "hetero", 0],
    ["cluster", { cluster: "unit" }, 0],
    ["nw", { type: "NW", panelId: ["unit", "time"], lag: 2 }, 2],
    ["dk", { type: "DK", panelId: ["unit", "time"], lag: 2 }, 2],
    ["nw", { type: "nw", panelId: ["unit", "time"], lag: 0 }, 0],
  ];
  test.each(vcovs.map((v) => [`${v[0]} (lag ${v[2]})`, ...v] as const))("%s", async (_label, kind, vcov, lag) => {
    for (const weighted of [false, true]) {
      for (const ssc of combos) {
        const fit = await feols(data, "y ~ x1 + x2 | unit + time", { vcov, ssc, fixefRm: "none", weights: weighted ? "w" : undefined });
        const hand = handSe(p, kind, ssc, lag, weighted);
        const what = `${kind} ${JSON.stringify(ssc)}${weighted ? " weighted" : ""}`;
        expectRelative(fit.coef("x1")!.se, hand.se[0], 1e-8, `${what} se x1`);
        expectRelative(fit.coef("x2")!.se, hand.se[1], 1e-8, `${what} se x2`);
        expect(fit.dfT, `${what} df_t`).toBe(hand.dfT);
        expect(fit.vcov.ssc).toEqual(ssc);
      }
    }
  });
  test("the reghdfe preset and fixest's defaults", async () => {
    const a = await feols(data, "y ~ x1 + x2 | unit + time", { vcov: { cluster: "unit" }, ssc: "reghdfe", fixefRm: "none" });
    const b = await feols(data, "y ~ x1 + x2 | unit + time", { vcov: { cluster: "unit" }, fixefRm: "none" });
    expect(a.vcov.ssc).toEqual({ kAdj: true, fixefK: "nested", gAdj: true, tDf: "min" });
    expect(a.coefficients).toEqual(b.coefficients);
    await expect(feols(data, "y ~ x1 | unit", { ssc: "stata" as never })).rejects.toThrow(/unknown ssc preset "stata"/);
    await expect(feols(data, "y ~ x1 | unit", { ssc: { fixefK: "some" as never } })).rejects.toThrow(/fixefK must be/);
  });
  test("Newey–West needs one row per panel id and time", async () => {
    const dup = { unit: [1, 1, 1, 2, 2, 2], time: [1, 1, 2, 1, 2, 3], y: [1, 2, 3, 4, 5, 7], x: [1, 3, 2, 5, 4, 6] };
    const err = await feols(dup, "y ~ x", { vcov: { type: "NW", panelId: ["unit", "time"] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/one row per panel id and time.*Driscoll–Kraay/);
    // Driscoll–Kraay allows them.
    const dk = await feols(dup, "y ~ x", { vcov: { type: "DK", panelId: ["unit", "time"] } });
    expect(dk.dfT).toBe(2);
  });
});

describe("Newey–West and Driscoll–Kraay without a time variable: a clear input error", () => {
  const data = { y: [1, 2, 3, 4, 5, 6], x: [1, 3, 2, 5, 4, 6], id: [1, 1, 1, 2, 2, 2], t: [1, 2, 3, 1, 2, 3] };
  const cases: [string, FeolsOptions["vcov"], RegExp][] = [
    ["NW without panelId", { type: "NW" } as never, /Newey–West needs a panel id and a time variable/],
    ["DK without panelId", { type: "DK", panelId: [] }, /Driscoll–Kraay needs a panel id and a time variable/],
    ["NW with the panel id only", { type: "NW", panelId: ["id"] }, /Newey–West needs a time variable after the panel id/],
    ["DK with the panel id only", { type: "dk", panelId: ["id"] }, /Driscoll–Kraay needs a time variable/],
    ["a negative lag", { type: "NW", panelId: ["id", "t"], lag: -1 }, /lag must be a non-negative integer/],
  ];
  test.each(cases)("%s", async (_label, vcov, pattern) => {
    const err = await feols(data, "y ~ x", { vcov }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).kind).toBe("option");
    expect((err as Error).message).toMatch(pattern);
  });
  test("an unknown time column", async () => {
    const err = await feols(data, "y ~ x", { vcov: { type: "DK", panelId: ["id", "when"] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/column "when" not found/);
  });
});

describe("absorb fit: --vcov nw|dk, --panel-id, --lag and --ssc", () => {
  test("errors exit 2 with a message", () => {
    const base = ["fit", "--data", referencePanel, "--formula", "dvar ~ robot | firm_id + year", "--quiet"];
    const cases: [string[], RegExp][] = [
      [["--vcov", "nw"], /needs the panel id and the time variable: --panel-id firm_id,year/],
      [["--vcov", "dk", "--panel-id", "firm_id"], /needs a time variable after the panel id/],
      [["--lag", "1"], /--lag goes with --vcov nw or --vcov dk/],
      [["--panel-id", "firm_id"], /--panel-id must be ID,TIME/],
      [["--vcov", "nw", "--panel-id", "firm_id,year", "--lag", "x"], /--lag must be a non-negative integer/],
      [["--ssc", "k_adj=maybe"], /--ssc k_adj must be true or false/],
      [["--ssc", "stata"], /--ssc "stata" is not understood/],
      [["--ssc", "fixef_k=half"], /fixef_k must be none, nested or full/],
    ];
    for (const [args, pattern] of cases) {
      const r = absorb([...base, ...args, "--json"]);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(JSON.parse(r.stdout).error.kind).toBe("option");
    }
  });
  test("--ssc key=value pairs and the reghdfe preset reach the fit and the JSON", () => {
    const base = ["fit", "--data", referencePanel, "--formula", "dvar ~ robot | firm_id + year", "--vcov", "cluster:firm_id", "--quiet"];
    const def = absorbJson(base).json;
    const reg = absorbJson([...base, "--ssc", "reghdfe"]).json;
    expect(reg.vcov.ssc).toEqual(FIXEST);
    expect(reg.coefficients[0].se).toBe(def.coefficients[0].se);
    const off = absorbJson([...base, "--ssc", "k_adj=false,fixef_k=full,g_adj=false,t_df=conventional"]).json;
    expect(off.vcov.ssc).toEqual({ k_adj: false, fixef_k: "full", g_adj: false, t_df: "conventional" });
    const G = def.df_t + 1;
    const n = def.nobs;
    const K = n - off.df_t; // t df = n − K under t_df=conventional
    expect(K).toBe(1 + (G - 1) + (14 - 1) + 1); // robot + firm and year effects, all counted
    // Default: (n − 1)/(n − K_nested) · G/(G − 1); off: 1.
    const kNested = 1 + 13 + 1;
    expectRelative(def.coefficients[0].se / off.coefficients[0].se, Math.sqrt(((n - 1) / (n - kNested)) * (G / (G - 1))), 1e-10, "se ratio");
    expect(def.vcov.ssc).toEqual(FIXEST);
  });
});

