import { describe, expect, test } from "vitest";
import fc from "fast-check";
import {
  Bool,
  DateDay,
  Decimal,
  Dictionary,
  Float32,
  Float64,
  Int32,
  Int64,
  Int8,
  RecordBatch,
  Table,
  TimestampMillisecond,
  Uint64,
  Utf8,
  makeData,
  makeVector,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
} from "apache-arrow";
import { InputError } from "../src/core/errors.js";
import type { Frame } from "../src/data/frame.js";
import { frameFromArrow, frameFromRecord } from "../src/data/readers/arrow.js";
import { frameToArrow } from "../src/data/writers/arrow.js";
import { selectColumns } from "../src/data/select.js";
import { inputError } from "./helpers/errors.js";

/** A frame as plain arrays, so failures print readably (NaN compares equal to NaN). */
function plain(frame: Frame): Record<string, unknown> {
  const out: Record<string, unknown> = { nrows: frame.nrows };
  for (const [name, col] of frame.columns) {
    out[name] = col.kind === "numeric" ? Array.from(col.values) : { codes: Array.from(col.codes), levels: [...col.levels] };
  }
  return out;
}


/** One Dictionary<Utf8, Int32> chunk with its own dictionary; null indices are missing rows. */
function dictionaryData(dictionary: string[], indices: (number | null)[]) {
  const bitmap = new Uint8Array(Math.ceil(indices.length / 8));
  indices.forEach((k, i) => {
    if (k !== null) bitmap[i >> 3] |= 1 << (i & 7);
  });
  return makeData({
    type: new Dictionary(new Utf8(), new Int32(), 0),
    length: indices.length,
    nullCount: indices.filter((k) => k === null).length,
    nullBitmap: bitmap,
    data: Int32Array.from(indices, (k) => k ?? 0),
    dictionary: vectorFromArray(dictionary, new Utf8()),
  });
}

describe("frameFromArrow", () => {
  const table = new Table({
    f64: vectorFromArray([1.5, null, -2, 4], new Float64()),
    f32: vectorFromArray([0.5, 1, null, 2], new Float32()),
    i8: vectorFromArray([1, -1, null, 127], new Int8()),
    i64: vectorFromArray([-3n, 2n ** 40n, null, 9007199254740991n], new Int64()),
    u64: vectorFromArray([0n, 4294967296n, 1n, null], new Uint64()),
    bool: vectorFromArray([true, false, null, true], new Bool()),
    text: vectorFromArray(["b", null, "a", "b"], new Utf8()),
  });

  test("numeric types become float64 with NaN for null; text becomes codes in order of appearance", () => {
    expect(plain(frameFromArrow(table))).toEqual({
      nrows: 4,
      f64: [1.5, NaN, -2, 4],
      f32: [0.5, 1, NaN, 2],
      i8: [1, -1, NaN, 127],
      i64: [-3, 2 ** 40, NaN, 9007199254740991],
      u64: [0, 4294967296, 1, NaN],
      bool: [1, 0, NaN, 1],
      text: { codes: [0, -1, 1, 0], levels: ["b", "a"] },
    });
  });

  test("a sliced table reads from its offset (values, bits and null bitmap)", () => {
    const sliced = plain(frameFromArrow(table.slice(1, 4)));
    expect(sliced).toEqual({
      nrows: 3,
      f64: [NaN, -2, 4],
      f32: [1, NaN, 2],
      i8: [-1, NaN, 127],
      i64: [2 ** 40, NaN, 9007199254740991],
      u64: [4294967296, 1, NaN],
      bool: [0, NaN, 1],
      text: { codes: [-1, 0, 1], levels: ["a", "b"] },
    });
  });

  test("decimals (128-bit, negative too) are scaled to their value", () => {
    // -12345 and 678 at scale 2, as little-endian two's-complement 128-bit words.
    const words = new Uint32Array([(-12345 >>> 0), 0xffffffff, 0xffffffff, 0xffffffff, 678, 0, 0, 0]);
    const data = makeData({ type: new Decimal(2, 10, 128), length: 2, nullCount: 0, data: words });
    const frame = frameFromArrow(new Table({ d: makeVector(data) }));
    expect(plain(frame)).toEqual({ nrows: 2, d: [-123.45, 6.78] });
  });

  test("a dictionary column whose batches carry different dictionaries maps onto one codebook", () => {
    const first = new RecordBatch({ d: dictionaryData(["b", "a"], [0, 1, null, 0]) });
    const second = new RecordBatch({ d: dictionaryData(["c", "a", "zz", "unused"], [1, 0, 2, 2]) });
    const frame = frameFromArrow(new Table([first, second]));
    expect(plain(frame)).toEqual({
      nrows: 8,
      d: { codes: [0, 1, -1, 0, 1, 2, 3, 3], levels: ["b", "a", "c", "zz"] },
    });
  });

  test("dates and timestamps become text written as DuckDB writes them", () => {
    const frame = frameFromArrow(
      new Table({
        day: vectorFromArray([new Date("2020-01-02"), null], new DateDay()),
        at: vectorFromArray([new Date("2020-01-02T03:04:05Z"), new Date("2020-01-02T03:04:05.25Z")], new TimestampMillisecond()),
      }),
    );
    expect(plain(frame)).toEqual({
      nrows: 2,
      day: { codes: [0, -1], levels: ["2020-01-02"] },
      at: { codes: [0, 1], levels: ["2020-01-02 03:04:05", "2020-01-02 03:04:05.25"] },
    });
  });

  test("text in several Utf8 batches gets the codes a plain first-appearance encoding gives", () => {
    const text = fc.oneof(fc.constant(null), fc.string({ unit: "grapheme", maxLength: 4 }), fc.string({ maxLength: 2 }));
    fc.assert(
      fc.property(fc.array(fc.array(text, { maxLength: 400 }), { minLength: 1, maxLength: 4 }), (batches) => {
        const table = new Table(batches.map((rows) => new RecordBatch({ s: vectorFromArray(rows, new Utf8()).data[0] })));
        const all = batches.flat();
        const levels = [...new Set(all.filter((v): v is string => v !== null))];
        expect(plain(frameFromArrow(table))).toEqual({
          nrows: all.length,
          s: { codes: all.map((v) => (v === null ? -1 : levels.indexOf(v))), levels },
        });
      }),
      { numRuns: 200 },
    );
  });

  test("a table with several batches fills one array per column", () => {
    const a = new RecordBatch({ x: makeData({ type: new Float64(), data: new Float64Array([1, 2]) }) });
    const b = new RecordBatch({ x: makeData({ type: new Float64(), data: new Float64Array([3]) }) });
    expect(plain(frameFromArrow(new Table([a, b])))).toEqual({ nrows: 3, x: [1, 2, 3] });
  });
});

