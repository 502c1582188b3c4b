import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { describe, expect, test } from "vitest";
import { packageRoot } from "../src/core/package-root.js";

/**
 * The layering of src/ (issue 13), read from the source: each top folder has a rank and may
 * import only folders of lower rank, so there can be no cycle between folders. Static imports,
 * `export … from`, type-only imports, `import("…")` types and dynamic imports all count; a
 * subfolder belongs to its top folder. The size limits are checked here too: no source file over
 * 600 lines, no function (declaration, method, accessor, constructor, arrow or function
 * expression) over 150 lines.
 */
const RANKS: Readonly<Record<string, number>> = {
  core: 0,
  linalg: 1,
  engine: 2,
  data: 3,
  formula: 4,
  vcov: 5,
  diagnostics: 6,
  fit: 7,
  resampling: 8,
  inequality: 8,
  outofcore: 9,
  report: 10,
  study: 11,
  cli: 12,
  /** src/index.ts, the package entry: above every folder. */
  "index.ts": 13,
};
const MAX_FILE_LINES = 600;
const MAX_FUNCTION_LINES = 150;

const src = join(packageRoot, "src");
/**
 * The pool's worker imports whatever handler module a task names: the modules are registered by
 * the layers that send those tasks (engine/task-registry.ts), and their `new URL(…,
 * import.meta.url)` names are checked as imports of the registering file.
 */
const TASK_WORKER = join(src, "engine", "worker.ts");

interface Edge {
  /** The importing file, relative to the repository root. */
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  readonly from: string;
  readonly to: string;
}

interface SourceFile {
  readonly path: string;
  readonly text: string;
  readonly ast: ts.SourceFile;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

const files: readonly SourceFile[] = sourceFiles(src).map((path) => {
  const text = readFileSync(path, "utf8");
  return { path, text, ast: ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS) };
});

/** The top folder of a path under src/ ("index.ts" for the entry itself). */
function topFolder(path: string): string {
  return relative(src, path).split(sep)[0]!;
}

function where(file: SourceFile, node: ts.Node): { file: string; line: number } {
  return { file: relative(packageRoot, file.path), line: file.ast.getLineAndCharacterOfPosition(node.getStart(file.ast)).line + 1 };
}

/** Every module specifier the file names: imports, re-exports, import types and import() calls. */
function specifiers(file: SourceFile): { node: ts.Node; specifier: string }[] {
  const out: { node: ts.Node; specifier: string }[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push({ node, specifier: node.moduleSpecifier.text });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      out.push({ node, specifier: node.moduleReference.expression.text });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push({ node, specifier: node.argument.literal.text });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      // A computed specifier cannot be checked: name it, so that the test makes it a literal —
      // but for the pool's worker, which imports the handler module a task names (the registry).
      if (arg && ts.isStringLiteralLike(arg)) out.push({ node, specifier: arg.text });
      else if (file.path !== TASK_WORKER) out.push({ node, specifier: `<computed: ${node.getText(file.ast)}>` });
    } else if (
      ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "URL" &&
      node.arguments?.length === 2 && ts.isStringLiteralLike(node.arguments[0]) && node.arguments[1].getText(file.ast) === "import.meta.url"
    ) {
      // A module named by URL (a pool task's handler, registered with the engine) is an import too.
      out.push({ node, specifier: node.arguments[0].text });
    }
    ts.forEachChild(node, visit);
  };
  visit(file.ast);
  return out;
}

/** The edges between different top folders of src/ (package imports and same-folder imports left out). */
const edges: readonly Edge[] = files.flatMap((file) =>
  specifiers(file).flatMap(({ node, specifier }) => {
    const from = topFolder(file.path);
    if (specifier.startsWith("<computed")) return [{ ...where(file, node), specifier, from, to: "?" }];
    if (!specifier.startsWith(".")) return [];
    const target = resolve(dirname(file.path), specifier);
    const to = relative(src, target).startsWith("..") ? "(outside src)" : topFolder(target);
    return to === from ? [] : [{ ...where(file, node), specifier, from, to }];
  }),
);

