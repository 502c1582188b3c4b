import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CategoricalColumn, Column, Frame } from "../src/data/frame.js";
import { writeCsv } from "../src/data/writers/csv.js";
import { Rng, categoricalSampler } from "../src/core/random.js";
import { PANEL_PLANTED, generatePanel, generateWorkerFirmPanel } from "../src/study/synthetic.js";

function num(frame: Frame, name: string): Float64Array {
  const c = frame.columns.get(name);
  if (!c || c.kind !== "numeric") throw new Error(`no numeric column ${name}`);
  return c.values;
}

function cat(frame: Frame, name: string): CategoricalColumn {
  const c = frame.columns.get(name);
  if (!c || c.kind !== "categorical") throw new Error(`no categorical column ${name}`);
  return c;
}

function bytesOf(c: Column): Buffer {
  const a = c.kind === "numeric" ? c.values : c.codes;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function framesIdentical(a: Frame, b: Frame): boolean {
  if (a.nrows !== b.nrows) return false;
  if ([...a.columns.keys()].join() !== [...b.columns.keys()].join()) return false;
  for (const [name, ca] of a.columns) {
    const cb = b.columns.get(name)!;
    if (ca.kind !== cb.kind || !bytesOf(ca).equals(bytesOf(cb))) return false;
  }
  return true;
}

const PANEL_COLUMNS = [
  "firm_id", "year", "industry", "region", "soe", "density", "robot", "robot_iv", "age", "ln_age", "finance",
  "fin_constraints", "cap_intensity", "assets", "hhi", "profitability", "innovation", "dvar", "gap",
];

describe("Rng", () => {
  it("is deterministic per seed and differs across seeds", () => {
    const draw = (seed: number) => {
      const r = new Rng(seed);
      return [r.uniform(), r.normal(), r.integer(1000), r.geometric(0.3), r.uniform(), r.normal()];
    };
    expect(draw(11)).toEqual(draw(11));
    expect(draw(11)).not.toEqual(draw(12));
    expect(draw(2 ** 40 + 1)).not.toEqual(draw(1));
    expect(() => new Rng(NaN)).toThrow();
  });

  it("draws from the stated distributions", () => {
    const r = new Rng(5);
    const n = 200_000;
    let su = 0, minU = 1, maxU = 0, sz = 0, sz2 = 0, sg = 0, sb = 0, sl = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      su += u;
      minU = Math.min(minU, u);
      maxU = Math.max(maxU, u);
      const z = r.normal(2, 3);
      sz += z;
      sz2 += z * z;
      sg += r.geometric(0.2);
      sb += r.bernoulli(0.3);
      sl += Math.log(r.lognormal(1, 0.5));
    }
    expect(minU).toBeGreaterThanOrEqual(0);
    expect(maxU).toBeLessThan(1);
    expect(su / n).toBeCloseTo(0.5, 2);
    const mz = sz / n;
    expect(mz).toBeCloseTo(2, 1);
    expect(Math.sqrt(sz2 / n - mz * mz)).toBeCloseTo(3, 1);
    expect(sg / n).toBeGreaterThan(3.9); // (1 - p) / p = 4
    expect(sg / n).toBeLessThan(4.1);
    expect(sb / n).toBeCloseTo(0.3, 2);
    expect(sl / n).toBeCloseTo(1, 2);
    let sbin = 0;
    for (let i = 0; i < 20_000; i++) sbin += r.binomial(200, 0.7);
    expect(sbin / 20_000).toBeGreaterThan(139.7);
    expect(sbin / 20_000).toBeLessThan(140.3);
    expect(r.binomial(10, 0)).toBe(0);
    expect(r.binomial(10, 1)).toBe(10);
    expect(r.geometric(1)).toBe(0);
  });

  it("samples categories in proportion to weights and shuffles to a permutation", () => {
    const r = new Rng(9);
    const w = [2, 0, 1, 1];
    const counts = [0, 0, 0, 0];
    const fast = categoricalSampler(r, w);
    const fastCounts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) {
      counts[r.categorical(w)]!++;
      fastCounts[fast()]!++;
    }
    for (const c of [counts, fastCounts]) {
      expect(c[1]).toBe(0);
      expect(c[0]! / 40_000).toBeCloseTo(0.5, 1);
      expect(c[2]! / 40_000).toBeCloseTo(0.25, 1);
    }
    for (let i = 0; i < 1000; i++) {
      const k = r.integer(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
    }
    const arr = Int32Array.from({ length: 50 }, (_, i) => i);
    r.shuffle(arr);
    expect([...arr].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...arr]).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    const plain = ["a", "b", "c"];
    expect(r.shuffle(plain).slice().sort()).toEqual(["a", "b", "c"]);
  });
});

