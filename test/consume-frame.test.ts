import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { feols, feolsMulti, fixef, readFrame, residuals, InputError } from "../src/index.js";
import type { NumericColumn } from "../src/data/frame.js";

/** A firm-year panel as CSV: y and two regressors, some values missing, columns in the order y, x1, x2, firm, year. */
function panelCsv(): string {
  const lines = ["y,x1,x2,firm,year"];
  for (let i = 0; i < 3000; i++) {
    const firm = i % 400;
    const year = 2000 + Math.floor(i / 400);
    const x1 = Math.sin(i * 0.37);
    const x2 = i % 97 === 0 ? "" : String(Math.cos(i * 0.11) * 3);
    const y = i % 131 === 0 ? "" : String(0.5 * x1 - 0.25 * (Number(x2) || 0) + firm * 0.01 + Math.sin(i * 1.7));
    lines.push(`${y},${x1},${x2},${firm},${year}`);
  }
  return lines.join("\n") + "\n";
}

const FORMULA = "y ~ x1 + x2 | firm + year";
let dir: string;
let csv: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "absorb-consume-"));
  csv = join(dir, "panel.csv");
  writeFileSync(csv, panelCsv());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const json = (fit: { toJSON(): Record<string, unknown> }) => JSON.stringify(fit.toJSON());

describe("consumeFrame: the model matrix made in the frame's own columns", () => {
  test("gives the very bytes of a fit that keeps its data, then every column of the read refuses to be read again", async () => {
    const kept = await feols(await readFrame(csv), FORMULA, { vcov: { cluster: "firm" } });
    const frame = await readFrame(csv);
    const consumed = await feols(frame, FORMULA, { vcov: { cluster: "firm" }, consumeFrame: true });
    expect(json(consumed)).toBe(json(kept));
    expect(consumed.droppedRows.missing).toBeGreaterThan(0);
    // y now holds the compacted (then demeaned) model matrix: every later reader is refused, by name.
    await expect(feols(frame, FORMULA)).rejects.toThrow(InputError);
    await expect(feols(frame, "x2 ~ x1 | firm")).rejects.toThrow(/columns "x2", "x1", "firm" of this data were overwritten by a fit run with consumeFrame/);
    expect(() => fixef(consumed)).toThrow(/post-estimation \(fixef, residuals, fitted, predict\) cannot read them/);
    expect(() => residuals(consumed)).toThrow(InputError);
    // The fixed effects' ids were read into the same table: consumed with it, their room reused.
    await expect(feols(frame, "year ~ 1 | firm")).rejects.toThrow(/columns "year", "firm" of this data were overwritten/);
    // A consumed column is refused wherever a fit reads it, as a fixed effect or cluster too.
    const fresh = Float64Array.from({ length: frame.nrows }, (_, i) => Math.sin(i));
    const mixed = { nrows: frame.nrows, columns: new Map([["z", { kind: "numeric" as const, values: fresh }], ["firm", frame.columns.get("firm")!]]) };
    await expect(feols(mixed, "z ~ 1 | firm")).rejects.toThrow(/column "firm" of this data was overwritten by a fit run with consumeFrame: this fit cannot read them/);
    await expect(feols(mixed, "z ~ 1", { vcov: { cluster: "firm" } })).rejects.toThrow(/column "firm" of this data was overwritten/);
  });

  test("leaves data it cannot compact in place untouched: columns out of the file's order, or not read by readFrame", async () => {
    const frame = await readFrame(csv);
    // x1 before y: not a run of the table in order, so the block is a copy as without the option.
    const reordered = await feols(frame, "x1 ~ y + x2 | firm + year", { consumeFrame: true });
    expect(json(reordered)).toBe(json(await feols(await readFrame(csv), "x1 ~ y + x2 | firm + year")));
    expect(fixef(reordered)).toHaveLength(2);
    const record = { y: [1, 2, 4, 3, 5, 7], x: [0, 1, 2, 3, 4, 6], g: [1, 1, 1, 2, 2, 2] };
    const fit = await feols(record, "y ~ x | g", { consumeFrame: true });
    expect(Array.from(residuals(fit)).every(Number.isFinite)).toBe(true);
    expect(record.y).toEqual([1, 2, 4, 3, 5, 7]);
  });

  test("a plan of several models never consumes: each reads the columns as the data holds them", async () => {
    const frame = await readFrame(csv);
    const fits = await feolsMulti(frame, "y ~ sw(x1, x2) | firm + year", { consumeFrame: true });
    const alone = await feolsMulti(await readFrame(csv), "y ~ sw(x1, x2) | firm + year");
    expect(fits.length).toBe(2);
    expect([...fits].map((f) => json(f.result))).toEqual([...alone].map((f) => json(f.result)));
    expect((await feols(frame, FORMULA)).nobs).toBeGreaterThan(0);
  });
});
