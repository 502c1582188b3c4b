import { InputError } from "../core/errors.js";
import { renderHtml } from "./html.js";
import { renderJson } from "./json.js";
import { renderLatex } from "./latex.js";
import { renderMarkdown } from "./markdown.js";
import type { RegressionTable } from "./table.js";

export type TableFormat = "md" | "tex" | "html" | "json";
export const TABLE_FORMATS: readonly TableFormat[] = ["md", "tex", "html", "json"];

/** Renders the table in one format (each renderer is a pure function of the JSON table). */
export function renderTable(table: RegressionTable, format: TableFormat): string {
  switch (format) {
    case "md":
      return renderMarkdown(table);
    case "tex":
      return renderLatex(table);
    case "html":
      return renderHtml(table);
    case "json":
      return renderJson(table);
    default:
      throw unknownFormat(format);
  }
}

/** Checks a format name from the user (aliases: markdown, latex). */
export function parseTableFormat(name: string): TableFormat {
  const alias: Record<string, TableFormat> = { md: "md", markdown: "md", tex: "tex", latex: "tex", html: "html", json: "json" };
  const f = alias[name.toLowerCase()];
  if (f === undefined) throw unknownFormat(name);
  return f;
}

function unknownFormat(name: string): InputError {
  return new InputError("option", `unknown table format "${name}"; formats: md, tex, html, json`);
}