describe("generatePanel", () => {
  let panel: Frame;
  beforeAll(() => {
    panel = generatePanel({ firms: 25_000, seed: 2024 });
  });

  it("is deterministic: same seed gives identical arrays, another seed differs", () => {
    const a = generatePanel({ firms: 2000, seed: 7 });
    const b = generatePanel({ firms: 2000, seed: 7 });
    const c = generatePanel({ firms: 2000, seed: 8 });
    expect(framesIdentical(a, b)).toBe(true);
    expect(framesIdentical(a, c)).toBe(false);
    expect(bytesOf(a.columns.get("dvar")!).equals(bytesOf(c.columns.get("dvar")!))).toBe(false);
  });

  it("has gen_panel.R's columns, in order, with region categorical", () => {
    expect([...panel.columns.keys()]).toEqual(PANEL_COLUMNS);
    const region = cat(panel, "region");
    expect(region.levels).toEqual(["east", "central", "west"]);
    for (const [name, c] of panel.columns) {
      if (name !== "region") expect(c.kind).toBe("numeric");
      const len = c.kind === "numeric" ? c.values.length : c.codes.length;
      expect(len).toBe(panel.nrows);
    }
    expect(PANEL_PLANTED.robot).toBe(0.0058);
  });

  it("gives about as many rows per firm as gen_panel.R (25,000 firms ≈ 101k rows)", () => {
    expect(panel.nrows).toBeGreaterThan(101_000 * 0.95);
    expect(panel.nrows).toBeLessThan(101_000 * 1.05);
  });

  it("is sorted by firm_id, year with contiguous years 2000-2013 and all 14 industries", () => {
    const firm = num(panel, "firm_id");
    const year = num(panel, "year");
    const ind = num(panel, "industry");
    const soe = num(panel, "soe");
    const region = cat(panel, "region").codes;
    const bad: number[] = [];
    const years = new Set<number>();
    const inds = new Set<number>();
    for (let r = 0; r < panel.nrows; r++) {
      years.add(year[r]!);
      inds.add(ind[r]!);
      if (r > 0) {
        const ok =
          firm[r] === firm[r - 1]
            ? year[r] === year[r - 1]! + 1 && ind[r] === ind[r - 1] && soe[r] === soe[r - 1] && region[r] === region[r - 1]
            : firm[r] === firm[r - 1]! + 1;
        if (!ok) bad.push(r);
      }
    }
    expect(bad).toEqual([]);
    expect(firm[0]).toBe(1);
    expect(firm[panel.nrows - 1]).toBe(25_000);
    expect([...years].sort((a, b) => a - b)).toEqual(Array.from({ length: 14 }, (_, i) => 2000 + i));
    expect([...inds].sort((a, b) => a - b)).toEqual(Array.from({ length: 14 }, (_, i) => 1 + i));
  });

  it("has region shares near 92/5.5/2.5% and about 5% SOE firms", () => {
    const firm = num(panel, "firm_id");
    const soe = num(panel, "soe");
    const region = cat(panel, "region").codes;
    const regionCount = [0, 0, 0];
    let nFirms = 0, nSoe = 0;
    for (let r = 0; r < panel.nrows; r++) {
      if (r > 0 && firm[r] === firm[r - 1]) continue;
      nFirms++;
      regionCount[region[r]!]!++;
      nSoe += soe[r]!;
    }
    expect(nFirms).toBe(25_000);
    expect(Math.abs(regionCount[0]! / nFirms - 0.92)).toBeLessThan(0.01);
    expect(Math.abs(regionCount[1]! / nFirms - 0.055)).toBeLessThan(0.007);
    expect(Math.abs(regionCount[2]! / nFirms - 0.025)).toBeLessThan(0.005);
    expect(Math.abs(nSoe / nFirms - 0.05)).toBeLessThan(0.008);
  });

  it("has ~4% missing in finance, fin_constraints, cap_intensity and none elsewhere", () => {
    for (const name of PANEL_COLUMNS) {
      if (name === "region") {
        expect(cat(panel, name).codes.every((c) => c >= 0)).toBe(true);
        continue;
      }
      const v = num(panel, name);
      let nan = 0;
      for (let r = 0; r < v.length; r++) if (Number.isNaN(v[r]!)) nan++;
      if (["finance", "fin_constraints", "cap_intensity"].includes(name)) {
        expect(Math.abs(nan / panel.nrows - 0.04)).toBeLessThan(0.004);
      } else {
        expect(nan).toBe(0);
      }
    }
  });

  it("has age = year - open_year + 1, an integer >= 1 fixed relative to year within firm", () => {
    const firm = num(panel, "firm_id");
    const year = num(panel, "year");
    const age = num(panel, "age");
    const lnAge = num(panel, "ln_age");
    const bad: number[] = [];
    for (let r = 0; r < panel.nrows; r++) {
      const ok =
        Number.isInteger(age[r]!) &&
        age[r]! >= 1 &&
        lnAge[r] === Math.log(age[r]!) &&
        (r === 0 || firm[r] !== firm[r - 1] || age[r]! - year[r]! === age[r - 1]! - year[r - 1]!);
      if (!ok) bad.push(r);
    }
    expect(bad).toEqual([]);
  });

  it("has gap >= 0 with a zero at each year's maximum dvar", () => {
    const year = num(panel, "year");
    const gap = num(panel, "gap");
    const dvar = num(panel, "dvar");
    const minGap = new Map<number, number>();
    const maxDvar = new Map<number, number>();
    let negative = 0;
    for (let r = 0; r < panel.nrows; r++) {
      if (!(gap[r]! >= 0)) negative++;
      minGap.set(year[r]!, Math.min(minGap.get(year[r]!) ?? Infinity, gap[r]!));
      maxDvar.set(year[r]!, Math.max(maxDvar.get(year[r]!) ?? -Infinity, dvar[r]!));
    }
    expect(minGap.size).toBe(14);
    expect(negative).toBe(0);
    for (const g of minGap.values()) expect(g).toBe(0);
    let wrong = 0;
    for (let r = 0; r < panel.nrows; r++) if (gap[r] !== maxDvar.get(year[r]!)! - dvar[r]!) wrong++;
    expect(wrong).toBe(0);
  });

  it("builds hhi, density and the instrument at the industry-year level", () => {
    const year = num(panel, "year");
    const ind = num(panel, "industry");
    const assets = num(panel, "assets");
    const hhi = num(panel, "hhi");
    const density = num(panel, "density");
    const robot = num(panel, "robot");
    const robotIv = num(panel, "robot_iv");
    const sum = new Map<number, number>();
    const sumSq = new Map<number, number>();
    const dens = new Map<number, number>();
    const ratio = new Map<number, number>();
    const bad: number[] = [];
    for (let r = 0; r < panel.nrows; r++) {
      const key = ind[r]! * 10_000 + year[r]!;
      sum.set(key, (sum.get(key) ?? 0) + assets[r]!);
      sumSq.set(key, (sumSq.get(key) ?? 0) + assets[r]! ** 2);
      if (!dens.has(key)) dens.set(key, density[r]!);
      if (density[r] !== dens.get(key)) bad.push(r);
      const q = robotIv[r]! / robot[r]!; // density_us / density, one per industry-year
      if (!ratio.has(key)) ratio.set(key, q);
      if (Math.abs(q / ratio.get(key)! - 1) > 1e-12) bad.push(r);
    }
    for (let r = 0; r < panel.nrows; r++) {
      const key = ind[r]! * 10_000 + year[r]!;
      const want = sumSq.get(key)! / sum.get(key)! ** 2;
      if (!(Math.abs(hhi[r]! / want - 1) < 1e-10 && hhi[r]! > 0 && hhi[r]! <= 1)) bad.push(r);
    }
    expect(bad).toEqual([]);
    // density grows at a constant industry rate: equal log steps from year to year
    for (let k = 1; k <= 14; k++) {
      const d0 = dens.get(k * 10_000 + 2000), d1 = dens.get(k * 10_000 + 2001), d5 = dens.get(k * 10_000 + 2005);
      if (d0 === undefined || d1 === undefined || d5 === undefined) continue;
      const g = Math.log(d1 / d0);
      expect(g).toBeGreaterThanOrEqual(0.1 - 1e-12);
      expect(g).toBeLessThanOrEqual(0.35 + 1e-12);
      expect(Math.log(d5 / d0)).toBeCloseTo(5 * g, 10);
    }
  });

  it("plants the side equations (profitability, innovation)", () => {
    const robot = num(panel, "robot");
    const finance = num(panel, "finance");
    const prof = num(panel, "profitability");
    const innov = num(panel, "innovation");
    let s = 0, n = 0, sl = 0;
    for (let r = 0; r < panel.nrows; r++) {
      sl += Math.log(innov[r]! / (1 + 0.1 * robot[r]!));
      if (Number.isNaN(finance[r]!)) continue;
      s += prof[r]! - 0.008 * robot[r]! - 0.02 * finance[r]!;
      n++;
    }
    expect(s / n).toBeCloseTo(0.05, 3);
    expect(sl / panel.nrows).toBeCloseTo(0, 1);
  });

  it("rejects bad options", () => {
    expect(() => generatePanel({ firms: 0, seed: 1 })).toThrow();
    expect(() => generatePanel({ firms: 1.5, seed: 1 })).toThrow();
  });
});

