import { afterAll, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { feols, InputError } from "../src/index.js";
import { absorb, absorbJson } from "./helpers/cli.js";

/** 60 rows, 6 firms × 10 years, with two regressors that are not collinear. */
function panel() {
  const n = 60;
  const firm = Array.from({ length: n }, (_, i) => i % 6);
  const year = Array.from({ length: n }, (_, i) => Math.floor(i / 6));
  const x = Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) + (i % 7) * 0.1);
  const z = Array.from({ length: n }, (_, i) => Math.cos(i * 0.9));
  const y = x.map((v, i) => 0.5 * v - 0.2 * z[i] + firm[i] * 0.3 + year[i] * 0.1 + Math.sin(i * 3.1) * 0.2);
  return { y, x, z, firm, year };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err, "expected an error").toBeInstanceOf(Error);
  return err as Error;
}

describe("non-finite values: the row is dropped and counted, as fixest drops NA and Inf", () => {
  for (const [column, value] of [["y", Infinity], ["x", -Infinity], ["z", Infinity]] as const) {
    test(`${value} in ${column}`, async () => {
      const data = panel();
      const without = await feols({ y: data.y.slice(1), x: data.x.slice(1), z: data.z.slice(1), firm: data.firm.slice(1), year: data.year.slice(1) }, "y ~ x + z | firm + year");
      data[column][0] = value;
      const fit = await feols(data, "y ~ x + z | firm + year");
      expect(fit.droppedRows).toEqual({ subset: 0, missing: 0, nonFinite: 1, weights: 0, singletons: 0 });
      expect(fit.nobs).toBe(59);
      expect(fit.coefficients.map((c) => c.estimate)).toEqual(without.coefficients.map((c) => c.estimate));
      expect(fit.toJSON().dropped_rows).toEqual({ subset: 0, missing: 0, non_finite: 1, weights: 0, singletons: 0 });
    });
  }
});

describe("extreme scales", () => {
  test("a value whose square overflows is an error naming the column and a rescale", async () => {
    const data = panel();
    data.x[3] = 1e308;
    const err = await rejection(feols(data, "y ~ x + z | firm + year"));
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).kind).toBe("data");
    expect(err.message).toMatch(/column "x" holds values too large.*up to 1e\+308 at row 4.*divide it by 1e308/);
  });

  test("x × 1e200 overflows the same way", async () => {
    const data = panel();
    const err = await rejection(feols({ ...data, x: data.x.map((v) => v * 1e200) }, "y ~ x + z | firm + year"));
    expect(err.message).toMatch(/column "x" holds values too large/);
  });

  for (const fe of ["", " | firm + year"]) {
    test(`x × 1e-200 is estimated, not dropped as collinear (y ~ x + z${fe})`, async () => {
      const data = panel();
      const formula = `y ~ x + z${fe}`;
      const base = await feols(data, formula, { vcov: "hetero" });
      const tiny = await feols({ ...data, x: data.x.map((v) => v * 1e-200) }, formula, { vcov: "hetero" });
      expect(tiny.droppedCollinear).toEqual([]);
      const b = base.coef("x")!;
      const t = tiny.coef("x")!;
      expect(Math.abs(t.estimate * 1e-200 - b.estimate) / Math.abs(b.estimate)).toBeLessThan(1e-9);
      expect(Math.abs(t.se * 1e-200 - b.se) / b.se).toBeLessThan(1e-9);
      expect(Math.abs(t.t - b.t) / Math.abs(b.t)).toBeLessThan(1e-9);
      expect(Math.abs(tiny.coef("z")!.estimate - base.coef("z")!.estimate)).toBeLessThan(1e-9 * Math.abs(base.coef("z")!.estimate));
    });
  }

  test("a design whose condition number passes 1e10 warns; an ordinary one does not", async () => {
    const data = panel();
    const ordinary = await feols(data, "y ~ x + z | firm + year");
    expect(ordinary.warnings.filter((w) => w.includes("condition number"))).toEqual([]);
    const near = data.x.map((v, i) => v + 1.5e-5 * Math.sin(i * 5.3));
    const fit = await feols({ ...data, near }, "y ~ x + near + z | firm + year");
    expect(fit.droppedCollinear).toEqual([]);
    expect(fit.warnings.join("\n")).toMatch(/nearly collinear \(condition number \d\.\de\+1\d of X'X/);
  });
});

describe("smaller silent cases", () => {
  test("one cluster is an error naming the cluster variable", async () => {
    const data = { ...panel(), one: Array.from({ length: 60 }, () => 7) };
    const err = await rejection(feols(data, "y ~ x + z | firm", { vcov: { cluster: "one" } }));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/sample \(60 rows\) has a single cluster of "one" \(7\).*at least two clusters/);
  });

  test("constant y warns", async () => {
    const data = { ...panel(), c: Array.from({ length: 60 }, () => 0.1) };
    const fit = await feols(data, "c ~ x + z | firm");
    expect(fit.warnings.join("\n")).toMatch(/dependent variable c is constant over the 60 rows/);
  });
});

describe("the CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "absorb-nonfinite-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const data = panel();
  const csv = join(dir, "p.csv");
  const lines = ["y,x,z,firm,year", ...data.y.map((_, i) => [i === 0 ? "inf" : i === 1 ? "NA" : data.y[i], data.x[i], data.z[i], data.firm[i], data.year[i]].join(","))];
  writeFileSync(csv, lines.join("\n") + "\n");
  const fit = ["fit", "--data", csv, "--formula", "y ~ x + z | firm + year"];

  test("inf and NA in the CSV: dropped_rows counts both", () => {
    const { status, json } = absorbJson(fit);
    expect(status).toBe(0);
    expect(json.dropped_rows).toEqual({ subset: 0, missing: 1, non_finite: 1, weights: 0, singletons: 0 });
    expect(json.nobs).toBe(58);
  });

  test("one cluster exits 2", () => {
    writeFileSync(join(dir, "c.csv"), lines.map((l, i) => l + (i === 0 ? ",one" : ",1")).join("\n") + "\n");
    const r = absorb(["fit", "--data", join(dir, "c.csv"), "--formula", "y ~ x + z | firm", "--vcov", "cluster:one", "--quiet"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('has a single cluster of "one"');
  });

  test("absorb help fit prints the fit help", () => {
    const r = absorb(["help", "fit"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^absorb fit — OLS/);
  });

  test("--lag -1 says what is wrong with -1", () => {
    const r = absorb([...fit, "--vcov", "nw", "--panel-id", "firm,year", "--lag", "-1"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--lag must be a non-negative integer (got "-1")');
  });

  test("a stray positional argument is an error", () => {
    const r = absorb([...fit, "extra"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unexpected argument "extra"');
  });

  for (const [flag, value] of [["--max-iter", "0x10"], ["--tol", ""], ["--tol", "1e-8x"], ["--threads", "2.5"]]) {
    test(`${flag} ${JSON.stringify(value)} is an error`, () => {
      const r = absorb([...fit, flag, value]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`${flag} must be a`);
      expect(r.stderr).toContain(`(got "${value}")`);
    });
  }
});
