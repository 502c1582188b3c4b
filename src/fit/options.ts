import type { DemeanMethodOption } from "../engine/absorb/plan.js";
import type { SscOption } from "../vcov/ssc.js";
import type { VcovOption } from "../vcov/spec.js";

export interface FeolsOptions {
  /** Default "iid" (fixest ≥ 0.13, pyfixest, reghdfe). */
  readonly vcov?: VcovOption;
  /** Column of non-negative weights; rows with missing or zero weight are dropped and counted. */
  readonly weights?: string;
  /** Row subset: 1/true keeps a row. (The CLI's --where builds one from a predicate.) */
  readonly subset?: Uint8Array | readonly boolean[];
  /** "singleton" (default) drops singleton observations iteratively; "none" keeps them (fixest 0.12). */
  readonly fixefRm?: "singleton" | "none";
  /** Demeaning tolerance on the largest coefficient change (default 1e-8). */
  readonly tol?: number;
  /** Most demeaning iterations before giving up (default 10,000). */
  readonly maxIter?: number;
  /** Return a result flagged converged: false (with a warning) instead of failing. */
  readonly allowNonConvergence?: boolean;
  /** Demeaning method: "auto" (default) picks "exact" when the small fixed effects are few, else "cg". */
  readonly method?: DemeanMethodOption;
  /** Worker threads for demeaning (default: the machine's available cores); results do not depend on it. */
  readonly threads?: number;
  /** Small-sample corrections: "fixest" (the default), "reghdfe", or any of { kAdj, fixefK, gAdj, tDf }. */
  readonly ssc?: SscOption;
  /**
   * The panel, [id, time]: lags l(x, k), leads f(x, k) and differences d(x, k) in the formula are
   * taken along it (by time value), and a Newey–West / Driscoll–Kraay vcov without its own uses it.
   */
  readonly panelId?: readonly [string, string];
  /**
   * The fit may overwrite the data's columns it uses (default false): a frame read by readFrame
   * from CSV or Parquet then holds the model matrix in its own memory instead of beside a copy,
   * which saves the model's columns' size (a third of the peak for a large panel). The columns
   * are unusable afterwards: a later fit or post-estimation step (fixef, residuals, fitted,
   * predict) that reads them fails with an InputError. Only a single OLS fit uses it.
   */
  readonly consumeFrame?: boolean;
}

export const DEFAULTS = { tol: 1e-8, maxIter: 10_000 } as const;

/** feglm / fepois: the FeolsOptions (tol and maxIter stay the demeaning's) and the IRLS's own. */
export interface FeglmOptions extends FeolsOptions {
  /** "poisson", "logit", "probit" or "gaussian" (feglm's default, as fixest's). */
  readonly family?: "poisson" | "logit" | "probit" | "gaussian";
  /** Column added to the linear predictor with coefficient 1 (e.g. log exposure). */
  readonly offset?: string;
  /** IRLS stops when |dev − dev_old| / (0.1 + |dev|) falls below this (default 1e-12; fixest's is 1e-8). */
  readonly glmTol?: number;
  /** Most IRLS iterations (default 100). */
  readonly glmIter?: number;
}

export const GLM_DEFAULTS = { glmTol: 1e-12, glmIter: 100 } as const;