describe("generateWorkerFirmPanel", () => {
  it("has workers × years rows, firms in range and single-step moves", () => {
    const opts = { workers: 1000, firms: 50, years: 10, moveProb: 0.1, seed: 3 };
    const d = generateWorkerFirmPanel(opts);
    expect(d.nrows).toBe(10_000);
    expect([...d.columns.keys()]).toEqual(["worker", "year", "firm", "x", "y"]);
    const worker = num(d, "worker");
    const year = num(d, "year");
    const firm = num(d, "firm");
    let moves = 0;
    const bad: number[] = [];
    for (let r = 0; r < d.nrows; r++) {
      let ok = worker[r] === Math.floor(r / 10) + 1 && year[r] === (r % 10) + 1;
      ok &&= Number.isInteger(firm[r]!) && firm[r]! >= 1 && firm[r]! <= 50;
      if (year[r]! > 1) {
        const step = Math.abs(firm[r]! - firm[r - 1]!);
        ok &&= step <= 1;
        moves += step;
      }
      if (!ok) bad.push(r);
    }
    expect(bad).toEqual([]);
    // moveProb 0.1 over 9000 transitions; clamping at the ends turns a few moves into stays
    expect(moves / 9000).toBeGreaterThan(0.08);
    expect(moves / 9000).toBeLessThan(0.115);
    expect(framesIdentical(d, generateWorkerFirmPanel(opts))).toBe(true);
    expect(framesIdentical(d, generateWorkerFirmPanel({ ...opts, seed: 4 }))).toBe(false);
  });

  it("never moves when moveProb is 0 and rejects bad options", () => {
    const d = generateWorkerFirmPanel({ workers: 200, firms: 30, years: 5, moveProb: 0, seed: 1 });
    const firm = num(d, "firm");
    let moved = 0;
    for (let r = 0; r < d.nrows; r++) if (r % 5 !== 0 && firm[r] !== firm[r - 1]) moved++;
    expect(moved).toBe(0);
    expect(() => generateWorkerFirmPanel({ workers: 10, firms: 5, years: 3, moveProb: 1.5, seed: 1 })).toThrow();
  });
});

