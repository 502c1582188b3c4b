/**
 * The result of {@link theil}: the per-group table, the decomposition, and their forms as
 * JSON (the CLI's shape), as a Frame / Arrow table (straight into feols), and as text.
 */
import type { Table } from "apache-arrow";
import type { CategoricalColumn, Column, Frame, NumericColumn } from "../data/frame.js";
import type { Indices, NonpositiveMode } from "./indices.js";
import type { Split, Splits } from "./decompose.js";
import { keyLabel, type GroupKey } from "./grouping.js";
import { formatPrinted as fmt } from "../core/format.js";

export interface StandardErrors {
  readonly theil_t: number | null;
  readonly theil_l: number | null;
  readonly ge: number | null;
}

export interface TheilGroup extends Indices {
  readonly key: GroupKey;
  /** Rows the indices are computed over. */
  readonly n: number;
  /** Rows left out for a value ≤ 0 (nonpositive "drop"). */
  readonly dropped: number;
  /** Bootstrap standard errors, with options.bootstrap; otherwise null. */
  readonly se: StandardErrors | null;
}

export interface DecompositionGroup extends Indices {
  readonly key: GroupKey;
  readonly n: number;
}

/** One super-group's split (decompose.each): its key, rows, split and groups. */
export interface DecompositionPart extends Splits {
  readonly key: GroupKey;
  readonly n: number;
  readonly groups: readonly DecompositionGroup[];
}

export interface TheilDecomposition extends Splits {
  /** The grouping the inequality is split over. */
  readonly by: readonly string[];
  readonly n: number;
  readonly groups: readonly DecompositionGroup[];
  /** With decompose.each: the same split within each super-group. */
  readonly each: { readonly by: readonly string[]; readonly groups: readonly DecompositionPart[] } | null;
}

export interface TheilResultInit {
  value: string;
  by: readonly string[];
  weights: string | null;
  alpha: number | null;
  nonpositive: NonpositiveMode;
  groups: TheilGroup[];
  nobs: number;
  droppedNonpositive: number;
  droppedMissing: number;
  droppedWeights: number;
  decomposition: TheilDecomposition | null;
  bootstrap: { B: number; seed: number } | null;
  /**
   * Builds toArrow's table (writers/arrow.ts's frameToArrow): passed in, so that this module,
   * which importing absorb loads, does not load apache-arrow.
   */
  arrowTable: (frame: Frame) => Table;
}

/** The output columns a grouping column may not be named. */
export const RESERVED_COLUMNS = ["n", "dropped", "mean", "theil_t", "theil_l", "ge", "se_theil_t", "se_theil_l", "se_ge"] as const;

export class TheilResult {
  /** The value column. */
  readonly value: string;
  /** The grouping columns (none: one group of all rows). */
  readonly by: readonly string[];
  readonly weights: string | null;
  /** GE(α)'s α, or null when not asked. */
  readonly alpha: number | null;
  readonly nonpositive: NonpositiveMode;
  /** One entry per group, in key order; a group with no usable rows has n 0 and null indices. */
  readonly groups: readonly TheilGroup[];
  /** Rows the indices use, over all groups. */
  readonly nobs: number;
  /** Rows dropped for a value ≤ 0 (nonpositive "drop"). */
  readonly droppedNonpositive: number;
  /** Rows dropped for a missing value or grouping key. */
  readonly droppedMissing: number;
  /** Rows dropped for a missing or zero weight. */
  readonly droppedWeights: number;
  readonly decomposition: TheilDecomposition | null;
  readonly bootstrap: { readonly B: number; readonly seed: number } | null;
  readonly #arrowTable: (frame: Frame) => Table;

  constructor(init: TheilResultInit) {
    this.value = init.value;
    this.by = init.by;
    this.weights = init.weights;
    this.alpha = init.alpha;
    this.nonpositive = init.nonpositive;
    this.groups = init.groups;
    this.nobs = init.nobs;
    this.droppedNonpositive = init.droppedNonpositive;
    this.droppedMissing = init.droppedMissing;
    this.droppedWeights = init.droppedWeights;
    this.decomposition = init.decomposition;
    this.bootstrap = init.bootstrap;
    this.#arrowTable = init.arrowTable;
  }

  /** The group with this key (e.g. { industry: 3, year: 2005 }), if any. */
  group(key: GroupKey): TheilGroup | undefined {
    const want = this.by.map((c) => key[c]);
    return this.groups.find((g) => this.by.every((c, j) => g.key[c] === want[j]));
  }

  /**
   * The per-group table: key columns, n, dropped, mean, theil_t, theil_l, then ge (with α) and
   * se_theil_t, se_theil_l, se_ge (with the bootstrap); null indices are missing values.
   */
  toFrame(): Frame {
    const columns = new Map<string, Column>();
    for (const name of this.by) columns.set(name, keyColumn(this.groups.map((g) => g.key[name])));
    const numeric = (pick: (g: TheilGroup) => number | null): NumericColumn => ({
      kind: "numeric",
      values: Float64Array.from(this.groups, (g) => pick(g) ?? NaN),
    });
    columns.set("n", numeric((g) => g.n));
    columns.set("dropped", numeric((g) => g.dropped));
    columns.set("mean", numeric((g) => g.mean));
    columns.set("theil_t", numeric((g) => g.theil_t));
    columns.set("theil_l", numeric((g) => g.theil_l));
    if (this.alpha !== null) columns.set("ge", numeric((g) => g.ge));
    if (this.bootstrap) {
      columns.set("se_theil_t", numeric((g) => g.se?.theil_t ?? null));
      columns.set("se_theil_l", numeric((g) => g.se?.theil_l ?? null));
      if (this.alpha !== null) columns.set("se_ge", numeric((g) => g.se?.ge ?? null));
    }
    return { nrows: this.groups.length, columns };
  }

