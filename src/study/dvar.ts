/**
 * The export domestic value-added ratio (DVAR) of a firm-year from its trade components, as in
 * Kee & Tang (2016) and Upward, Wang & Zheng (2013), with the cleaning of that literature.
 *
 *   FVA  = M^P_A + X^O·M^O_AM / (D + X^O) + s·[M^T − M^P_A − X^O·M^O_AM / (D + X^O)] + c·NFA
 *   DVAR = 1 − FVA / X
 *
 * M^P_A   processing imports (adjusted for imports through trade intermediaries)
 * M^O_AM  ordinary-trade intermediate imports (likewise adjusted)
 * D       domestic sales;   X^O ordinary exports;   X total exports
 * M^T     total intermediate inputs;   NFA net fixed assets
 * s       the foreign content of domestically bought inputs (default 0.05)
 * c       the imported-capital term: the share of net fixed assets counted as foreign value
 *         added in the year (default 0.0417)
 *
 * X^O·M^O_AM/(D + X^O) allocates ordinary imports to ordinary exports in proportion to the
 * firm's ordinary sales; it is 0 when X^O = 0 (a firm with no ordinary exports). The bracket is
 * the firm's inputs not imported directly for exports, of which a share s is foreign content.
 *
 * Cleaning, each step counted: rows with X ≤ 0 are dropped (no exports, no ratio); DVAR outside
 * [0, 1] is reported and, with `outOfRange: "drop"`, dropped. Rows with a missing component
 * (or D + X^O ≤ 0 with X^O > 0) keep a missing DVAR and are counted.
 */
import type { Frame } from "../data/frame.js";
import { toFrame, type DataInput } from "../data/input.js";
import { keepRows, numericColumn, numericInput, optionError, withColumns } from "./columns.js";

const BUILDER = "buildDvar";

/** The panel's trade-component columns (their default names are {@link TRADE_COLUMNS}). */
export interface TradeColumns {
  /** M^P_A, processing imports. */
  readonly processingImports: string;
  /** M^O_AM, ordinary-trade intermediate imports. */
  readonly ordinaryImports: string;
  /** D, domestic sales. */
  readonly domesticSales: string;
  /** X^O, ordinary exports. */
  readonly ordinaryExports: string;
  /** X, total exports. */
  readonly exports: string;
  /** M^T, total intermediate inputs. */
  readonly intermediates: string;
  /** NFA, net fixed assets. */
  readonly netFixedAssets: string;
}

export const TRADE_COLUMNS: TradeColumns = {
  processingImports: "imports_processing",
  ordinaryImports: "imports_ordinary",
  domesticSales: "domestic_sales",
  ordinaryExports: "exports_ordinary",
  exports: "exports",
  intermediates: "inputs_total",
  netFixedAssets: "net_fixed_assets",
};

export const DVAR_DEFAULTS = { s: 0.05, c: 0.0417 } as const;

export interface DvarOptions {
  /** Foreign content of domestic inputs (default 0.05); 0 gives the DVAR without that adjustment. */
  readonly s?: number;
  /** Imported-capital share of net fixed assets (default 0.0417). */
  readonly c?: number;
  /** Column names of the components, where they differ from {@link TRADE_COLUMNS}. */
  readonly columns?: Partial<TradeColumns>;
  /** Name of the column added (default "dvar"). */
  readonly name?: string;
  /** DVAR outside [0, 1]: "keep" (default: reported only) or "drop". */
  readonly outOfRange?: "keep" | "drop";
}

/** What the cleaning did, step by step. */
export interface DvarCleaning {
  /** Rows given. */
  readonly rowsIn: number;
  /** Step 1: rows with exports X ≤ 0, dropped. */
  readonly nonPositiveExports: number;
  /** Rows kept with a missing DVAR (a component missing, or D + X^O ≤ 0 with X^O > 0). */
  readonly missing: number;
  /** Step 2: rows (after step 1) with DVAR < 0. */
  readonly belowZero: number;
  /** Step 2: rows (after step 1) with DVAR > 1. */
  readonly aboveOne: number;
  /** belowZero + aboveOne. */
  readonly outOfRange: number;
  /** Of those, dropped (all of them with outOfRange: "drop", else 0). */
  readonly droppedOutOfRange: number;
  /** Rows returned. */
  readonly rowsOut: number;
}

