import type Gammaln from "@stdlib/math-base-special-gammaln";
import type NormalCdf from "@stdlib/stats-base-dists-normal-cdf";
import { vendored } from "../core/vendored.js";

/**
 * The GLM families feglm fits: link, variance, deviance and log-likelihood, with R's numerical
 * guards (the logit and probit links are clamped as R's binomial() clamps them, so fitted
 * probabilities stay inside (0, 1) and the IRLS weights stay positive). Every function works on
 * whole columns (one value per sample row); `w` are the prior (user) weights or null.
 */
export type FamilyName = "poisson" | "logit" | "probit" | "gaussian";

export const FAMILY_NAMES: readonly FamilyName[] = ["poisson", "logit", "probit", "gaussian"];

// Required on first use: ~190 small CommonJS files, which only Poisson's log-likelihood and the
// probit link use, so importing absorb does not load them.
const gammaln = vendored<typeof Gammaln>("stdlib.cjs", "@stdlib/math-base-special-gammaln");
const normalCdf = vendored<typeof NormalCdf>("stdlib.cjs", "@stdlib/stats-base-dists-normal-cdf");

export interface Family {
  readonly name: FamilyName;
  /** What the outcome must be: counts (≥ 0), 0/1, or any real number. */
  readonly outcome: "count" | "binary" | "real";
  /** Dispersion fixed at 1 (Poisson, binomial): z statistics and normal p-values. */
  readonly unitDispersion: boolean;
  /** μ = g⁻¹(η). */
  linkinv(eta: number): number;
  /** dμ/dη at η (μ = linkinv(η)). */
  muEta(eta: number, mu: number): number;
  variance(mu: number): number;
  /** The IRLS starting mean for an observation (R's family initialize). */
  start(y: number, w: number): number;
  /** η of a starting mean. */
  linkfun(mu: number): number;
  /** One observation's deviance (unweighted). */
  unitDeviance(y: number, mu: number): number;
  /** Σ w · unit deviance. */
  deviance(y: Float64Array, mu: Float64Array, w: Float64Array | null): number;
  /** Σ w · log density at the fitted means. */
  loglik(y: Float64Array, mu: Float64Array, w: Float64Array | null): number;
  /** loglik without its terms that do not involve μ (Poisson: −Σ w log y!); loglik itself for the others. */
  loglikKernel(y: Float64Array, mu: Float64Array, w: Float64Array | null): number;
  /** A fitted mean the family accepts (finite and inside its range). */
  validMu(mu: number): boolean;
}

const EPS = 2.220446049250313e-16;
/** −qnorm(ε): R's probit link clamps η to ±this. */
const PROBIT_THRESH = 8.125890664701906;
const INV_SQRT_2PI = 0.3989422804014327;

function weightedSum(n: number, w: Float64Array | null, term: (i: number) => number): number {
  let s = 0;
  if (w) for (let i = 0; i < n; i++) s += w[i] * term(i);
  else for (let i = 0; i < n; i++) s += term(i);
  return s;
}

/** y log(y/μ) with 0 log 0 = 0. */
function ylogy(y: number, mu: number): number {
  return y > 0 ? y * Math.log(y / mu) : 0;
}

function binaryUnitDeviance(y: number, mu: number): number {
  return 2 * (ylogy(y, mu) + ylogy(1 - y, 1 - mu));
}

function poissonUnitDeviance(y: number, mu: number): number {
  return 2 * (ylogy(y, mu) - (y - mu));
}

function gaussianUnitDeviance(y: number, mu: number): number {
  return (y - mu) ** 2;
}

function sumDeviance(unit: (y: number, mu: number) => number): Family["deviance"] {
  return (y, mu, w) => weightedSum(y.length, w, (i) => unit(y[i], mu[i]));
}

function binaryLoglik(y: Float64Array, mu: Float64Array, w: Float64Array | null): number {
  return weightedSum(y.length, w, (i) => (y[i] > 0 ? y[i] * Math.log(mu[i]) : 0) + (y[i] < 1 ? (1 - y[i]) * Math.log(1 - mu[i]) : 0));
}

const binaryCommon = {
  outcome: "binary" as const,
  unitDispersion: true,
  variance: (mu: number) => mu * (1 - mu),
  // quasibinomial's initialize, as fixest uses it.
  start: (y: number, w: number) => (w * y + 0.5) / (w + 1),
  unitDeviance: binaryUnitDeviance,
  deviance: sumDeviance(binaryUnitDeviance),
  loglik: binaryLoglik,
  loglikKernel: binaryLoglik,
  validMu: (mu: number) => mu > 0 && mu < 1,
};