/** Minimal CSV line splitter for the round trip: handles quoted fields with doubled quotes. */
function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let field = "";
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error("unterminated quote");
        field += line.slice(i, q);
        if (line[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(field);
    } else {
      const c = line.indexOf(",", i);
      out.push(line.slice(i, c < 0 ? line.length : c));
      i = c < 0 ? line.length : c;
    }
    if (i >= line.length) break;
    i++; // the comma
    if (i === line.length) {
      out.push("");
      break;
    }
  }
  return out;
}

function checkRoundTrip(frame: Frame, text: string): void {
  const lines = text.split("\n");
  expect(lines.pop()).toBe(""); // trailing newline
  expect(lines.length).toBe(frame.nrows + 1);
  const names = [...frame.columns.keys()];
  expect(splitCsvLine(lines[0]!)).toEqual(names);
  const cols = [...frame.columns.values()];
  for (let r = 0; r < frame.nrows; r++) {
    const fields = splitCsvLine(lines[r + 1]!);
    expect(fields.length).toBe(cols.length);
    cols.forEach((c, j) => {
      const f = fields[j]!;
      if (c.kind === "numeric") {
        const v = c.values[r]!;
        if (Number.isNaN(v)) expect(f).toBe("");
        else if (Number(f) !== v) expect(Number(f)).toBe(v);
      } else {
        const code = c.codes[r]!;
        const want = code < 0 ? "" : c.levels[code]!;
        if (f !== want) expect(f).toBe(want);
      }
    });
  }
}