export interface DvarResult {
  /** The input's rows that survive the cleaning, every input column plus the DVAR column. */
  readonly frame: Frame;
  readonly cleaning: DvarCleaning;
}

/** DVAR of one firm-year (the module formula); NaN when undefined. */
export function dvarOf(
  c: {
    readonly processingImports: number;
    readonly ordinaryImports: number;
    readonly domesticSales: number;
    readonly ordinaryExports: number;
    readonly exports: number;
    readonly intermediates: number;
    readonly netFixedAssets: number;
  },
  s: number = DVAR_DEFAULTS.s,
  capital: number = DVAR_DEFAULTS.c,
): number {
  return dvarFormula(
    c.processingImports, c.ordinaryImports, c.domesticSales, c.ordinaryExports, c.exports, c.intermediates, c.netFixedAssets, s, capital,
  );
}

function dvarFormula(mp: number, mo: number, d: number, xo: number, x: number, mt: number, nfa: number, s: number, c: number): number {
  let ordinary: number;
  if (xo === 0) ordinary = 0;
  else {
    const sales = d + xo;
    ordinary = sales > 0 ? (xo * mo) / sales : NaN;
  }
  const fva = mp + ordinary + s * (mt - mp - ordinary) + c * nfa;
  return 1 - fva / x;
}

/**
 * Adds the DVAR column to the firm panel and cleans it (module comment). The result's frame is
 * the input's rows that survive, with all of its columns, so builders compose:
 * `buildDvar(buildDvar(panel).frame, { s: 0, name: "dvar_alt" })`.
 */
export function buildDvar(data: DataInput, options: DvarOptions = {}): DvarResult {
  const s = options.s ?? DVAR_DEFAULTS.s;
  const c = options.c ?? DVAR_DEFAULTS.c;
  if (!(s >= 0 && s <= 1)) throw optionError(BUILDER, `s must be in [0, 1], got ${s}`);
  if (!(c >= 0 && c <= 1)) throw optionError(BUILDER, `c must be in [0, 1], got ${c}`);
  const outOfRange = options.outOfRange ?? "keep";
  if (outOfRange !== "keep" && outOfRange !== "drop") {
    throw optionError(BUILDER, `outOfRange must be "keep" or "drop", got ${JSON.stringify(outOfRange)}`);
  }
  const name = options.name ?? "dvar";
  const cols = { ...TRADE_COLUMNS, ...options.columns };
  const frame = toFrame(data);
  const get = (column: string) => numericInput(frame, column, BUILDER, "the firm panel");
  const mp = get(cols.processingImports);
  const mo = get(cols.ordinaryImports);
  const d = get(cols.domesticSales);
  const xo = get(cols.ordinaryExports);
  const x = get(cols.exports);
  const mt = get(cols.intermediates);
  const nfa = get(cols.netFixedAssets);

  const n = frame.nrows;
  const dvar = new Float64Array(n);
  const keep = new Uint8Array(n);
  let nonPositive = 0, missing = 0, below = 0, above = 0;
  const drop = outOfRange === "drop";
  for (let r = 0; r < n; r++) {
    const xr = x[r]!;
    if (xr <= 0) {
      nonPositive++;
      continue;
    }
    const v = dvarFormula(mp[r]!, mo[r]!, d[r]!, xo[r]!, xr, mt[r]!, nfa[r]!, s, c);
    dvar[r] = v;
    if (v !== v) missing++;
    else if (v < 0 || v > 1) {
      if (v < 0) below++;
      else above++;
      if (drop) continue;
    }
    keep[r] = 1;
  }
  const added = withColumns(frame, [[name, numericColumn(dvar)]]);
  const out = keepRows(added, keep);
  const outOfRangeRows = below + above;
  return {
    frame: out,
    cleaning: {
      rowsIn: n,
      nonPositiveExports: nonPositive,
      missing,
      belowZero: below,
      aboveOne: above,
      outOfRange: outOfRangeRows,
      droppedOutOfRange: drop ? outOfRangeRows : 0,
      rowsOut: out.nrows,
    },
  };
}
