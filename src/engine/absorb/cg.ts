import type { Arena, MemoryView } from "../arena.js";
import type { Kernels } from "../kernels.js";
import { smallLevels, type DemeanOutcome, type DemeanPlan, type FixedEffectPlan, type Scratch } from "./plan.js";
import { assembleSchur } from "./cg-schur.js";
import { defaultLimits, envelopeOf, type CgLimits } from "./cg-envelope.js";
import { InternalError } from "../../core/errors.js";

/**
 * The "cg" demeaning method: the largest fixed effect is absorbed exactly by group means, and
 * the coefficients γ of the others solve their Schur complement system
 *
 *     A γ = b,   A = D₂'W M₁ D₂,   b = D₂'W M₁ x,
 *
 * (D₁, D₂: indicator matrices of the largest and of the other effects, M₁ the projection off
 * D₁) by preconditioned conjugate gradients. A is applied without forming it, by two passes
 * over the rows (kernel cg_apply), so the iteration converges to the exact projection however
 * rough the preconditioner is.
 *
 * The preconditioner is A itself, assembled once per fit as a sparse matrix (only movers link
 * two firms, so the firm block is a sparse weighted graph Laplacian) from passes over the groups
 * and rows that read memory in order (pair terms within each group's level set, bucketed by row;
 * the rows of the last, small effect — years — accumulated densely), and factored by an envelope
 * (profile) Cholesky after a reverse Cuthill–McKee ordering of the sparse levels, with the few
 * dense levels (years: linked to every firm) ordered last so they cost one full row each. On a
 * worker–firm panel with limited mobility (a long chain of firms: the slowest case for
 * alternating projections) the envelope is a narrow band, the factor is exact up to rounding
 * and CG stops after one or two iterations. When the envelope would exceed a memory/flop
 * budget (a well-connected mobility graph), entries of the sparse block outside a band are
 * dropped with their magnitude added to both diagonals (which keeps the approximation ⪰ A);
 * random mobility graphs mix fast, so CG then needs few iterations anyway (13 on a 1M-row panel
 * with movers to random firms). A large graph that is neither (firms on a 2-D map) would get a
 * rough band and need many more iterations: an incomplete factorisation would serve it better.
 *
 * A is singular (one null direction per connected component of the levels' graph, plus one
 * per further effect): a pivot that vanishes to rounding is replaced by the level's weight, so
 * the preconditioner stays positive definite; b lies in A's range and the null components of γ
 * are absorbed by the first effect's means, so they do not affect the demeaned column.
 *
 * Stopping rule: rᵀM⁻¹r (with M ≈ A this is the squared A-norm of γ's error, which is the
 * squared norm of the error in the demeaned column) at or below tol² · ‖M₁x‖²_W: the demeaned
 * column is accurate to `tol` relative to the column net of the first effect. A tol below the
 * rounding level of the row sums (roundingLevel) is raised to it; should rounding still stall
 * or derail the iteration, the best iterate is kept and the column reports no convergence.
 */

/** A pivot below this times the level's weight counts as zero (a null direction of A). */
const PIVOT_TOL = 1e-9;
/** CG stops when rᵀz has not halved for this many iterations (stagnation at the rounding level)... */
const STAGNATION = 1000;
/** ...or has grown this much over its smallest value (rounding derails the iteration); the best iterate is kept. */
const DIVERGED = 1e8;

/** Everything cg needs beyond the DemeanPlan: pointers into the shared memory and a few sizes. */
export interface CgPlan {
  /** L: levels of the small fixed effects (fes[1..]), numbered fes[1] first. */
  readonly levels: number;
  /** m: number of small fixed effects. */
  readonly small: number;
  /** u32 pointers to the small effects' codes (m). */
  readonly codeTable: number;
  /** i32 first global level of each small effect (m). */
  readonly offsets: number;
  /** i32 (L): level at each position of the elimination order. */
  readonly perm: number;
  /** i32 (L + 1): start of each row of the envelope factor. */
  readonly envStart: number;
  /** i32 (L): first column of each row of the envelope factor. */
  readonly envFirst: number;
  /** f64: the envelope factor's rows. */
  readonly envValues: number;
  /** Diagnostics. */
  readonly envSize: number;
  /** Sparse-block band kept in the factor; -1 when the factor is exact (the whole envelope). */
  readonly band: number;
  readonly denseLevels: number;
  readonly schurEntries: number;
  readonly replacedPivots: number;
}

/** f64 values of per-thread scratch cg needs: r, z, p, q, the solve's work vector and a saved iterate, L each. */
export function cgScratchLength(cg: CgPlan): number {
  return 6 * cg.levels;
}

/**
 * Assembles the small effects' Schur complement (sparse), orders and factors it. All arrays the
 * plan points at live in the arena after its current top; temporaries are released.
 */
