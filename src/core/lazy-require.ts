import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * A CommonJS package's export, required the first time it is asked for. For packages whose
 * load is costly and which many runs never use (the @stdlib functions are hundreds of small
 * files each): importing absorb does not pay for them. require is synchronous, so the functions
 * that use them stay synchronous.
 */
export function lazyRequire<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}
