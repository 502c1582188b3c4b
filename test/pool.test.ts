import { afterAll, describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { feols, shutdown, theil } from "../src/index.js";
import { generatePanel, generateWorkerFirmPanel } from "../src/study/synthetic.js";
import { packageRoot } from "../src/core/package-root.js";
import { sharedEngine } from "../src/engine/shared.js";

afterAll(() => shutdown());

describe("the worker pool", () => {
  const panel = generatePanel({ firms: 4000, seed: 11 });
  const formula = "dvar ~ robot + ln_age + finance + cap_intensity | firm_id + year + industry^year";

  test.each(["exact", "map"] as const)("results are bit-for-bit identical for 1, 2 and 4 threads (%s)", async (method) => {
    const fits = [];
    for (const threads of [1, 2, 4]) fits.push(await feols(panel, formula, { vcov: { cluster: "firm_id" }, method, threads }));
    for (const fit of fits.slice(1)) {
      expect(fit.coefficients).toEqual(fits[0].coefficients);
      expect(Array.from(fit.vcovMatrix)).toEqual(Array.from(fits[0].vcovMatrix));
      expect(fit.iterations).toBe(fits[0].iterations);
    }
    expect(fits.map((f) => f.threads)).toEqual([1, 2, 4]);
  });

  test("Theil indices are bit-for-bit identical for 1, 2 and 4 threads", async () => {
    const big = generatePanel({ firms: 150_000, seed: 2 });
    const runs = [];
    for (const threads of [1, 2, 4]) runs.push(await theil(big, { value: "dvar", by: ["industry", "year"], nonpositive: "drop", threads }));
    for (const r of runs.slice(1)) expect(r.toJSON()).toEqual(runs[0].toJSON());
  });

  test("the pool is reused across fits and many fits in a row do not leak arena memory", async () => {
    const worker = generateWorkerFirmPanel({ workers: 2000, firms: 200, years: 6, moveProb: 0.2, seed: 3 });
    const first = await feols(worker, "y ~ x | worker + firm + year", { threads: 2 });
    const top = sharedEngine().heap.top;
    for (let i = 0; i < 5; i++) await feols(worker, "y ~ x | worker + firm + year", { threads: 2 });
    expect(sharedEngine().heap.top).toBe(top);
    const again = await feols(worker, "y ~ x | worker + firm + year", { threads: 2 });
    expect(again.coefficients).toEqual(first.coefficients);
  });

  test("a kernel that fails in a worker rejects the fit with an error, and the process exits", () => {
    // A task whose plan points past the end of the shared memory traps inside the worker.
    const script = `
      import { runPoolTasks, shutdownPool } from ${JSON.stringify(join(packageRoot, "dist/src/engine/pool.js"))};
      const plan = { n: 1000, rowWeights: 0, fes: [{ codes: 0x7ffffff0, size: 10, weights: 0x7ffffff0 }], method: "exact", tol: 1e-8, maxIter: 10, factor: null };
      const scratch = { sums: 0x7ffffff0, coef: 0x7ffffff0, acc: 0x7ffffff0, codeTable: 0x7ffffff0, coefTable: 0x7ffffff0, sumsTable: 0x7ffffff0, otherTables: [] };
      const tasks = [0, 1].map(() => ({ kind: "demean", plan, scratch, columns: [{ input: 0x7ffffff0, output: 0x7ffffff0 }] }));
      try {
        await runPoolTasks(tasks, 2, (t) => "demeaning column " + t);
        console.log("no error");
      } catch (err) {
        console.log(err.name + ": " + err.kind + ": " + err.message);
        process.exitCode = 1;
      } finally {
        await shutdownPool();
      }`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(r.signal, "the process must exit by itself, not be killed by the timeout").toBeNull();
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/EstimationError: worker: a worker failed while demeaning column [01]: \S/);
  });
});
