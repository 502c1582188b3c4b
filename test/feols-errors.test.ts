import { describe, expect, test } from "vitest";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { feols, InputError, EstimationError } from "../src/index.js";
import { absorb, absorbJson } from "./helpers/cli.js";
import { referencePanel } from "./helpers/reference.js";

const small = {
  y: [1, 2, 3, 4, 5, 6, 7, 8.5],
  x: [0.5, 1.5, 1, 3, 2.5, 4, 3.5, 6],
  z: [2, 1, 4, 3, 6, 5, 8, 7],
  g: [1, 1, 2, 2, 3, 3, 4, 4],
  t: [1, 2, 1, 2, 1, 2, 1, 2],
  name: ["a", "b", "c", "d", "e", "f", "g", "h"],
  w: [1, 1, 1, -1, 1, 1, 1, 1],
};

async function rejects(p: Promise<unknown>, cls: typeof InputError | typeof EstimationError, kind: string, pattern: RegExp) {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err, "expected an error").toBeInstanceOf(cls);
  expect((err as InputError).kind).toBe(kind);
  expect((err as Error).message).toMatch(pattern);
}

describe("feols rejects bad input with a typed error that says what to do", () => {
  test("unknown column", () => rejects(feols(small, "y ~ nope | g"), InputError, "column", /column "nope" not found.*available columns: y, x/));
  test("non-numeric regressor", () => rejects(feols(small, "y ~ name | g"), InputError, "column", /"name" is not numeric.*i\(name\)/));
  test("formula that does not parse", () => rejects(feols(small, "y ~ x +"), InputError, "formula", /Invalid formula/));
  test("every row dropped", () =>
    rejects(feols(small, "y ~ x | g", { subset: new Uint8Array(8) }), InputError, "data", /every row was dropped \(8 rows: 8 outside the subset/));
  test("all regressors collinear with the fixed effects", () =>
    rejects(feols(small, "y ~ t | g + t", { fixefRm: "none" }), EstimationError, "singular", /every regressor \(t\) is absorbed by the fixed effects/));
  test("all regressors collinear (no fixed effects)", () =>
    rejects(feols({ y: [1, 2, 3, 4], x: [0, 0, 0, 0] }, "y ~ x - 1"), EstimationError, "singular", /every regressor \(x\) is collinear/));
  test("negative weights", () =>
    rejects(feols(small, "y ~ x | g", { weights: "w" }), InputError, "data", /weights column "w" has 1 negative value\(s\) \(first at row 4\)/));
  test("no convergence within maxIter", () =>
    rejects(feols(small, "y ~ x | g + t", { method: "map", maxIter: 1, fixefRm: "none" }), EstimationError, "convergence", /did not converge within 1 iterations.*allowNonConvergence/));
  test("allowNonConvergence returns the result with a warning", async () => {
    const fit = await feols(small, "y ~ x | g + t", { method: "map", maxIter: 1, fixefRm: "none", allowNonConvergence: true });
    expect(fit.converged).toBe(false);
    expect(fit.warnings.join()).toMatch(/did not converge/);
  });
  test("bad options", async () => {
    await rejects(feols(small, "y ~ x | g", { tol: 2 }), InputError, "option", /tol must be between 0 and 1/);
    await rejects(feols(small, "y ~ x | g", { vcov: { cluster: [] } }), InputError, "option", /at least one column/);
  });
});

describe("absorb fit: messages on stderr, JSON errors on stdout, exit codes", () => {
  const dir = mkdtempSync(join(tmpdir(), "absorb-cli-"));
  const csv = join(dir, "small.csv");
  writeFileSync(csv, "y,x,name,g,t\n" + small.y.map((_, i) => [small.y[i], small.x[i], small.name[i], small.g[i], small.t[i]].join(",")).join("\n") + "\n");
  const cases: [string, string[], number, string, RegExp][] = [
    ["unknown column", ["--formula", "y ~ nope | g"], 2, "column", /column "nope" not found/],
    ["non-numeric regressor", ["--formula", "y ~ name | g"], 2, "column", /"name" is not numeric/],
    ["formula that does not parse", ["--formula", "y ~ ~ x"], 2, "formula", /Invalid formula/],
    ["predicate that does not parse", ["--formula", "y ~ x | g", "--where", "x >"], 2, "predicate", /x >/],
    ["every row dropped", ["--formula", "y ~ x | g", "--where", "x > 100"], 2, "data", /every row was dropped/],
    ["all regressors collinear", ["--formula", "y ~ t | g + t", "--fixef-rm", "none"], 1, "singular", /every regressor \(t\)/],
    ["no convergence", ["--formula", "y ~ x | g + t", "--method", "map", "--max-iter", "1", "--fixef-rm", "none"], 1, "convergence", /did not converge within 1/],
    ["unknown option", ["--formula", "y ~ x | g", "--bogus"], 2, "option", /bogus/],
  ];
  test.each(cases)("%s", (_name, args, status, kind, pattern) => {
    const r = absorbJson(["fit", "--data", csv, ...args]);
    expect(r.status).toBe(status);
    expect(r.json.error.kind).toBe(kind);
    expect(r.json.error.message).toMatch(pattern);
    expect(r.stderr).toMatch(pattern);
  });
  test("negative weights", () => {
    const wcsv = join(dir, "w.csv");
    writeFileSync(wcsv, "y,x,g,w\n1,1,1,1\n2,3,1,-2\n3,2,2,1\n4,5,2,1\n");
    const r = absorb(["fit", "--data", wcsv, "--formula", "y ~ x | g", "--weights", "w"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/weights column "w" has 1 negative value/);
  });
  test("a missing file", () => {
    const r = absorb(["fit", "--data", join(dir, "absent.csv"), "--formula", "y ~ x"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/absent\.csv/);
  });
  test("an unreadable file", () => {
    const bad = join(dir, "bad.parquet");
    writeFileSync(bad, "this is not parquet");
    const r = absorb(["fit", "--data", bad, "--formula", "y ~ x"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad\.parquet/);
  });
  test("--help", () => {
    const r = absorb(["fit", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/absorb fit --data FILE --formula/);
  });
  test("readable table without --json", () => {
    const r = absorb(["fit", "--data", referencePanel, "--formula", "dvar ~ robot + age | firm_id + year", "--vcov", "cluster:firm_id", "--quiet"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Standard-errors: Clustered \(firm_id\)/);
    expect(r.stdout).toMatch(/Dropped as collinear: age/);
    expect(r.stderr).toMatch(/warning: dropped as collinear/);
  });
});
