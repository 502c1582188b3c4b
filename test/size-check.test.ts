import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { runFit } from "../src/cli/fit.js";
import { readFrame } from "../src/data/read.js";
import { checkRowsFit, parquetRowCount } from "../src/data/size-check.js";
import { modelColumns } from "../src/fit/model-matrix.js";
import { parseFormula } from "../src/formula/parse.js";
import { InputError } from "../src/core/errors.js";

/** A panel past what fits: 70M rows × 7 columns, written by DuckDB (integers: small and quick to write). */
const ROWS = 70_000_000;
let dir: string;
let big: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "absorb-size-"));
  big = join(dir, "big.parquet");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run(
    `COPY (SELECT i % 1009 AS y, i % 997 AS x1, i % 991 AS x2, i % 983 AS x3, i % 977 AS x4, i // 7 AS fe1, i % 20 AS fe2 ` +
      `FROM range(${ROWS}) AS t(i)) TO '${big}' (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
}, 300_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("a panel too big for 4 GiB is refused before it is read", () => {
  test("the message says how many rows, or how many columns, would fit", () => {
    let err: unknown;
    try {
      checkRowsFit(ROWS, 5, '"big.parquet"');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).kind).toBe("size");
    expect((err as Error).message).toBe(
      '"big.parquet" has 70,000,000 rows; this model needs 5 columns of them in WebAssembly memory (and about 4 more for residuals, ' +
        "codes and scratch): 4.69 GiB, more than the 4 GiB ceiling. At most 59,651,413 rows of this model fit, or 3 model columns " +
        "(the dependent variable included) of 70,000,000 rows; fit a subset (--where) or fewer regressors",
    );
    expect(() => checkRowsFit(59_651_413, 5, "x")).not.toThrow();
    expect(() => checkRowsFit(59_651_414, 5, "x")).toThrow(InputError);
  });

  test("a formula's model columns: the dependent variable, the intercept, one per term, the IV variables", () => {
    expect(modelColumns(parseFormula("y ~ x1 + x2 | fe"))).toBe(3);
    expect(modelColumns(parseFormula("y ~ x1 + x2"))).toBe(4);
    expect(modelColumns(parseFormula("y ~ x1 | fe | d ~ z1 + z2"))).toBe(5);
  });

  test("Parquet: the row count comes from the footer, and absorb fit stops there with the same message", async () => {
    expect(await parquetRowCount(big, big)).toBe(ROWS);
    const before = process.memoryUsage().rss;
    let err: unknown;
    try {
      await runFit(["--data", big, "--formula", "y ~ x1 + x2 + x3 + x4 | fe1 + fe2", "--json"]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).kind).toBe("size");
    expect((err as Error).message).toMatch(/big\.parquet" has 70,000,000 rows; this model needs 5 columns .* At most 59,651,413 rows of this model fit, or 3 model columns/);
    // Reading the 5 model columns alone would take 2.8 GB; nothing near that was read.
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 2 ** 20);
  }, 120_000);

  test("CSV records no row count: the check runs once the rows are read, before any fit allocates", async () => {
    const small = join(dir, "small.csv");
    writeFileSync(small, "y,x\n1,2\n2,1\n3,5\n");
    const counts: number[] = [];
    const frame = await readFrame(small, ["y", "x"], { checkRows: (rows) => counts.push(rows) });
    expect(counts).toEqual([3]);
    expect(frame.nrows).toBe(3);
  });
});
