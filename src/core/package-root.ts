import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package's root directory, found by walking up from this module. The same code runs
 * from src/ (under vitest) and from dist/src/ (built), and both must find build/absorb.wasm
 * and the compiled worker script.
 */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("absorb: cannot find package.json above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
})();