export function buildCgPlan(
  k: Kernels, arena: Arena, n: number, fes: readonly FixedEffectPlan[], rowWeights: number,
  limits: CgLimits = defaultLimits(n),
): CgPlan {
  const small = fes.slice(1);
  const { offsets, levels } = smallLevels(fes);
  const upper = assembleSchur(k, arena, n, fes, rowWeights, offsets, levels);
  const envelope = envelopeOf(levels, upper, n, limits);
  const rawP = new Float64Array(levels);
  for (let i = 0; i < levels; i++) rawP[i] = upper.raw[envelope.perm[i]];

  // ---- persistent arrays, then the numeric factorisation in place
  const codeTable = arena.putU32(small.map((fe) => fe.codes));
  const offPtr = arena.putI32(offsets);
  const permPtr = arena.putI32(envelope.perm, "the cg ordering");
  const envStart = arena.putI32(envelope.start, "the cg factor");
  const envFirst = arena.putI32(envelope.first, "the cg factor");
  const envValues = arena.putF64(envelope.values, "the cg factor");
  const rawMark = arena.mark();
  const rawPtr = arena.putF64(rawP);
  const replacedPivots = k.env_factor(levels, envStart, envFirst, envValues, rawPtr, PIVOT_TOL);
  arena.release(rawMark);
  return {
    levels, small: small.length, codeTable, offsets: offPtr, perm: permPtr, envStart, envFirst, envValues,
    envSize: envelope.values.length, band: envelope.band, denseLevels: envelope.dense, schurEntries: upper.val.length, replacedPivots,
  };
}

/** Demeans the column at x into out (may alias) by PCG on the Schur complement system. */
export function cgColumn(k: Kernels, arena: MemoryView, plan: DemeanPlan, s: Scratch, x: number, out: number): DemeanOutcome {
  const cg = plan.cg!;
  const { n, rowWeights: w, tol, maxIter } = plan;
  const fe0 = plan.fes[0];
  const G = fe0.size;
  const L = cg.levels;
  const m = cg.small;
  if (!s.work) throw new InternalError("the cg method needs scratch allocated for its plan (allocScratch)");
  const gamma = s.coef + G * 8;
  const r = s.work;
  const z = r + 8 * L;
  const p = z + 8 * L;
  const q = p + 8 * L;
  const y = q + 8 * L;
  const saved = y + 8 * L;
  const norm2 = k.cg_rhs(n, w, m, cg.codeTable, cg.offsets, fe0.codes, fe0.weights, G, s.coef, x, L, r);
  const gv = arena.f64(gamma, L);
  gv.fill(0);
  const target = Math.max(tol, roundingLevel(n)) ** 2 * norm2;
  let iterations = 0;
  let converged = true;
  if (norm2 > 0) {
    const rv = arena.f64(r, L);
    const zv = arena.f64(z, L);
    const pv = arena.f64(p, L);
    const qv = arena.f64(q, L);
    const best = arena.f64(saved, L);
    const precondition = () => k.env_solve(L, cg.envStart, cg.envFirst, cg.envValues, cg.perm, r, z, y);
    precondition();
    let rz = dot(rv, zv);
    pv.set(zv);
    let bestRz = rz;
    let bestAt = 0;
    let halvedAt = 0;
    let halvedRz = rz;
    while (rz > target && iterations < maxIter) {
      k.cg_apply(n, w, m, cg.codeTable, cg.offsets, fe0.codes, fe0.weights, G, s.coef, p, L, q);
      const pq = dot(pv, qv);
      if (!(pq > 0)) break; // p lies in A's null space to rounding: nothing left to gain
      const alpha = rz / pq;
      for (let i = 0; i < L; i++) {
        gv[i] += alpha * pv[i];
        rv[i] -= alpha * qv[i];
      }
      iterations++;
      precondition();
      const rzNext = dot(rv, zv);
      const beta = rzNext / rz;
      rz = rzNext;
      for (let i = 0; i < L; i++) pv[i] = zv[i] + beta * pv[i];
      if (rz < bestRz) {
        bestRz = rz;
        bestAt = iterations;
        if (rz > target) best.set(gv); // kept in case rounding derails the later iterations
      }
      if (rz < 0.5 * halvedRz) {
        halvedRz = rz;
        halvedAt = iterations;
      }
      // rounding has taken over: the residual blew up, or stopped shrinking
      if (rz > DIVERGED * bestRz || iterations - halvedAt >= STAGNATION) break;
    }
    converged = bestRz <= target;
    if (bestAt < iterations && bestAt > 0 && rz > bestRz) gv.set(best);
    else if (bestAt === 0 && iterations > 0 && rz > bestRz) gv.fill(0);
  }
  k.cg_residual(n, w, m, cg.codeTable, cg.offsets, fe0.codes, fe0.weights, G, s.coef, x, gamma, out);
  return { iterations, converged };
}

/**
 * The relative accuracy below which the demeaned column cannot be resolved: the rounding of the
 * row sums that apply A (observed ≈ 1e-12 on a million rows); tighter tolerances are raised to it.
 */
export function roundingLevel(n: number): number {
  return 64 * Number.EPSILON * Math.sqrt(n);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
