import type { RegressionTable, TableRow } from "./table.js";

/**
 * A standalone HTML <table>: the title as <caption>, model labels in <thead>, the rows in
 * <tbody> (class = row kind; the first row of each block also "block-start", with a rule above),
 * the notes in <tfoot>. All text is escaped. Light inline styles make it read like a paper's
 * table when opened alone; a page's CSS can override them through the classes.
 */
export function renderHtml(table: RegressionTable): string {
  const n = table.columns.length + 1;
  const out: string[] = [];
  out.push('<table class="absorb-table" style="border-collapse: collapse; font-variant-numeric: tabular-nums;">');
  if (table.title !== "") out.push(`  <caption style="font-weight: bold; padding-bottom: 0.4em;">${escapeHtml(table.title)}</caption>`);
  out.push("  <thead>");
  out.push(
    `    <tr style="border-top: 2px solid; border-bottom: 1px solid;"><th></th>${table.columns
      .map((c) => `<th style="padding: 0.2em 0.8em; text-align: center;">${escapeHtml(c)}</th>`)
      .join("")}</tr>`,
  );
  out.push("  </thead>");
  out.push('  <tbody style="border-bottom: 2px solid;">');
  let previous: TableRow["kind"] | null = null;
  for (const r of table.rows) {
    const start = previous !== null && r.kind !== previous;
    previous = r.kind;
    const cls = start ? `${r.kind} block-start` : r.kind;
    const style = start ? ' style="border-top: 1px solid;"' : "";
    const cells = r.cells.map((c) => `<td style="padding: 0.1em 0.8em; text-align: center;">${escapeHtml(c)}</td>`).join("");
    out.push(`    <tr class="${cls}"${style}><th scope="row" style="text-align: left; font-weight: normal; padding-right: 1em;">${escapeHtml(r.label)}</th>${cells}</tr>`);
  }
  out.push("  </tbody>");
  if (table.notes.length > 0) {
    out.push("  <tfoot>");
    for (const note of table.notes) out.push(`    <tr><td colspan="${n}" style="font-size: 0.85em; text-align: left;">${escapeHtml(note)}</td></tr>`);
    out.push("  </tfoot>");
  }
  out.push("</table>");
  return out.join("\n") + "\n";
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}
