import type { RegressionTable } from "./table.js";

/**
 * The table's JSON form, keys in the documented order (title, columns, rows with label, cells,
 * kind, notes), one row per line so it reads and diffs like the table itself.
 */
export function renderJson(table: RegressionTable): string {
  const s = JSON.stringify;
  const rows = table.rows.map((r) => `    {"label": ${s(r.label)}, "cells": [${r.cells.map((c) => s(c)).join(", ")}], "kind": ${s(r.kind)}}`);
  const notes = table.notes.map((n) => `    ${s(n)}`);
  const block = (items: string[]) => (items.length === 0 ? "[]" : `[\n${items.join(",\n")}\n  ]`);
  return [
    "{",
    `  "title": ${s(table.title)},`,
    `  "columns": [${table.columns.map((c) => s(c)).join(", ")}],`,
    `  "rows": ${block(rows)},`,
    `  "notes": ${block(notes)}`,
    "}",
  ].join("\n") + "\n";
}
