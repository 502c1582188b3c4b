import type { RegressionTable } from "./table.js";

/**
 * Markdown (GitHub pipe table): the title in bold above, the model labels as the header, the
 * label column left-aligned and the model columns centred, padded so the text lines up in a
 * terminal too; each note its own paragraph below.
 */
export function renderMarkdown(table: RegressionTable): string {
  const header = ["", ...table.columns].map(cell);
  const body = table.rows.map((r) => [r.label, ...r.cells].map(cell));
  const widths = header.map((h, j) => Math.max(3, h.length, ...body.map((r) => (r[j] ?? "").length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : centre(c, widths[j]))).join(" | ")} |`;
  const rule = `|${widths.map((w, j) => (j === 0 ? `:${"-".repeat(w + 1)}` : `:${"-".repeat(w)}:`)).join("|")}|`;
  const parts: string[] = [];
  if (table.title !== "") parts.push(`**${inline(table.title)}**`, "");
  parts.push(line(header), rule, ...body.map(line));
  for (const note of table.notes) parts.push("", paragraph(note));
  return parts.join("\n") + "\n";
}

/** Text in a table cell: a pipe would end the cell. */
function cell(s: string): string {
  return inline(s).replace(/\|/g, "\\|");
}

/**
 * Text on one line, with raw HTML defused: a `<` that could open a tag or comment and an `&`
 * that could start an entity are backslash-escaped (shown as themselves), so a variable named
 * `<img src=x onerror=…>` is text, not markup (backslashes are doubled first, so none can undo
 * an escape). `p < 0.1` has nothing to escape and stays as is.
 */
function inline(s: string): string {
  return s
    .replace(/\r?\n/g, " ")
    .replace(/\\/g, "\\\\")
    .replace(/<(?=[A-Za-z/!?])/g, "\\<")
    .replace(/&(?=#?\w+;)/g, "\\&");
}

/** A note as a paragraph: a leading list, heading or quote marker is escaped so it stays text. */
function paragraph(s: string): string {
  const t = inline(s);
  if (/^([*+\->#]|\d+[.)])(\s|$)/.test(t)) return t.replace(/^(\d+)?([*+\->#.)])/, (_m, d: string | undefined, c: string) => `${d ?? ""}\\${c}`);
  return t;
}

function centre(s: string, width: number): string {
  const pad = width - s.length;
  const left = Math.floor(pad / 2);
  return " ".repeat(left) + s + " ".repeat(pad - left);
}
