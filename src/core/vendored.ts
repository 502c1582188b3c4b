import { createRequire } from "node:module";
import { join } from "node:path";
import { InternalError } from "./errors.js";
import { packageRoot } from "./package-root.js";

/** The bundles `npm run build` writes under dist/vendor/ (scripts/vendor-bundles.mjs). */
export type VendorBundle = "stdlib.cjs" | "duckdb.cjs";

/** A require that resolves as code inside `bundle` does (what the bundle left outside it, such as DuckDB's native bindings). */
export function requireBeside(bundle: VendorBundle): NodeJS.Require {
  return createRequire(join(packageRoot, "dist", "vendor", bundle));
}

/**
 * Package `name` from its bundle, required the first time it is asked for. The packages are
 * hundreds of small files each: bundled, the t distribution loads in 12 ms instead of 47, and a
 * run that never asks for one (importing absorb, reading a file, building a table) loads none.
 * require is synchronous, so the functions that use them stay synchronous.
 */
export function vendored<T>(bundle: VendorBundle, name: string): () => T {
  let loaded: T | undefined;
  return () => {
    if (loaded === undefined) {
      const exports = requireBeside(bundle)(`./${bundle}`) as Record<string, unknown>;
      if (!(name in exports)) throw new InternalError(`${name} is not in dist/vendor/${bundle}; npm run build writes it`);
      loaded = exports[name] as T;
    }
    return loaded;
  };
}
