// Bundles the CommonJS packages absorb loads at run time into one file per set under
// dist/vendor/ (run by `npm run build`). Each set is many small files (the t distribution alone
// ~330, DuckDB's API ~40): Node resolves, reads and compiles them one by one, 47 ms of a CLI fit's
// main thread for the t distribution and 44 ms for DuckDB's API, while DuckDB is being started.
// Bundled: 12 ms for all the @stdlib functions, 29 ms for DuckDB (13 of them its native module).
// Only the packages' own published code goes in, bundled by esbuild; DuckDB's native bindings
// stay outside (they load a platform binary).
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const { devDependencies } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

/** Each bundle: its file under dist/vendor/, the packages it exports by name, what it requires from outside. */
export const BUNDLES = [
  { file: "stdlib.cjs", packages: Object.keys(devDependencies).filter((name) => name.startsWith("@stdlib/")), external: [] },
  { file: "duckdb.cjs", packages: ["@duckdb/node-api"], external: ["@duckdb/node-bindings"] },
];

for (const { file, packages, external } of BUNDLES) {
  const contents = `module.exports = {\n${packages.map((name) => `  ${JSON.stringify(name)}: require(${JSON.stringify(name)}),`).join("\n")}\n};\n`;
  await build({
    stdin: { contents, resolveDir: root, loader: "js", sourcefile: file },
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external,
    legalComments: "eof",
    logLevel: "warning",
    outfile: `${root}dist/vendor/${file}`,
  });
}
