import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DuckDBInstance, type DuckDBResult } from "@duckdb/node-api";
import { Bool, Dictionary, Float64, Int32, RecordBatch, Table, Utf8, makeData, tableFromIPC, tableToIPC, vectorFromArray } from "apache-arrow";
import { InputError } from "../src/core/errors.js";
import type { Frame } from "../src/data/frame.js";
import { readFrame } from "../src/data/read.js";
import { StreamCutShort, fillColumns } from "../src/data/readers/duckdb-chunks.js";
import { csvRowEstimate } from "../src/data/readers/expected-rows.js";
import { sharedEngine } from "../src/engine/shared.js";
import { referencePanel } from "./helpers/reference.js";

/** A frame as plain arrays, so failures print readably (NaN compares equal to NaN). */
function plain(frame: Frame): Record<string, unknown> {
  const out: Record<string, unknown> = { nrows: frame.nrows };
  for (const [name, col] of frame.columns) {
    out[name] = col.kind === "numeric" ? Array.from(col.values) : { codes: Array.from(col.codes), levels: [...col.levels] };
  }
  return out;
}

async function readError(path: string, columns: string[] | undefined, kind: string): Promise<InputError> {
  try {
    await readFrame(path, columns);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).kind).toBe(kind);
    return err as InputError;
  }
  throw new Error(`expected reading ${path} to fail`);
}

async function duckdb(sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run(sql);
  connection.closeSync();
  instance.closeSync();
}

// The same small table in every format: missing values in each column, text with a comma,
// a quote and a non-ASCII letter.
const CSV = [
  "id,x,flag,region",
  "1,1.5,true,east",
  "2,,false,west",
  "3,-2,true,",
  "4,3.25,,east",
  `5,0,false,"north, ""x"""`,
  "6,10,true,süd",
].join("\n");

const EXPECTED = {
  nrows: 6,
  id: [1, 2, 3, 4, 5, 6],
  x: [1.5, NaN, -2, 3.25, 0, 10],
  flag: [1, 0, 1, NaN, 0, 1],
  region: { codes: [0, 1, -1, 0, 2, 3], levels: ["east", "west", 'north, "x"', "süd"] },
};

const REGIONS = ["east", "west", null, "east", 'north, "x"', "süd"];

function arrowTable(): Table {
  return new Table({
    id: vectorFromArray([1, 2, 3, 4, 5, 6], new Int32()),
    x: vectorFromArray([1.5, null, -2, 3.25, 0, 10], new Float64()),
    flag: vectorFromArray([true, false, true, null, false, true], new Bool()),
    region: vectorFromArray(REGIONS, new Utf8()),
  });
}

