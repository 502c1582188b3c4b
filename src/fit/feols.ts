import { toFrame, type DataInput } from "../data/input.js";
import { parseFormula } from "../formula/parse.js";
import { fitRequest } from "./request.js";
import { runPlan } from "./plan.js";
import type { FeolsOptions } from "./options.js";
import type { FeolsResult } from "./result.js";
import type { FitHook } from "./fit-hook.js";

/**
 * OLS with any number of high-dimensional fixed effects, in fixest's formula syntax:
 * `await feols(data, "y ~ x1 + x2 | fe1 + fe2", { vcov: { cluster: "fe1" } })`. A formula with an
 * IV part, `y ~ x1 | fe1 + fe2 | endo ~ inst1 + inst2`, is estimated by 2SLS (src/fit/solvers/iv.ts)
 * and returns an IvResult.
 */
export function feols(data: DataInput, formula: string, options: FeolsOptions = {}): Promise<FeolsResult> {
  return fitOls(data, formula, options);
}

/**
 * @internal feols with a hook that sees the fit's wasm state before the arena is released (the
 * wild cluster bootstrap replicates from it); kept off the public entry and its declarations.
 * A single fit is a plan of one (plan.ts): the request, then its one group's sample, model
 * matrix, absorption and solve.
 */
export async function fitOls(data: DataInput, formula: string, options: FeolsOptions, hook?: FitHook): Promise<FeolsResult> {
  const started = performance.now();
  const frame = toFrame(data);
  // Columns are checked before the formula is expanded: a typo in x0*…*x25 is reported as such.
  const spec = parseFormula(formula, frame.columns);
  const [result] = await runPlan(fitRequest(frame, [spec], options), { hook, started });
  return result;
}
