/**
 * Products of regressors, a*b*c: kept unexpanded until the columns they name are checked and
 * their size is known, then expanded in R's order (every non-empty choice of factors, main
 * effects first), never past MAX_TERMS.
 */
import { productTerm, termVariables, type Term } from "./terms.js";

/** Most regressors one model may expand to (x0*x1*…*x13 alone is 16,383): beyond, the formula is refused before anything is built. */
export const MAX_TERMS = 10_000;

export interface LocatedTerm {
  term: Term;
  pos: number;
}
/** a*b*c before expansion: each factor a group of terms (l(x, 0:2) is three). */
export interface Product {
  groups: LocatedTerm[][];
  pos: number;
}
/** Terms of a product: every non-empty choice of its factors, main effects first (R's order). */
export function productSize(p: Product): number {
  return p.groups.reduce((s, g) => s * (1 + g.length), 1) - 1;
}

export function sizeText(p: Product): string {
  const size = productSize(p);
  if (size <= Number.MAX_SAFE_INTEGER) return String(size);
  return p.groups.every((g) => g.length === 1) ? `2^${p.groups.length} − 1` : "more than 2^53";
}

export function expandProduct(p: Product): LocatedTerm[] {
  if (p.groups.length === 1) return p.groups[0]!;
  const masks = Array.from({ length: 2 ** p.groups.length - 1 }, (_, k) => k + 1);
  masks.sort((a, b) => bitCount(a) - bitCount(b)); // stable: same-order terms stay in written order
  return masks.flatMap((mask) => crossTerms(p.groups.filter((_, j) => (mask >> j) & 1)));
}

/** x:l(z, 0:1) is x:z + x:l(z, 1): one term per choice of one term from each group. */
export function crossTerms(groups: LocatedTerm[][]): LocatedTerm[] {
  let out: { vars: string[]; pos: number }[] = [{ vars: [], pos: groups[0]![0]!.pos }];
  for (const g of groups) out = out.flatMap((o) => g.map((t) => ({ vars: [...o.vars, ...termVariables(t.term)], pos: o.pos })));
  return out.map((o) => ({ term: productTerm(o.vars), pos: o.pos }));
}

function bitCount(n: number): number {
  let count = 0;
  for (let m = n; m > 0; m >>= 1) count += m & 1;
  return count;
}