  /** The per-group table as an Arrow table (numbers Float64, text keys Dictionary<Utf8>), e.g. for feols. */
  toArrow(): Table {
    return this.#arrowTable(this.toFrame());
  }

  /** The JSON object `absorb theil --json` prints. */
  toJSON(): Record<string, unknown> {
    const withAlpha = this.alpha !== null;
    const stats = (g: Indices) => ({
      mean: g.mean,
      theil_t: g.theil_t,
      theil_l: g.theil_l,
      ...(withAlpha ? { ge: g.ge } : {}),
    });
    const json: Record<string, unknown> = {
      value: this.value,
      alpha: this.alpha,
      groups: this.groups.map((g) => ({ ...g.key, n: g.n, dropped: g.dropped, ...stats(g) })),
      dropped_nonpositive: this.droppedNonpositive,
    };
    const d = this.decomposition;
    if (d) {
      json.decomposition = {
        by: d.by.join(","),
        ...splitJson("t", d.theil_t),
        ...splitJson("l", d.theil_l),
        ...(d.ge ? splitJson("ge", d.ge) : {}),
        groups: d.groups.map((g) => ({ ...g.key, n: g.n, ...stats(g) })),
      };
    }
    return json;
  }

  /** A readable report: the group table, then the decomposition. */
  summary(): string {
    const lines: string[] = [];
    const weighted = this.weights ? `, weighted by ${this.weights}` : "";
    const by = this.by.length > 0 ? ` by ${this.by.join(", ")}` : "";
    lines.push(`Theil indices of ${this.value}${by}${weighted}${this.alpha !== null ? `, GE(${this.alpha})` : ""}`);
    const dropped = [
      this.droppedNonpositive > 0 ? `${count(this.droppedNonpositive)} non-positive` : "",
      this.droppedMissing > 0 ? `${count(this.droppedMissing)} with a missing value or key` : "",
      this.droppedWeights > 0 ? `${count(this.droppedWeights)} with a missing or zero weight` : "",
    ].filter(Boolean);
    lines.push(`Groups: ${count(this.groups.length)}   Rows: ${count(this.nobs)}${dropped.length > 0 ? `   Dropped: ${dropped.join(", ")}` : ""}`);
    lines.push("");
    const statHeader = ["mean", "theil_t", "theil_l", ...(this.alpha !== null ? ["ge"] : [])];
    const se = this.bootstrap !== null;
    const header = [...this.by, "n", "dropped", ...statHeader, ...(se ? ["se_theil_t", "se_theil_l"] : [])];
    const rows = this.groups.map((g) => [
      ...this.by.map((c) => String(g.key[c])),
      String(g.n),
      String(g.dropped),
      ...statCells(g, this.alpha !== null),
      ...(se ? [fmt(g.se?.theil_t ?? null), fmt(g.se?.theil_l ?? null)] : []),
    ]);
    lines.push(...table(header, rows));
    if (se) lines.push(`Standard errors: bootstrap, ${this.bootstrap!.B} resamples of rows within each group (seed ${this.bootstrap!.seed})`);
    const d = this.decomposition;
    if (d) {
      lines.push("", `Decomposition by ${d.by.join(", ")} (${count(d.n)} rows)`);
      const splits: [string, Split | null][] = [["Theil T", d.theil_t], ["Theil L", d.theil_l], [`GE(${this.alpha})`, d.ge]];
      const splitRows = splits.filter(([, s]) => s !== null).map(([name, s]) => [name, fmt(s!.total), fmt(s!.within), fmt(s!.between)]);
      lines.push(...table(["", "total", "within", "between"], splitRows));
      lines.push("");
      lines.push(...table([...d.by, "n", ...statHeader], d.groups.map((g) => [...d.by.map((c) => String(g.key[c])), String(g.n), ...statCells(g, this.alpha !== null)])));
    }
    return lines.join("\n");
  }

  toString(): string {
    return this.summary();
  }
}

function splitJson(suffix: string, s: Split): Record<string, number | null> {
  return { [`total_${suffix}`]: s.total, [`within_${suffix}`]: s.within, [`between_${suffix}`]: s.between };
}

/** A key column: numeric when the keys are numbers, categorical (levels in first-seen order) otherwise. */
function keyColumn(values: readonly (number | string)[]): Column {
  if (values.every((v) => typeof v === "number")) return { kind: "numeric", values: Float64Array.from(values as number[]) };
  const levels: string[] = [];
  const index = new Map<string, number>();
  const codes = Int32Array.from(values, (v) => {
    const s = String(v);
    let c = index.get(s);
    if (c === undefined) index.set(s, (c = levels.push(s) - 1));
    return c;
  });
  return { kind: "categorical", codes, levels } satisfies CategoricalColumn;
}

function statCells(g: Indices, withAlpha: boolean): string[] {
  return [fmt(g.mean), fmt(g.theil_t), fmt(g.theil_l), ...(withAlpha ? [fmt(g.ge)] : [])];
}

function table(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, j) => Math.max(...all.map((r) => r[j].length)));
  return all.map((r) => r.map((cell, j) => (j === 0 && header[0] === "" ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join("  ").trimEnd());
}


function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** "industry=1, year=2000 (5), …" for up to `max` groups. */
export function groupList(items: readonly { key: GroupKey; count: number }[], max = 5): string {
  const shown = items.slice(0, max).map((it) => `${keyLabel(it.key)} (${it.count})`);
  if (items.length > max) shown.push(`and ${items.length - max} more`);
  return shown.join("; ");
}
