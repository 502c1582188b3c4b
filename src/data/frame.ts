/**
 * The in-memory table the estimators work on: named columns of one length.
 * Numeric columns are float64 with NaN for missing; text (or dictionary) columns keep
 * dense int32 codes into a level list, -1 for missing, so no per-row JS strings survive ingest.
 */
export interface NumericColumn {
  readonly kind: "numeric";
  readonly values: Float64Array;
}

export interface CategoricalColumn {
  readonly kind: "categorical";
  /** Dense codes 0..levels.length-1, -1 for missing. */
  readonly codes: Int32Array;
  readonly levels: readonly string[];
}

export type Column = NumericColumn | CategoricalColumn;

export interface Frame {
  readonly nrows: number;
  readonly columns: ReadonlyMap<string, Column>;
}
