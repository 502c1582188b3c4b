import type { RegressionTable, TableRow } from "./table.js";

/**
 * LaTeX with booktabs: a table float holding a tabular with one l column and one c column per
 * model, \toprule / \midrule / \bottomrule, a \midrule between the coefficient, indicator and
 * statistic blocks, and the notes in a footnote-size block below. Text is escaped; in numeric
 * cells a minus is typeset as a minus sign and significance stars as superscripts.
 * Needs \usepackage{booktabs} in the preamble.
 */
export function renderLatex(table: RegressionTable): string {
  const n = table.columns.length;
  const out: string[] = [];
  out.push("\\begin{table}[htbp]", "\\centering");
  if (table.title !== "") out.push(`\\caption{${escapeLatex(table.title)}}`);
  out.push(`\\begin{tabular}{l${"c".repeat(n)}}`, "\\toprule");
  out.push(row("", table.columns.map(escapeLatex)));
  out.push("\\midrule");
  let previous: TableRow["kind"] | null = null;
  for (const r of table.rows) {
    if (previous !== null && r.kind !== previous) out.push("\\midrule");
    previous = r.kind;
    out.push(row(escapeLatex(r.label), r.cells.map(latexCell)));
  }
  out.push("\\bottomrule", "\\end{tabular}");
  if (table.notes.length > 0) {
    out.push("\\par\\smallskip", "\\begin{minipage}{\\linewidth}\\footnotesize");
    out.push(table.notes.map(escapeLatex).join(" \\\\\n"));
    out.push("\\end{minipage}");
  }
  out.push("\\end{table}");
  return out.join("\n") + "\n";
}

function row(label: string, cells: readonly string[]): string {
  return `${[label, ...cells].join(" & ")} \\\\`;
}

/** "-0.123***" → "$-$0.123$^{***}$", "(-4.56)" → "($-$4.56)"; anything else escaped as text. */
function latexCell(s: string): string {
  const m = /^(\()?(-)?(\d[\d,]*(?:\.\d+)?)(\))?(\*{1,3})?$/.exec(s);
  if (!m) return escapeLatex(s);
  const [, open = "", minus = "", digits, close = "", stars = ""] = m;
  return `${open}${minus ? "$-$" : ""}${digits}${close}${stars ? `$^{${stars}}$` : ""}`;
}

const LATEX_SPECIAL: Readonly<Record<string, string>> = {
  "\\": "\\textbackslash{}",
  "&": "\\&",
  "%": "\\%",
  $: "\\$",
  "#": "\\#",
  _: "\\_",
  "{": "\\{",
  "}": "\\}",
  "~": "\\textasciitilde{}",
  "^": "\\textasciicircum{}",
  "<": "$<$",
  ">": "$>$",
  "|": "\\textbar{}",
  "²": "$^2$",
  "³": "$^3$",
  "×": "$\\times$",
  "−": "$-$",
  "–": "--",
  "—": "---",
  "α": "$\\alpha$",
  "β": "$\\beta$",
};

/** Escapes text for LaTeX (text mode), including the few non-ASCII symbols tables use (², ×, −, –, —). */
export function escapeLatex(s: string): string {
  return s.replace(/[\\&%$#_{}~^<>|²³×−–—αβ]/g, (c) => LATEX_SPECIAL[c]).replace(/\r?\n/g, " ");
}
