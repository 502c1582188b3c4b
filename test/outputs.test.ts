import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../src/core/package-root.js";
import { readFrame } from "../src/data/read.js";
import { absorb } from "./helpers/cli.js";

let dir: string;
const file = (name: string) => join(dir, name);
const DATA = "g,v,x\na,1,0.5\na,2,0.1\na,4,0.3\nb,3,0.9\nb,5,0.2\nb,6,0.4\n";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "absorb-outputs-"));
  writeFileSync(file("data.csv"), DATA);
  writeFileSync(file("other.csv"), "keep me\n");
  symlinkSync(file("data.csv"), file("data-link.csv"));
  symlinkSync(file("other.csv"), file("out-link.csv"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const theil = (out: string, data = file("data.csv")) => absorb(["theil", "--data", data, "--value", "v", "--by", "g", "--out", out, "--quiet"]);

describe("an output that is an input is refused (exit 2), the input untouched", () => {
  test("theil --out A.csv --data A.csv", () => {
    const r = theil(file("data.csv"));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("is the input");
    expect(readFileSync(file("data.csv"), "utf8")).toBe(DATA);
  });

  test("theil --out through a symlink to the data", () => {
    const r = theil(file("data-link.csv"));
    expect(r.status).toBe(2);
    expect(readFileSync(file("data.csv"), "utf8")).toBe(DATA);
  });

  test("theil --data-glob whose pattern matches the output", () => {
    const r = absorb(["theil", "--data-glob", file("data*.csv"), "--value", "v", "--by", "g", "--out", file("data.csv"), "--quiet"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("is the input");
    expect(readFileSync(file("data.csv"), "utf8")).toBe(DATA);
  });

  test("table --out fit1.json fit1.json", () => {
    const fit = absorb(["fit", "--data", file("data.csv"), "--formula", "v ~ x | g", "--json"]);
    writeFileSync(file("fit1.json"), fit.stdout);
    const r = absorb(["table", file("fit1.json"), "--out", file("fit1.json")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("is the input");
    expect(readFileSync(file("fit1.json"), "utf8")).toBe(fit.stdout);
  });
});

describe("outputs are written whole, beside their target", () => {
  test("an output that is a symlink is replaced, not written through", () => {
    expect(theil(file("out-link.csv")).status).toBe(0);
    expect(readFileSync(file("other.csv"), "utf8")).toBe("keep me\n");
    expect(lstatSync(file("out-link.csv")).isSymbolicLink()).toBe(false);
    expect(readFileSync(file("out-link.csv"), "utf8")).toMatch(/^g,n,dropped,mean,theil_t,theil_l\na,3,0,/);
  });

  test("theil --out x.parquet writes a Parquet file and leaves no temporary file or folder", async () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith("absorb-theil-"));
    expect(theil(file("x.parquet")).status).toBe(0);
    const groups = await readFrame(file("x.parquet"));
    expect(groups.nrows).toBe(2);
    expect(readdirSync(dir).filter((n) => n.startsWith(".absorb-"))).toEqual([]);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith("absorb-theil-"))).toEqual(before);
  });

  test("a write interrupted by Ctrl-C leaves neither the temporary file nor a half output", () => {
    writeFileSync(file("kept.csv"), "old\n");
    const moduleUrl = pathToFileURL(join(packageRoot, "dist", "src", "data", "output-file.js")).href;
    const script = `
      import { writeFileSync } from "node:fs";
      const { writeAtomically } = await import(${JSON.stringify(moduleUrl)});
      await writeAtomically(${JSON.stringify(file("kept.csv"))}, async (temp) => {
        writeFileSync(temp, "half");
        process.kill(process.pid, "SIGINT");
        await new Promise(() => setTimeout(() => {}, 10_000));
      });`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
    expect(r.signal).toBe("SIGINT");
    expect(readFileSync(file("kept.csv"), "utf8")).toBe("old\n");
    expect(readdirSync(dir).filter((n) => n.startsWith(".absorb-"))).toEqual([]);
  });
});