describe("frameToArrow", () => {
  const frame = frameFromRecord({
    x: [1.5, null, 3],
    g: ["east", null, "west"],
  });

  test("numeric becomes Float64 and categorical Dictionary<Utf8, Int32>, missing as null", () => {
    const table = frameToArrow(frame);
    expect(table.numRows).toBe(3);
    expect(String(table.schema.fields[0].type)).toBe("Float64");
    expect(table.schema.fields[1].type).toBeInstanceOf(Dictionary);
    expect(table.getChild("x")!.toArray()[0]).toBe(1.5);
    expect(table.getChild("x")!.get(1)).toBeNull();
    expect(table.getChild("g")!.get(1)).toBeNull();
    expect(table.getChild("g")!.get(2)).toBe("west");
  });

  test("round-trips through Arrow IPC", () => {
    const back = frameFromArrow(tableFromIPC(tableToIPC(frameToArrow(frame))));
    expect(plain(back)).toEqual(plain(frame));
  });
});

describe("frameFromRecord", () => {
  test("typed arrays and number arrays are numeric, string arrays categorical, null/undefined missing", () => {
    const frame = frameFromRecord({
      a: new Float64Array([1, 2, 3]),
      b: new Int32Array([4, 5, 6]),
      c: [1, undefined, NaN],
      d: [true, false, null],
      e: ["x", undefined, "x"],
    });
    expect(plain(frame)).toEqual({
      nrows: 3,
      a: [1, 2, 3],
      b: [4, 5, 6],
      c: [1, NaN, NaN],
      d: [1, 0, NaN],
      e: { codes: [0, -1, 0], levels: ["x"] },
    });
  });

  test("copies its input, so later changes to the caller's array do not leak in", () => {
    const values = new Float64Array([1, 2]);
    const frame = frameFromRecord({ v: values });
    values[0] = 99;
    expect(plain(frame).v).toEqual([1, 2]);
  });

  test("columns of unequal length are rejected, naming each length", () => {
    const err = inputError(() => frameFromRecord({ a: [1, 2, 3], b: [1, 2] }), "data");
    expect(err.message).toContain("a (3), b (2)");
  });

  test("a column mixing numbers and text is rejected", () => {
    const err = inputError(() => frameFromRecord({ m: [1, "two"] }), "data");
    expect(err.message).toMatch(/column "m" mixes numbers \(row 1: 1\) and text \(row 2: "two"\)/);
  });

  test("values that are neither numbers, booleans nor strings are rejected", () => {
    const weird = [{}] as unknown as number[];
    const err = inputError(() => frameFromRecord({ o: weird }), "data");
    expect(err.message).toContain('column "o" holds a object at row 1');
  });

  test("an empty record is an empty frame", () => {
    expect(plain(frameFromRecord({}))).toEqual({ nrows: 0 });
  });
});

describe("selectColumns", () => {
  const frame = frameFromRecord({ a: [1], b: ["x"], c: [2] });

  test("keeps the named columns in the order asked", () => {
    expect([...selectColumns(frame, ["c", "a"], "the data").columns.keys()]).toEqual(["c", "a"]);
  });

  test("one missing column", () => {
    const err = inputError(() => selectColumns(frame, ["a", "x"], "panel.csv"), "column");
    expect(err.message).toBe('column "x" not found in panel.csv; available columns: a, b, c');
  });

  test("several missing columns are all named", () => {
    const err = inputError(() => selectColumns(frame, ["x", "a", "y"], "the data"), "column");
    expect(err.message).toBe('columns "x", "y" not found in the data; available columns: a, b, c');
  });
});
