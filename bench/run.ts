/**
 * `npm run bench`: every benchmark, each in its own process so timings and peak memory are
 * whole-process figures and one benchmark's heap does not weigh on the next.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const suites = ["kernels", "read", "e2e", "theil", "hard-case", "bootstrap", "glm"];
const args = process.argv.slice(2);
for (const name of suites) {
  const script = join(here, `${name}.js`);
  if (!existsSync(script)) continue;
  console.log(`\n## ${name}\n`);
  const r = spawnSync(process.execPath, [script, ...(name === "e2e" ? args : [])], { stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`benchmark ${name} failed (exit ${r.status})`);
    process.exitCode = 1;
  }
}
