import type { Column, Frame } from "../data/frame.js";
import { Rng } from "../core/random.js";
import { checkCount, numeric } from "./synthetic.js";

/**
 * Synthetic structural-gravity panel, following gen_gravity.R, the generator behind the gravity fixture (same distributions,
 * parameters, structure, column names and order; R's random stream is not reproduced, the panel
 * is deterministic for a seed). 120 countries × 20 years give the 285,600 rows of the reference
 * panel's shape; 200 × 25 give 995,000.
 *
 * Countries c = 1..N: location cx ~ U(0, 100), cy ~ U(0, 60); size ~ N(0, 1.2²); region ∈ 1..8.
 * Ordered pairs e ≠ i: dist = ‖loc_e − loc_i‖ + 1, ln_dist = log dist, contig = dist < 6,
 *   lang = same region or U < 0.05, pair_u ~ N(0, 0.5²);
 *   rta_year: per unordered pair, 0 (never) w.p. 0.35, else uniform over years 3..T−2; then for
 *   each ordered pair with dist > 60, set to 0 w.p. 0.5 (far pairs sign less often).
 * Exporter-year effects ey = size_e + 0.03 (year − 2000) · d + N(0, 0.15²) (d ~ N(0, 1), one draw),
 * importer-year effects iy = size_i + N(0, 0.15²).
 * η = 3.5 − 0.9 ln_dist + 0.5 contig + 0.3 lang + 0.25 rta + pair_u + ey + iy, μ = exp η, with
 * rta = rta_year > 0 and year ≥ rta_year;
 * trade = round(Gamma(shape 0.8, rate 0.8/μ) · 1[U > exp(−μ/2)], 4): mean ≈ μ, with zeros where μ is small;
 * any_trade = trade > 0; dist_km = round(dist · 50, 1).
 * Rows sorted by exporter, importer, year; ids "C001"…; pair "C001_C002".
 */
export const GRAVITY_PLANTED = { ln_dist: -0.9, contig: 0.5, lang: 0.3, rta: 0.25 } as const;

export interface GravityPanelOptions {
  readonly countries: number;
  readonly years: number;
  readonly seed: number;
}

export function generateGravityPanel(options: GravityPanelOptions): Frame {
  const { countries: N, years: T, seed } = options;
  checkCount("countries", N, 2);
  checkCount("years", T, 5);
  const rng = new Rng(seed);
  const cx = Array.from({ length: N }, () => rng.uniform(0, 100));
  const cy = Array.from({ length: N }, () => rng.uniform(0, 60));
  const size = Array.from({ length: N }, () => rng.normal(0, 1.2));
  const region = Array.from({ length: N }, () => rng.integer(8));
  // Entry year per unordered pair (0 = never): 0 w.p. 0.35, else one of years 3..T−2.
  const entry = new Int32Array(N * N);
  for (let a = 0; a < N; a++) {
    for (let b = a + 1; b < N; b++) {
      const year = rng.uniform() < 0.35 ? 0 : 2000 + 2 + rng.integer(T - 4);
      entry[a * N + b] = entry[b * N + a] = year;
    }
  }
  const drift = rng.normal();
  const ey = new Float64Array(N * T);
  const iy = new Float64Array(N * T);
  for (let c = 0; c < N; c++) for (let t = 0; t < T; t++) ey[c * T + t] = size[c] + 0.03 * t * drift + rng.normal(0, 0.15);
  for (let c = 0; c < N; c++) for (let t = 0; t < T; t++) iy[c * T + t] = size[c] + rng.normal(0, 0.15);

  const nrows = N * (N - 1) * T;
  const cols = {
    exporter: new Int32Array(nrows),
    importer: new Int32Array(nrows),
    pair: new Int32Array(nrows),
    year: new Float64Array(nrows),
    dist_km: new Float64Array(nrows),
    ln_dist: new Float64Array(nrows),
    contig: new Float64Array(nrows),
    lang: new Float64Array(nrows),
    rta: new Float64Array(nrows),
    rta_year: new Float64Array(nrows),
    trade: new Float64Array(nrows),
    any_trade: new Float64Array(nrows),
  };
  const ids = Array.from({ length: N }, (_, c) => `C${String(c + 1).padStart(3, "0")}`);
  const pairLevels: string[] = [];
  let r = 0;
  for (let e = 0; e < N; e++) {
    for (let i = 0; i < N; i++) {
      if (e === i) continue;
      const dist = Math.hypot(cx[e] - cx[i], cy[e] - cy[i]) + 1;
      const lnDist = Math.log(dist);
      const contig = dist < 6 ? 1 : 0;
      const lang = region[e] === region[i] || rng.uniform() < 0.05 ? 1 : 0;
      const pairU = rng.normal(0, 0.5);
      const rtaYear = dist > 60 && rng.uniform() < 0.5 ? 0 : entry[e * N + i];
      const pairCode = pairLevels.length;
      pairLevels.push(`${ids[e]}_${ids[i]}`);
      for (let t = 0; t < T; t++, r++) {
        const year = 2000 + t;
        const rta = rtaYear > 0 && year >= rtaYear ? 1 : 0;
        const eta = 3.5 - 0.9 * lnDist + 0.5 * contig + 0.3 * lang + 0.25 * rta + pairU + ey[e * T + t] + iy[i * T + t];
        const mu = Math.exp(eta);
        const flow = gammaDraw(rng, 0.8) * (mu / 0.8);
        const trade = rng.uniform() > Math.exp(-mu / 2) ? Math.round(flow * 1e4) / 1e4 : 0;
        cols.exporter[r] = e;
        cols.importer[r] = i;
        cols.pair[r] = pairCode;
        cols.year[r] = year;
        cols.dist_km[r] = Math.round(dist * 50 * 10) / 10;
        cols.ln_dist[r] = lnDist;
        cols.contig[r] = contig;
        cols.lang[r] = lang;
        cols.rta[r] = rta;
        cols.rta_year[r] = rtaYear;
        cols.trade[r] = trade;
        cols.any_trade[r] = trade > 0 ? 1 : 0;
      }
    }
  }
  const text = (codes: Int32Array, levels: readonly string[]): Column => ({ kind: "categorical", codes, levels });
  const columns = new Map<string, Column>([
    ["exporter", text(cols.exporter, ids)],
    ["importer", text(cols.importer, ids)],
    ["pair", text(cols.pair, pairLevels)],
    ["year", numeric(cols.year)],
    ["dist_km", numeric(cols.dist_km)],
    ["ln_dist", numeric(cols.ln_dist)],
    ["contig", numeric(cols.contig)],
    ["lang", numeric(cols.lang)],
    ["rta", numeric(cols.rta)],
    ["rta_year", numeric(cols.rta_year)],
    ["trade", numeric(cols.trade)],
    ["any_trade", numeric(cols.any_trade)],
  ]);
  return { nrows, columns };
}

/** Gamma(shape, rate 1) by Marsaglia–Tsang, boosted by U^(1/shape) for shape < 1. */
function gammaDraw(rng: Rng, shape: number): number {
  if (shape < 1) return gammaDraw(rng, shape + 1) * Math.pow(rng.uniform(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = rng.uniform();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}
