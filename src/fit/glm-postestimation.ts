import type { NumericColumn } from "../data/frame.js";
import { toFrame, type DataInput } from "../data/input.js";
import { selectColumns } from "../data/select.js";
import { InputError } from "../core/errors.js";
import { FAMILIES } from "./glm-family.js";
import type { FeglmResult, GlmSampleFit } from "./glm-result.js";
import { linearPredictor, modelOf, type Prediction } from "./postestimation.js";

/**
 * After a GLM: fitted values and predictions on the response scale μ = g⁻¹(η) or the link scale
 * η = Xβ + fixed effects + offset, and the four residual types of R's residuals.glm. fixef()
 * (postestimation.ts) gives the fixed effects of η (net of the offset), normalised as for feols.
 */
export type GlmScale = "response" | "link";
export type GlmResidualType = "response" | "deviance" | "pearson" | "working";

function sampleFit(fit: FeglmResult): GlmSampleFit {
  if (!fit.fit) throw new InputError("option", "this result carries no post-estimation data (it was not made by feglm)");
  return fit.fit;
}

/** μ (default) or η over the estimation sample. */
export function glmFitted(fit: FeglmResult, o: { readonly type?: GlmScale } = {}): Float64Array {
  const s = sampleFit(fit);
  return (o.type ?? "response") === "link" ? s.eta.slice() : s.mu.slice();
}

/**
 * Residuals over the estimation sample: response y − μ; pearson (y − μ)·√w/√V(μ); deviance
 * sign(y − μ)·√(w · unit deviance); working (y − μ)/μ'(η) (w: the prior weights).
 */
export function glmResiduals(fit: FeglmResult, o: { readonly type?: GlmResidualType } = {}): Float64Array {
  const { y, eta, mu, weights } = sampleFit(fit);
  const family = FAMILIES[fit.family];
  const type = o.type ?? "response";
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const r = y[i] - mu[i];
    const w = weights ? weights[i] : 1;
    if (type === "response") out[i] = r;
    else if (type === "working") out[i] = r / family.muEta(eta[i], mu[i]);
    else if (type === "pearson") out[i] = (r * Math.sqrt(w)) / Math.sqrt(family.variance(mu[i]));
    else if (type === "deviance") out[i] = Math.sign(r) * Math.sqrt(Math.max(w * family.unitDeviance(y[i], mu[i]), 0));
    else throw new InputError("option", `unknown residual type ${JSON.stringify(type)}: use "response", "deviance", "pearson" or "working"`);
  }
  return out;
}

/**
 * Predictions on new rows, on the response (default) or link scale; a fit with an offset reads
 * the same offset column from the new data. Rows with an unseen fixed-effect level or a missing
 * value get null and are counted, as predict() does for feols.
 */
export function glmPredict(fit: FeglmResult, newdata: DataInput, o: { readonly type?: GlmScale } = {}): Prediction {
  const m = modelOf(fit);
  const frame = toFrame(newdata);
  const linear = linearPredictor(m, frame, null);
  let offset: Float64Array | null = null;
  if (fit.offset) {
    selectColumns(frame, [fit.offset], "the new data");
    const col = frame.columns.get(fit.offset)!;
    if (col.kind !== "numeric") throw new InputError("column", `offset column "${fit.offset}" of the new data is not numeric`);
    offset = (col as NumericColumn).values;
  }
  const family = FAMILIES[fit.family];
  const response = (o.type ?? "response") === "response";
  let missing = linear.missing;
  const values = linear.values.map((v, i) => {
    if (v === null) return null;
    const eta = v + (offset ? offset[i] : 0);
    if (eta !== eta) {
      missing++;
      return null;
    }
    return response ? family.linkinv(eta) : eta;
  });
  return { values, unseen: linear.unseen, missing };
}