function describeEdge(e: Edge): string {
  return `${e.file}:${e.line}: ${e.from} (rank ${RANKS[e.from] ?? "none"}) imports ${e.to} (rank ${RANKS[e.to] ?? "none"}) through "${e.specifier}"`;
}

/** Every function-like node with its length in lines. */
function functionSizes(file: SourceFile): { name: string; line: number; lines: number }[] {
  const out: { name: string; line: number; lines: number }[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isFunctionDeclaration(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node) ||
      ts.isArrowFunction(node) ||
      ts.isFunctionExpression(node)
    ) {
      const first = file.ast.getLineAndCharacterOfPosition(node.getStart(file.ast)).line;
      const last = file.ast.getLineAndCharacterOfPosition(node.getEnd()).line;
      out.push({ name: functionName(node, file.ast), line: first + 1, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(file.ast);
  return out;
}

function functionName(node: ts.Node, ast: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return "constructor";
  const named = (node as { name?: ts.Node }).name;
  if (named) return named.getText(ast);
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))) return parent.name.getText(ast);
  return ts.isArrowFunction(node) ? "(arrow function)" : "(function expression)";
}

function lineCount(text: string): number {
  const lines = text.split("\n");
  return lines[lines.length - 1] === "" ? lines.length - 1 : lines.length;
}

describe("layering of src/", () => {
  test("the reader finds the imports of every kind", () => {
    const probe: SourceFile = {
      path: join(src, "fit", "probe.ts"),
      text: "",
      ast: ts.createSourceFile(
        "probe.ts",
        [
          'import { a } from "../core/a.js";',
          'import type { B } from "../vcov/b.js";',
          'export { c } from "./c.js";',
          'export * from "../data/d.js";',
          'type E = import("../engine/e.js").E;',
          'const f = () => import("../report/f.js");',
        ].join("\n"),
        ts.ScriptTarget.Latest,
        true,
        ts.ScriptKind.TS,
      ),
    };
    expect(specifiers(probe).map((s) => s.specifier)).toEqual(["../core/a.js", "../vcov/b.js", "./c.js", "../data/d.js", "../engine/e.js", "../report/f.js"]);
  });

  test("every top folder of src/ has a rank", () => {
    const unranked = [...new Set(files.map((f) => topFolder(f.path)))].filter((folder) => RANKS[folder] === undefined);
    expect(unranked, "folders of src/ without a rank in test/layering.test.ts").toEqual([]);
  });

  test("no folder imports a folder of higher or equal rank (so no cycle between folders)", () => {
    const forbidden = edges.filter((e) => !(RANKS[e.to]! < RANKS[e.from]!)).map(describeEdge);
    expect(forbidden, "imports against the layer order").toEqual([]);
  });

  test("src/engine imports nothing above it", () => {
    const above = edges.filter((e) => e.from === "engine" && !(RANKS[e.to]! < RANKS.engine!)).map(describeEdge);
    expect(above, "imports of src/engine from folders above it").toEqual([]);
  });

  test(`no source file is over ${MAX_FILE_LINES} lines`, () => {
    const long = files
      .map((f) => ({ file: relative(packageRoot, f.path), lines: lineCount(f.text) }))
      .filter((f) => f.lines > MAX_FILE_LINES)
      .map((f) => `${f.file}: ${f.lines} lines`);
    expect(long, `source files over ${MAX_FILE_LINES} lines`).toEqual([]);
  });

  test(`no function is over ${MAX_FUNCTION_LINES} lines`, () => {
    const long = files.flatMap((f) =>
      functionSizes(f)
        .filter((fn) => fn.lines > MAX_FUNCTION_LINES)
        .map((fn) => `${relative(packageRoot, f.path)}:${fn.line}: ${fn.name} is ${fn.lines} lines`),
    );
    expect(long, `functions over ${MAX_FUNCTION_LINES} lines`).toEqual([]);
  });
});
