import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../src/core/package-root.js";
import { referencePanel } from "./helpers/reference.js";

/**
 * What a process loads before it works (issue 17): apache-arrow, the @stdlib functions and DuckDB
 * each cost ~0.1 s of every start unbundled (the last two now load from dist/vendor/ bundles,
 * 12 and 29 ms), so each is loaded only by what needs it. The built JavaScript
 * runs in a child process that lists every ES module it resolves (a resolve hook) and every
 * CommonJS file it required (require's cache at exit).
 */
let dir: string;
let hooks: string;
let cache: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "absorb-startup-"));
  const log = join(dir, "loaded.txt");
  writeFileSync(
    join(dir, "hooks.mjs"),
    `import { appendFileSync } from "node:fs";
     export async function resolve(specifier, context, next) {
       const resolved = await next(specifier, context);
       appendFileSync(${JSON.stringify(log)}, resolved.url + "\\n");
       return resolved;
     }`,
  );
  hooks = join(dir, "register.mjs");
  writeFileSync(hooks, `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});`);
  cache = join(dir, "cache.cjs");
  writeFileSync(cache, `process.on("exit", () => require("node:fs").appendFileSync(${JSON.stringify(log)}, Object.keys(require.cache).join("\\n")));`);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The packages (`apache-arrow`, `@duckdb/node-bindings`) and bundles (`vendor/stdlib.cjs`) whose files the node command `args` loaded. */
function packagesLoaded(args: string[]): Set<string> {
  const log = join(dir, "loaded.txt");
  writeFileSync(log, "");
  const r = spawnSync(process.execPath, ["--import", hooks, "--require", cache, ...args], { cwd: packageRoot, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  const names = readFileSync(log, "utf8")
    .split("\n")
    .map((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? /dist\/(vendor\/[^/]+\.cjs)$/.exec(file)?.[1])
    .filter((name): name is string => name !== undefined);
  return new Set(names);
}

describe("what starting absorb loads", () => {
  test("importing absorb loads none of apache-arrow, @stdlib and DuckDB", () => {
    const loaded = packagesLoaded(["--input-type=module", "-e", `await import(${JSON.stringify(join(packageRoot, "dist", "src", "index.js"))});`]);
    expect([...loaded].filter((name) => name === "apache-arrow" || name.startsWith("vendor/") || name.startsWith("@stdlib/") || name.startsWith("@duckdb/"))).toEqual([]);
  });

  test("a CLI fit of a CSV loads DuckDB and the @stdlib functions from their bundles, and not apache-arrow", () => {
    const loaded = packagesLoaded([join(packageRoot, "bin", "absorb.js"), "fit", "--data", referencePanel, "--formula", "dvar ~ robot | firm_id + year", "--vcov", "cluster:firm_id", "--json"]);
    expect(loaded.has("vendor/duckdb.cjs")).toBe(true);
    expect(loaded.has("vendor/stdlib.cjs")).toBe(true);
    expect(loaded.has("@duckdb/node-bindings")).toBe(true);
    expect(loaded.has("apache-arrow")).toBe(false);
    expect([...loaded].filter((name) => name.startsWith("@stdlib/") || name === "@duckdb/node-api")).toEqual([]);
  });
});

describe("vendored packages", () => {
  test("a package missing from its bundle is an internal error naming it and the build that writes it", async () => {
    const { vendored } = await import("../src/core/vendored.js");
    const missing = vendored<unknown>("stdlib.cjs", "@stdlib/not-a-package");
    expect(missing).toThrow(/internal error: @stdlib\/not-a-package is not in dist\/vendor\/stdlib\.cjs; npm run build writes it/);
    expect(typeof vendored<(x: number, df: number) => number>("stdlib.cjs", "@stdlib/stats-base-dists-t-cdf")()).toBe("function");
  });
});
