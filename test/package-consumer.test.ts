import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../src/core/package-root.js";
import { feols } from "../src/fit/feols.js";
import { readFrame } from "../src/data/read.js";
import { buildStudyData, generateStudyPanel, STUDY_PLANTED } from "../src/study/index.js";
import { referencePanel } from "./helpers/reference.js";

/**
 * absorb as a user gets it: the packed tarball installed into an empty project (no build step,
 * no install script), imported, run as a command and type-checked against its declarations.
 */
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const formula = "dvar ~ robot + ln_age + finance | firm_id + year";
let dir: string;
let project: string;

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}) in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "absorb-consumer-"));
  // --ignore-scripts: npm test has built dist/ and build/ already; a rebuild here would rewrite
  // files other test files are running from.
  run(npm, ["pack", "--ignore-scripts", "--silent", "--pack-destination", dir], packageRoot);
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${dir}`);
  project = join(dir, "consumer");
  execFileSync("mkdir", [project]);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  run(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", join(dir, tarball)], project);
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the packed package installed into an empty project", () => {
  test("ships only what a user needs", () => {
    const listing: { files: { path: string }[] }[] = JSON.parse(run(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], packageRoot));
    const files = listing[0]!.files.map((f) => f.path);
    expect(files).toContain("build/absorb.wasm");
    expect(files).toContain("bin/absorb.js");
    expect(files).toContain("dist/src/index.d.ts");
    expect(files).toContain("dist/src/study/index.d.ts");
    expect(files).toContain("dist/src/engine/worker.js");
    expect(files.filter((f) => f.startsWith("test/") || f.startsWith("bench/") || f.startsWith("dist/bench/"))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
  });

  test("import { feols } fits a clustered model equal to the repository's own fit", async () => {
    const script = `
      import { feols, readFrame, shutdown } from "absorb";
      const frame = await readFrame(${JSON.stringify(referencePanel)});
      const fit = await feols(frame, ${JSON.stringify(formula)}, { vcov: { cluster: "firm_id" } });
      console.log(JSON.stringify(fit.coefficients.map((c) => [c.name, c.estimate, c.se])));
      await shutdown();
    `;
    writeFileSync(join(project, "fit.mjs"), script);
    const installed: [string, number, number][] = JSON.parse(run(process.execPath, ["fit.mjs"], project));
    const own = await feols(await readFrame(referencePanel), formula, { vcov: { cluster: "firm_id" } });
    expect(installed).toEqual(own.coefficients.map((c) => [c.name, c.estimate, c.se]));
    expect(installed.map(([name]) => name)).toEqual(["robot", "ln_age", "finance"]);
  });

  test('import from "absorb/study" generates the study panel and builds its variables, as the repository does', async () => {
    const script = `
      import { generateStudyPanel, buildStudyData, STUDY_PLANTED } from "absorb/study";
      const study = buildStudyData(generateStudyPanel({ firms: 300, seed: 3 }));
      const dvar = study.frame.columns.get("dvar");
      console.log(JSON.stringify({ rows: study.frame.nrows, first: dvar.values[0], direct: STUDY_PLANTED.direct }));
    `;
    writeFileSync(join(project, "study.mjs"), script);
    const installed: { rows: number; first: number; direct: number } = JSON.parse(run(process.execPath, ["study.mjs"], project));
    const own = buildStudyData(generateStudyPanel({ firms: 300, seed: 3 }));
    const dvar = own.frame.columns.get("dvar");
    expect(dvar?.kind).toBe("numeric");
    expect(installed).toEqual({ rows: own.frame.nrows, first: dvar?.kind === "numeric" ? dvar.values[0] : NaN, direct: STUDY_PLANTED.direct });
  });

  test("npx absorb fit --json runs from the installed bin", () => {
    const out = run(npm, ["exec", "--offline", "--", "absorb", "fit", "--data", referencePanel, "--formula", formula, "--vcov", "cluster:firm_id", "--json"], project);
    const json = JSON.parse(out);
    expect(json.nobs).toBeGreaterThan(90_000);
    expect(json.coefficients.map((c: { name: string }) => c.name)).toEqual(["robot", "ln_age", "finance"]);
    expect(json.vcov.type).toBe("cluster");
  });

  test("a TypeScript consumer type-checks against the shipped declarations, and internals stay out", () => {
    writeFileSync(
      join(project, "consumer.ts"),
      `import { feols, readFrame, type FeolsOptions, type FeolsResult } from "absorb";
import { reproduceStudy, type ReproduceOptions, type ReproduceResult } from "absorb/study";
const options: FeolsOptions = { vcov: { cluster: "firm_id" }, fixefRm: "none" };
export async function slope(path: string): Promise<number> {
  const fit: FeolsResult = await feols(await readFrame(path), "dvar ~ robot | firm_id + year", options);
  return fit.coef("robot")!.estimate;
}
export function studyRows(options: ReproduceOptions): Promise<number> {
  return reproduceStudy(options).then((r: ReproduceResult) => r.rows);
}
// @ts-expect-error the study moved to absorb/study: the main entry no longer exports it
import type { StudyPanel } from "absorb";
// @ts-expect-error feols takes three parameters: the bootstrap's internal hook is not public
feols({ y: [1] }, "y ~ 1", {}, () => undefined);
`,
    );
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
          typeRoots: [join(packageRoot, "node_modules", "@types")],
        },
        files: ["consumer.ts"],
      }),
    );
    run(process.execPath, [join(packageRoot, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], project);
  });
});