/** The same table with region dictionary-encoded, split into two batches with different dictionaries. */
function arrowDictionaryTable(): Table {
  const batch = (rows: number[], dictionary: string[]) => {
    const values = rows.map((r) => REGIONS[r]);
    const bitmap = new Uint8Array(1);
    values.forEach((v, i) => v !== null && (bitmap[0] |= 1 << i));
    return new RecordBatch({
      id: makeData({ type: new Int32(), data: Int32Array.from(rows, (r) => r + 1) }),
      x: arrowTable().getChild("x")!.slice(rows[0], rows[0] + rows.length).data[0],
      flag: arrowTable().getChild("flag")!.slice(rows[0], rows[0] + rows.length).data[0],
      region: makeData({
        type: new Dictionary(new Utf8(), new Int32(), 0),
        length: rows.length,
        nullCount: values.filter((v) => v === null).length,
        nullBitmap: bitmap,
        data: Int32Array.from(values, (v) => (v === null ? 0 : dictionary.indexOf(v))),
        dictionary: vectorFromArray(dictionary, new Utf8()),
      }),
    });
  };
  return new Table([batch([0, 1, 2], ["west", "east"]), batch([3, 4, 5], ["süd", 'north, "x"', "east"])]);
}

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "absorb-read-"));
  writeFileSync(file("small.csv"), CSV);
  writeFileSync(file("small.csv.gz"), gzipSync(CSV));
  await duckdb(`COPY (SELECT * FROM read_csv('${file("small.csv")}')) TO '${file("small.parquet")}' (FORMAT parquet)`);
  writeFileSync(file("small.arrow"), tableToIPC(arrowTable(), "file"));
  writeFileSync(file("small.ipc"), tableToIPC(arrowTable(), "stream"));
  writeFileSync(file("small.feather"), tableToIPC(arrowTable(), "file"));
  // IPC streams may replace a dictionary between batches (the file format may not).
  writeFileSync(file("dict.arrows.ipc"), tableToIPC(arrowDictionaryTable(), "stream"));
  writeFileSync(file("SHOUT.CSV"), CSV);
  writeFileSync(file("it's [odd].csv"), CSV);
  writeFileSync(file("bad.parquet"), "this is not parquet");
  writeFileSync(file("bad.arrow"), "this is not arrow");
  writeFileSync(file("bad.csv.gz"), "this is not gzip");
  writeFileSync(file("data.xlsx"), "");
  mkdirSync(file("folder.csv"));
  await duckdb(
    `COPY (SELECT 1.25::DECIMAL(10,2) AS dec, -7::HUGEINT AS huge, 3::UTINYINT AS tiny, ` +
      `DATE '2020-01-02' AS day, 'a'::VARCHAR AS "odd ""name"", here" ` +
      `UNION ALL SELECT -0.5, NULL, NULL, NULL, NULL) TO '${file("types.parquet")}' (FORMAT parquet)`,
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("readFrame: every format gives the same frame", () => {
  const names = ["small.csv", "small.csv.gz", "small.parquet", "small.arrow", "small.ipc", "small.feather", "SHOUT.CSV", "it's [odd].csv"];
  for (const name of names) {
    test(name, async () => {
      expect(plain(await readFrame(file(name)))).toEqual(EXPECTED);
    });
  }

  test("an IPC stream whose batches carry different dictionaries", async () => {
    const dictionaries = tableFromIPC(readFileSync(file("dict.arrows.ipc"))).getChild("region")!.data.map((d) => d.dictionary?.toArray());
    expect(dictionaries).toEqual([["west", "east"], ["süd", 'north, "x"', "east"]]);
    expect(plain(await readFrame(file("dict.arrows.ipc")))).toEqual(EXPECTED);
  });
});

describe("readFrame: column selection", () => {
  for (const name of ["small.csv", "small.parquet", "small.arrow"]) {
    test(`${name}: only the requested columns, in the order asked`, async () => {
      const frame = await readFrame(file(name), ["region", "x"]);
      expect(plain(frame)).toEqual({ nrows: 6, region: EXPECTED.region, x: EXPECTED.x });
    });

    test(`${name}: a text-only and a numeric-only selection`, async () => {
      expect(plain(await readFrame(file(name), ["region"]))).toEqual({ nrows: 6, region: EXPECTED.region });
      expect(plain(await readFrame(file(name), ["flag", "id"]))).toEqual({ nrows: 6, flag: EXPECTED.flag, id: EXPECTED.id });
    });

    test(`${name}: no columns still counts the rows`, async () => {
      expect(plain(await readFrame(file(name), []))).toEqual({ nrows: 6 });
    });

    test(`${name}: a missing column is named with the available ones`, async () => {
      const err = await readError(file(name), ["x", "nope"], "column");
      expect(err.message).toBe(`column "nope" not found in ${file(name)}; available columns: id, x, flag, region`);
    });

    test(`${name}: several missing columns are all named`, async () => {
      const err = await readError(file(name), ["a", "x", "b"], "column");
      expect(err.message).toBe(`columns "a", "b" not found in ${file(name)}; available columns: id, x, flag, region`);
    });
  }

  test("a repeated column is read once", async () => {
    expect(plain(await readFrame(file("small.csv"), ["x", "x"]))).toEqual({ nrows: 6, x: EXPECTED.x });
  });
});

describe("readFrame: DuckDB types", () => {
  test("decimals, huge and unsigned integers are numeric; dates are text; odd names are quoted safely", async () => {
    expect(plain(await readFrame(file("types.parquet")))).toEqual({
      nrows: 2,
      dec: [1.25, -0.5],
      huge: [-7, NaN],
      tiny: [3, NaN],
      day: { codes: [0, -1], levels: ["2020-01-02"] },
      'odd "name", here': { codes: [0, -1], levels: ["a"] },
    });
  });
});

/** `body`'s outcome, with the bytes of the blocks the heap handed out for `what` during it, and how many of those bytes came back. */
async function heapTraffic<T>(what: string, body: () => Promise<T>): Promise<{ outcome: PromiseSettledResult<T>; acquired: number; givenBack: number }> {
  const heap = sharedEngine().heap;
  const [acquire, give] = [heap.acquire.bind(heap), heap.give.bind(heap)];
  const blocks: { ptr: number; size: number }[] = [];
  let givenBack = 0;
  const spies = [
    vi.spyOn(heap, "acquire").mockImplementation((bytes, label) => {
      const block = acquire(bytes, label);
      if (label === what) blocks.push(block);
      return block;
    }),
    vi.spyOn(heap, "give").mockImplementation((ptr, size) => {
      if (blocks.some((b) => ptr >= b.ptr && ptr < b.ptr + b.size)) givenBack += size;
      give(ptr, size);
    }),
  ];
  try {
    const [outcome] = await Promise.allSettled([body()]);
    return { outcome, acquired: blocks.reduce((sum, b) => sum + b.size, 0), givenBack };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

async function stream(sql: string): Promise<{ result: DuckDBResult; close: () => void }> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  return {
    result: await connection.stream(sql),
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

describe("streamed columns", () => {
  test("grow inside the heap past their first capacity and come out exact, in order", async () => {
    const rows = 2 ** 21 + 12_345;
    const { result, close } = await stream(`SELECT range::DOUBLE, (range * 0.5)::DOUBLE FROM range(${rows})`);
    const columns = await fillColumns(result, 2, 2 ** 20);
    close();
    expect(columns.map((c) => c.length)).toEqual([rows, rows]);
    let ordered = true;
    for (let r = 0; r < rows; r++) ordered &&= columns[0][r] === r && columns[1][r] === r * 0.5;
    expect(ordered).toBe(true);
  });

  test("a stream that fails midway ends like one that is exhausted: the check of its end fails it, and every block goes back", async () => {
    const failing = `SELECT range::DOUBLE, CAST(CASE WHEN range < 300000 THEN '1.5' ELSE 'x' END AS DOUBLE) FROM range(400000)`;
    const { result, close } = await stream(failing);
    const traffic = await heapTraffic("the columns of the file", () => fillColumns(result, 2, 1000, async (rows) => rows === 400_000));
    close();
    expect(traffic.outcome.status).toBe("rejected");
    expect((traffic.outcome as PromiseRejectedResult).reason).toBeInstanceOf(StreamCutShort);
    expect(traffic.acquired).toBeGreaterThan(2 * 8 * 1000);
    expect(traffic.givenBack).toBe(traffic.acquired);
  });

  test("a CSV file with more rows than its first lines suggest is read whole", async () => {
    const long = file("shortening.csv");
    let text = "id,x\n";
    for (let i = 0; i < 4000; i++) text += `${i},${(i + 0.123456789123).toFixed(12)}\n`;
    for (let i = 0; i < 100_000; i++) text += `${i % 10},${i % 7}\n`;
    writeFileSync(long, text);
    expect(await csvRowEstimate(long, statSync(long).size)).toBeLessThan(52_000);
    const frame = await readFrame(long);
    expect(frame.nrows).toBe(104_000);
    const x = frame.columns.get("x")!;
    expect(x.kind === "numeric" && [x.values[3999], x.values[4000], x.values[103_999]]).toEqual([3999.123456789123, 0, 99_999 % 7]);
  });
});

describe("readFrame: file errors", () => {
  test("a missing file names the path and what to check", async () => {
    const err = await readError(file("nope.csv"), undefined, "file");
    expect(err.message).toContain(file("nope.csv"));
    expect(err.message).toContain("no such file; check the path");
  });

  test("a directory is not a file", async () => {
    const err = await readError(file("folder.csv"), undefined, "file");
    expect(err.message).toContain("it is not a file");
  });

  test("an unsupported extension lists the supported ones", async () => {
    const err = await readError(file("data.xlsx"), undefined, "file");
    expect(err.message).toContain("unsupported file type; absorb reads .csv, .csv.gz, .parquet, .arrow, .feather, .ipc files");
  });

  for (const name of ["bad.parquet", "bad.arrow", "bad.csv.gz"]) {
    test(`a corrupt ${name} is reported as a file error naming it`, async () => {
      const err = await readError(file(name), undefined, "file");
      expect(err.message).toContain(`cannot read "${file(name)}"`);
    });
  }
});

describe("readFrame: the reference panel", () => {
  test("panel_small.csv.gz", async () => {
    const frame = await readFrame(referencePanel, ["firm_id", "year", "region", "dvar", "finance"]);
    expect(frame.nrows).toBe(101311);
    expect([...frame.columns.keys()]).toEqual(["firm_id", "year", "region", "dvar", "finance"]);
    const region = frame.columns.get("region")!;
    expect(region.kind).toBe("categorical");
    if (region.kind === "categorical") {
      expect([...region.levels].sort()).toEqual(["central", "east", "west"]);
      expect(region.codes.every((c) => c >= 0 && c < 3)).toBe(true);
    }
    const finance = frame.columns.get("finance")!;
    expect(finance.kind).toBe("numeric");
    if (finance.kind === "numeric") {
      const missing = finance.values.filter(Number.isNaN).length;
      expect(missing).toBeGreaterThan(0);
      expect(missing).toBeLessThan(0.1 * frame.nrows);
    }
    const year = frame.columns.get("year")!;
    expect(year.kind === "numeric" && Math.min(...year.values) === 2000 && Math.max(...year.values) === 2013).toBe(true);
  }, 30_000);
});
