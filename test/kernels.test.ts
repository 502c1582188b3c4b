import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { packageRoot } from "../src/core/package-root.js";
import { kernelModule, instantiateKernels } from "../src/engine/kernels.js";
import { sharedEngine } from "../src/engine/shared.js";
// @ts-expect-error the generator is plain JavaScript, run by node before tsc
import { declarationsPath, kernelTypes, typesPath } from "../scripts/kernel-types.mjs";

/** name → parameter count of the functions a TypeScript source declares (exported functions, or an interface's methods). */
function arities(path: string, pick: (node: ts.Node) => ts.SignatureDeclaration | undefined): Map<string, number> {
  const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
  const out = new Map<string, number>();
  const visit = (node: ts.Node): void => {
    const fn = pick(node);
    if (fn?.name) out.set(fn.name.getText(source), fn.parameters.length);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

const sorted = (m: Map<string, number>) => Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)));

/** The exports of assembly/: every file index.ts re-exports, its exported functions. */
function assemblyExports(): Map<string, number> {
  const index = readFileSync(join(packageRoot, "assembly", "index.ts"), "utf8");
  const files = [...index.matchAll(/export \* from "\.\/(\w+)"/g)].map(([, f]) => join(packageRoot, "assembly", `${f}.ts`));
  const exported = (node: ts.Node) =>
    ts.isFunctionDeclaration(node) && node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ? node : undefined;
  return new Map(files.flatMap((f) => [...arities(f, exported)]));
}

/** The Kernels interface's methods, as TypeScript sees them. */
function typedKernels(): Map<string, number> {
  let inKernels = false;
  return arities(typesPath, (node) => {
    if (ts.isInterfaceDeclaration(node)) inKernels = node.name.text === "Kernels";
    return inKernels && ts.isMethodSignature(node) ? node : undefined;
  });
}

describe("the kernels' TypeScript type", () => {
  test("names every function assembly/ exports, with its number of parameters", () => {
    expect(sorted(typedKernels())).toEqual(sorted(assemblyExports()));
  });

  test("matches the compiled module's function exports", () => {
    const kernels = instantiateKernels(sharedEngine().heap.memory) as unknown as Record<string, unknown>;
    const compiled = new Map(
      WebAssembly.Module.exports(kernelModule())
        .filter((e) => e.kind === "function")
        .map((e) => [e.name, (kernels[e.name] as (...args: number[]) => unknown).length] as const),
    );
    expect(sorted(typedKernels())).toEqual(sorted(compiled));
  });

  test("is what the generator makes from the compiler's declarations (run npm run build:wasm)", () => {
    expect(readFileSync(typesPath, "utf8")).toBe(kernelTypes(readFileSync(declarationsPath, "utf8")));
  });
});