describe("writeCsv", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "absorb-csv-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const small: Frame = {
    nrows: 4,
    columns: new Map<string, Column>([
      ["x", { kind: "numeric", values: Float64Array.from([1.5, NaN, 0.1 + 0.2, -1e-300]) }],
      ["label", { kind: "categorical", codes: Int32Array.from([0, 1, -1, 2]), levels: ["plain", 'say "hi", ok', "a,b"] }],
      ["big", { kind: "numeric", values: Float64Array.from([1e21, 123456789012345680, -0.000001, 2 ** 53 + 2]) }],
    ]),
  };

  it("writes header, quoted levels and empty missing fields", async () => {
    const path = join(dir, "small.csv");
    await writeCsv(small, path);
    const text = await readFile(path, "utf8");
    expect(text.split("\n")[0]).toBe("x,label,big");
    expect(text.split("\n")[2]).toBe(`,"say ""hi"", ok",123456789012345680`);
    expect(text.split("\n")[3]).toBe(`0.30000000000000004,,-0.000001`);
    checkRoundTrip(small, text);
  });

  it("round-trips a generated panel through .csv and .csv.gz, across chunk boundaries", async () => {
    const panel = generatePanel({ firms: 5000, seed: 99 }); // ~20k rows: more than one write block
    expect(panel.nrows).toBeGreaterThan(16_384);
    const csvPath = join(dir, "panel.csv");
    const gzPath = join(dir, "panel.csv.gz");
    await writeCsv(panel, csvPath);
    await writeCsv(panel, gzPath);
    const plain = await readFile(csvPath, "utf8");
    const gz = await readFile(gzPath);
    expect(gz[0]).toBe(0x1f);
    expect(gz[1]).toBe(0x8b);
    const unzipped = gunzipSync(gz).toString("utf8");
    expect(unzipped).toBe(plain);
    checkRoundTrip(panel, plain);
  });
});
