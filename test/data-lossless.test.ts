import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { Float64, Int64, RecordBatch, Table, makeData, tableToIPC, vectorFromArray } from "apache-arrow";
import { InputError } from "../src/core/errors.js";
import type { Frame } from "../src/data/frame.js";
import { readFrame, type DataSource } from "../src/data/read.js";
import { absorb } from "./helpers/cli.js";

/** Reading must fail with InputError("file") whose message names `named`. */
async function readFails(source: DataSource, named: string): Promise<string> {
  try {
    await readFrame(source);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).kind).toBe("file");
    expect((err as Error).message).toContain(named);
    return (err as Error).message;
  }
  throw new Error(`expected reading ${JSON.stringify(source)} to fail`);
}

function levelsOf(frame: Frame, name: string): readonly string[] {
  const col = frame.columns.get(name)!;
  if (col.kind !== "categorical") throw new Error(`${name} is numeric`);
  return col.levels;
}

function valuesOf(frame: Frame, name: string): Float64Array {
  const col = frame.columns.get(name)!;
  if (col.kind !== "numeric") throw new Error(`${name} is categorical`);
  return col.values;
}

let dir: string;
const file = (name: string) => join(dir, name);

/** 72,000 rows as lines "i,2i". */
function lines(from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += `${i},${2 * i}\n`;
  return s;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "absorb-lossless-"));
  const whole = gzipSync("a,b\n" + lines(0, 72_000));
  writeFileSync(file("whole.csv.gz"), whole);
  // Without the 8-byte trailer (CRC-32 and length) the data still decompresses to whole lines.
  writeFileSync(file("no-trailer.csv.gz"), whole.subarray(0, whole.length - 8));
  writeFileSync(file("cut.csv.gz"), whole.subarray(0, Math.floor(whole.length / 2)));

  const batch = (from: number) =>
    new RecordBatch({ x: makeData({ type: new Float64(), data: Float64Array.from({ length: 900 }, (_, i) => from + i) }) });
  const two = tableToIPC(new Table([batch(0), batch(900)]), "stream");
  const one = tableToIPC(new Table([batch(0)]), "stream");
  writeFileSync(file("two.ipc"), two);
  // The schema and the first batch, without the end-of-stream marker: a stream cut at a batch boundary.
  writeFileSync(file("cut-at-batch.ipc"), one.subarray(0, one.length - 8));
  writeFileSync(file("cut-in-batch.ipc"), two.subarray(0, two.length - 100));
  const fileFormat = tableToIPC(new Table([batch(0), batch(900)]), "file");
  writeFileSync(file("cut.arrow"), fileFormat.subarray(0, fileFormat.length - 40));

  // Integer-looking for 25,000 rows (past DuckDB's 20,480-row sample), then 12.5.
  let late = "id,x\n";
  for (let i = 0; i < 25_000; i++) late += `${i},${i % 7}\n`;
  late += "25000,12.5\n";
  writeFileSync(file("late-decimal.csv"), late);
  let text = "id,y\n";
  for (let i = 0; i < 25_000; i++) text += `${i % 50},${i % 3}\n`;
  text += "A123,1\n";
  writeFileSync(file("late-text.csv"), text);
  // Unquoted for 25,000 rows, then a quoted field holding the delimiter and a doubled quote.
  let quoted = "id,g,x\n";
  for (let i = 0; i < 25_000; i++) quoted += `${i},g${i % 7},${i / 2}\n`;
  quoted += '25000,"q,r",1.5\n25001,"it""s",2.5\n';
  writeFileSync(file("late-quote.csv"), quoted);

  // 300 firms with ids just above 2^53 (float64 holds only every other one there), and 20-digit ids.
  let ids = "big,twenty,y\n";
  for (let i = 0; i < 1200; i++) ids += `${9007199254740993n + BigInt(i % 300)},${12345678901234567890n + BigInt(i % 5)},${i}\n`;
  writeFileSync(file("ids.csv"), ids);
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run(`COPY (SELECT * FROM read_csv('${file("ids.csv")}', types = {'twenty': 'UBIGINT'})) TO '${file("ids.parquet")}' (FORMAT parquet)`);
  connection.closeSync();
  instance.closeSync();
  const parquet = readFileSync(file("ids.parquet"));
  writeFileSync(file("cut.parquet"), parquet.subarray(0, parquet.length - 100));
  writeFileSync(
    file("ids.arrow"),
    tableToIPC(new Table({ big: vectorFromArray(Array.from({ length: 1200 }, (_, i) => 9007199254740993n + BigInt(i % 300)), new Int64()) }), "file"),
  );

  writeFileSync(file("na.csv"), "x,g\n1.5,a\nNA,NA\n3,b\n");

  // Empty for 25,000 rows (all DuckDB's sample sees), then numbers; or then words.
  let lateNumbers = "id,x,f,g\n";
  for (let i = 0; i < 25_000; i++) lateNumbers += `${i},,,\n`;
  lateNumbers += "25000,12.5,true,a\n25001,3,false,b\n";
  writeFileSync(file("late-numbers.csv"), lateNumbers);
  // 2M rows (more than DuckDB streams ahead of its reader), then text in the numeric column.
  const rows = Array.from({ length: 2_000_000 }, (_, i) => `${i},${i % 7}`);
  writeFileSync(file("late-text-far.csv"), `id,x\n${rows.join("\n")}\n2000000,A1\n`);

  writeFileSync(file("d*.csv"), "a\n1\n");
  writeFileSync(file("dz.csv"), "a\n2\n");
  writeFileSync(file("s[1].csv"), "a\n3\n");
  writeFileSync(file("s1.csv"), "a\n4\n");
  writeFileSync(file("part-1.csv"), "a,b\n5,1\n");
  writeFileSync(file("part-2.csv.gz"), gzipSync("a,b\n6,0\n7,4\n"));
  writeFileSync(file("bad-part.csv.gz"), gzipSync("a,b\n8,1\n").subarray(0, 20));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("truncated inputs are refused, naming the file", () => {
  test("the complete gzip file reads all 72,000 rows", async () => {
    expect((await readFrame(file("whole.csv.gz"))).nrows).toBe(72_000);
  });

  test("gzip without its trailer (decompresses to whole lines)", async () => {
    const message = await readFails(file("no-trailer.csv.gz"), file("no-trailer.csv.gz"));
    expect(message).toMatch(/not a complete gzip file.*truncated/);
  });

  test("gzip cut in the middle", async () => {
    await readFails(file("cut.csv.gz"), file("cut.csv.gz"));
  });

  test("an Arrow IPC stream cut at a batch boundary (no end-of-stream marker)", async () => {
    expect((await readFrame(file("two.ipc"))).nrows).toBe(1800);
    const message = await readFails(file("cut-at-batch.ipc"), file("cut-at-batch.ipc"));
    expect(message).toContain("without its end-of-stream marker");
  });

  test("an Arrow IPC stream cut inside a batch, and an IPC file without its footer", async () => {
    await readFails(file("cut-in-batch.ipc"), file("cut-in-batch.ipc"));
    expect(await readFails(file("cut.arrow"), file("cut.arrow"))).toContain("footer");
  });

  test("a Parquet file cut short", async () => {
    await readFails(file("cut.parquet"), file("cut.parquet"));
  });

  test("the CLI exits 2 and names the file", () => {
    const r = absorb(["fit", "--data", file("no-trailer.csv.gz"), "--formula", "b ~ a", "--quiet"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`cannot read "${file("no-trailer.csv.gz")}"`);
  });
});

describe("column types come from the whole file", () => {
  test("a decimal after 25,000 integer-looking rows makes the column floating point, not rounded", async () => {
    const x = valuesOf(await readFrame(file("late-decimal.csv")), "x");
    expect(x.length).toBe(25_001);
    expect(x[25_000]).toBe(12.5);
  });

  test("text after 25,000 number-looking rows makes the column text (read again with whole-file types)", async () => {
    const frame = await readFrame(file("late-text.csv"));
    const levels = levelsOf(frame, "id");
    expect(levels.length).toBe(51);
    expect(levels[50]).toBe("A123");
    expect(valuesOf(frame, "y")[25_000]).toBe(1);
  });

  test("a quoted field after 25,000 unquoted rows is read as one field (the dialect, too, comes from the whole file)", async () => {
    const frame = await readFrame(file("late-quote.csv"));
    expect(frame.nrows).toBe(25_002);
    expect(levelsOf(frame, "g").slice(-2)).toEqual(["q,r", 'it"s']);
    expect(Array.from(valuesOf(frame, "x").subarray(-2))).toEqual([1.5, 2.5]);
  });

  test("a column the sample saw empty is numeric (or boolean) when the rest of the file is, text when it holds words", async () => {
    // DuckDB types a column empty in its sample as text, whatever follows.
    const frame = await readFrame(file("late-numbers.csv"));
    expect(frame.nrows).toBe(25_002);
    expect(Array.from(valuesOf(frame, "x").subarray(-3))).toEqual([NaN, 12.5, 3]);
    expect(Array.from(valuesOf(frame, "f").subarray(-2))).toEqual([1, 0]);
    expect(levelsOf(frame, "g")).toEqual(["a", "b"]);
  });

  test("a value that does not convert, far past what DuckDB streams ahead, fails the stream and the read is retried, not truncated", async () => {
    const frame = await readFrame(file("late-text-far.csv"));
    expect(frame.nrows).toBe(2_000_001);
    expect(levelsOf(frame, "x")).toEqual(["0", "1", "2", "3", "4", "5", "6", "A1"]);
  });

  test("NA is missing in a numeric column and in a text column", async () => {
    const frame = await readFrame(file("na.csv"));
    expect(Array.from(valuesOf(frame, "x"))).toEqual([1.5, NaN, 3]);
    const g = frame.columns.get("g")!;
    expect(g.kind === "categorical" && Array.from(g.codes)).toEqual([0, -1, 1]);
  });
});

describe("ids keep every distinct value", () => {
  for (const name of ["ids.csv", "ids.parquet"]) {
    test(`${name}: ids above 2^53 and 20-digit ids are exact text levels`, async () => {
      const frame = await readFrame(file(name));
      const big = levelsOf(frame, "big");
      expect(big.length).toBe(300);
      expect(big[0]).toBe("9007199254740993");
      expect(big[1]).toBe("9007199254740994");
      expect(levelsOf(frame, "twenty")).toEqual(["12345678901234567890", "12345678901234567891", "12345678901234567892", "12345678901234567893", "12345678901234567894"]);
      // An ordinary column stays numeric.
      expect(valuesOf(frame, "y")[1199]).toBe(1199);
    });
  }

  test("whole numbers beyond ±2^53 are text only when every value is a whole number", async () => {
    // neg: ids below -2^53 (text); withInf: whole numbers beyond 2^53 and one infinity (a number,
    // not an id); withFraction: the same with 0.5; small: ordinary ids.
    writeFileSync(
      file("beyond.csv"),
      "neg,withInf,withFraction,small\n-9007199254740993,9007199254740993,9007199254740993,1\n-9007199254740995,inf,0.5,2\n-12,4,8,3\n",
    );
    const frame = await readFrame(file("beyond.csv"));
    expect(levelsOf(frame, "neg")).toEqual(["-9007199254740993", "-9007199254740995", "-12"]);
    expect(Array.from(valuesOf(frame, "withInf"))).toEqual([9007199254740992, Infinity, 4]);
    expect(Array.from(valuesOf(frame, "withFraction"))).toEqual([9007199254740992, 0.5, 8]);
    expect(Array.from(valuesOf(frame, "small"))).toEqual([1, 2, 3]);
  });

  test("ids.arrow: 64-bit integers above 2^53 are exact text levels", async () => {
    const big = levelsOf(await readFrame(file("ids.arrow")), "big");
    expect(big.length).toBe(300);
    expect(big[299]).toBe(String(9007199254740993n + 299n));
  });

  test("a fit with 300 firms above 2^53 as a fixed effect has 300 levels", async () => {
    const { feols } = await import("../src/fit/feols.js");
    const frame = await readFrame(file("ids.csv"), ["big", "y"]);
    const fit = await feols({ ...frame, columns: new Map([...frame.columns, ["x", { kind: "numeric", values: Float64Array.from({ length: 1200 }, (_, i) => Math.sin(i)) }]]) }, "y ~ x | big");
    expect(fit.fixefSizes).toEqual({ big: 300 });
  });
});

describe("the data path is a file name, taken literally", () => {
  test("d*.csv reads only that file, not dz.csv", async () => {
    const frame = await readFrame(file("d*.csv"));
    expect(Array.from(valuesOf(frame, "a"))).toEqual([1]);
  });

  test("s[1].csv reads only that file, not s1.csv", async () => {
    expect(Array.from(valuesOf(await readFrame(file("s[1].csv")), "a"))).toEqual([3]);
  });

  test("~ is not the home folder and a URL is not downloaded", async () => {
    await readFails("~/absorb-no-such-file.csv", "~/absorb-no-such-file.csv");
    const message = await readFails("http://example.com/panel.csv", "http://example.com/panel.csv");
    expect(message).toContain("no such file");
    await readFails("s3://bucket/panel.parquet", "s3://bucket/panel.parquet");
  });

  test("DuckDB may not install or load extensions", async () => {
    const { localDuckDB } = await import("../src/data/readers/duckdb.js");
    const instance = await localDuckDB();
    const connection = await instance.connect();
    const settings = await connection.runAndReadAll(
      "SELECT current_setting('autoinstall_known_extensions'), current_setting('autoload_known_extensions')",
    );
    expect(settings.getRows()[0]).toEqual([false, false]);
    connection.closeSync();
    instance.closeSync();
  });

  test("a symlink to a data file is read", async () => {
    symlinkSync(file("s1.csv"), file("link.csv"));
    expect(Array.from(valuesOf(await readFrame(file("link.csv")), "a"))).toEqual([4]);
  });

  test("several files only through an explicit glob", async () => {
    const frame = await readFrame({ glob: file("part-*.csv*") });
    expect(Array.from(valuesOf(frame, "a")).sort()).toEqual([5, 6, 7]);
    expect(await readFails({ glob: file("nothing-*.csv") }, "no files match")).toContain(file("nothing-*.csv"));
    await readFails({ glob: file("*part*.csv.gz") }, file("bad-part.csv.gz"));
  });

  test("absorb fit --data-glob reads the files; --data takes a pattern literally", () => {
    const r = absorb(["fit", "--data-glob", file("part-*.csv*"), "--formula", "a ~ b", "--json"]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).nobs).toBe(3);
    const literal = absorb(["fit", "--data", file("part-*.csv"), "--formula", "a ~ b", "--json"]);
    expect(literal.status).toBe(2);
    expect(JSON.parse(literal.stdout).error.message).toContain("no such file");
  });
});
