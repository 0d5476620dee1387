/** What each benchmark hands the report: its markdown and the budgets it checked. */
export interface Budget {
  name: string;
  measured: string;
  limit: string;
  pass: boolean;
}

export interface Section {
  title: string;
  /** Markdown lines, without the section heading. */
  lines: string[];
  budgets: Budget[];
}

/** Columns of figures, right-aligned. */
const NUMERIC =
  /^(n|bytes|changes|calls|reads|writes|requests|time|non-2xx|errors)$|ms$|p99$|\/s|^ratio|per change|^(floor|Get|Claim|Delete|Meta)/i;

/** A markdown table from a header row and data rows. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map((h) => (NUMERIC.test(h) ? "---:" : "---")).join("|")}|`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ];
}
