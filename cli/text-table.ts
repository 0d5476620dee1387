import { escapeTerminal } from "./terminal-text.ts";

/**
 * Aligned columns for human output; the last column is never padded. Every cell is printed
 * through escapeTerminal (cli/terminal-text.ts): a control or bidirectional character in a
 * value (a URL, Meta's context) shows as an escape and never moves the columns.
 */
export function textTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows].map((row) => row.map((cell) => escapeTerminal(cell)));
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? "").length)));
  return all
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