const poisson: Family = {
  name: "poisson",
  outcome: "count",
  unitDispersion: true,
  linkinv: (eta) => Math.exp(eta),
  muEta: (_eta, mu) => mu,
  variance: (mu) => mu,
  start: (y) => y + 0.1,
  linkfun: (mu) => Math.log(mu),
  unitDeviance: poissonUnitDeviance,
  deviance: sumDeviance(poissonUnitDeviance),
  loglik: (y, mu, w) => poisson.loglikKernel(y, mu, w) - weightedSum(y.length, w, (i) => (y[i] === 0 || y[i] === 1 ? 0 : gammaln()(y[i] + 1))),
  loglikKernel: (y, mu, w) => weightedSum(y.length, w, (i) => (y[i] > 0 ? y[i] * Math.log(mu[i]) : 0) - mu[i]),
  validMu: (mu) => mu > 0 && Number.isFinite(mu),
};

const logit: Family = {
  ...binaryCommon,
  name: "logit",
  linkinv: (eta) => (eta < -30 ? EPS : eta > 30 ? 1 - EPS : 1 / (1 + Math.exp(-eta))),
  muEta: (eta) => {
    if (eta > 30 || eta < -30) return EPS;
    const e = Math.exp(eta);
    return e / ((1 + e) * (1 + e));
  },
  linkfun: (mu) => Math.log(mu / (1 - mu)),
};

const probit: Family = {
  ...binaryCommon,
  name: "probit",
  linkinv: (eta) => normalCdf()(Math.min(Math.max(eta, -PROBIT_THRESH), PROBIT_THRESH), 0, 1),
  muEta: (eta) => Math.max(INV_SQRT_2PI * Math.exp(-0.5 * eta * eta), EPS),
  linkfun: (mu) => probitQuantile(mu),
};

const gaussian: Family = {
  name: "gaussian",
  outcome: "real",
  unitDispersion: false,
  linkinv: (eta) => eta,
  muEta: () => 1,
  variance: () => 1,
  start: (y) => y,
  linkfun: (mu) => mu,
  unitDeviance: gaussianUnitDeviance,
  deviance: sumDeviance(gaussianUnitDeviance),
  // R's gaussian()$aic / −2: the likelihood at σ² = deviance / n.
  loglik: (y, mu, w) => {
    const n = y.length;
    const dev = gaussian.deviance(y, mu, w);
    const logW = w ? weightedSum(n, null, (i) => Math.log(w[i])) : 0;
    return -0.5 * (n * (Math.log((2 * Math.PI * dev) / n) + 1) + 2 - logW);
  },
  validMu: (mu) => Number.isFinite(mu),
  loglikKernel: (y, mu, w) => gaussian.loglik(y, mu, w),
};

export const FAMILIES: Readonly<Record<FamilyName, Family>> = { poisson, logit, probit, gaussian };

/** Φ⁻¹(p) by bisection-free Newton steps from a logistic guess: only used for starting values. */
function probitQuantile(p: number): number {
  let x = Math.log(p / (1 - p)) / 1.6;
  for (let it = 0; it < 50; it++) {
    const step = (normalCdf()(x, 0, 1) - p) / (INV_SQRT_2PI * Math.exp(-0.5 * x * x));
    x -= step;
    if (Math.abs(step) < 1e-14) break;
  }
  return x;
}

/**
 * The log-likelihood of the intercept-only model (no fixed effects, no regressors): the
 * denominator of the pseudo R², as fixest computes it. The intercept-only MLE is the weighted
 * mean ȳ for every family here, so this is the family's log-likelihood at μ = ȳ; `constant` is
 * the part without μ (Poisson's −Σ w log y!), as the fit's loglik − loglikKernel gives it.
 */
export function nullLoglik(family: Family, y: Float64Array, w: Float64Array | null, constant: number): number {
  return family.loglikKernel(y, meanVector(y, w), w) + constant;
}

/** The deviance of the intercept-only model. */
export function nullDeviance(family: Family, y: Float64Array, w: Float64Array | null): number {
  return family.deviance(y, meanVector(y, w), w);
}

function meanVector(y: Float64Array, w: Float64Array | null): Float64Array {
  const n = y.length;
  const sw = w ? weightedSum(n, null, (i) => w[i]) : n;
  const mean = weightedSum(n, w, (i) => y[i]) / sw;
  return new Float64Array(n).fill(mean);
}
