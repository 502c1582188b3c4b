/**
 * Frames as Apache Arrow tables, e.g. Theil's group table handed straight to feols. Apart from
 * readers/arrow.ts because building a table takes the whole of apache-arrow, about 0.1 s to
 * load, which reading a table does not need.
 */
import { Dictionary, Float64, Int32, Table, Utf8, type Vector, makeData, makeVector, vectorFromArray } from "apache-arrow";
import type { CategoricalColumn, Frame, NumericColumn } from "../frame.js";

/** An Arrow table of the frame: numeric as Float64 (NaN → null), categorical as Dictionary<Utf8, Int32>. */
export function frameToArrow(frame: Frame): Table {
  const vectors: Record<string, Vector> = {};
  for (const [name, column] of frame.columns) {
    vectors[name] = column.kind === "numeric" ? numericVector(column) : dictionaryVector(column);
  }
  return new Table(vectors);
}

function numericVector(column: NumericColumn): Vector {
  const { values } = column;
  const { bitmap, nullCount } = validityBitmap(values.length, (i) => !Number.isNaN(values[i]));
  return makeVector(makeData({ type: new Float64(), length: values.length, nullCount, nullBitmap: bitmap, data: values }));
}

function dictionaryVector(column: CategoricalColumn): Vector {
  const { codes } = column;
  const { bitmap, nullCount } = validityBitmap(codes.length, (i) => codes[i] >= 0);
  // Readers may check indices under null slots too, so those point at entry 0, not -1.
  const indices = nullCount > 0 ? codes.map((c) => (c < 0 ? 0 : c)) : codes;
  const dictionary = vectorFromArray([...column.levels], new Utf8());
  return makeVector(
    makeData({
      type: new Dictionary(new Utf8(), new Int32()),
      length: codes.length,
      nullCount,
      nullBitmap: bitmap,
      data: indices,
      dictionary,
    }),
  );
}

/** An Arrow validity bitmap (1 = present), or none when every row is present. */
function validityBitmap(n: number, present: (i: number) => boolean): { bitmap: Uint8Array | undefined; nullCount: number } {
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    if (present(i)) bitmap[i >> 3] |= 1 << (i & 7);
    else nullCount++;
  }
  return { bitmap: nullCount > 0 ? bitmap : undefined, nullCount };
}
