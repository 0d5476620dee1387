/**
 * docs/scale.md, the capacity model, keeps its figures and its conclusion: the limits table (each
 * limit's demand, capacity and the scale at which it is reached) and, for 10×, 100× and 1000×,
 * the first limit reached, named. The figures themselves come from `npm run bench -- --only
 * capacity`; this only checks they are there.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const doc = readFileSync(new URL("../../docs/scale.md", import.meta.url), "utf8");

/** The rows of the markdown table whose header row contains `headerWord`, as cells. */
function tableAfterHeader(markdown: string, headerWord: string): string[][] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) => line.startsWith("|") && line.includes(headerWord));
  if (start < 0) return [];
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(
      line
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

describe("docs/scale.md", () => {
  it("has the limits table: each limit with its demand, capacity and the scale it is reached at", () => {
    const rows = tableAfterHeader(doc, "reached at");
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const row of rows)
      expect(
        row.find((cell) => /^× [\d.]+$/.test(cell)),
        row.join(" | "),
      ).toBeDefined();
  });

  it.each(["10×", "100×", "1000×"])("names the first limit reached at %s", (scale) => {
    const row = tableAfterHeader(doc, "first limit reached").find((cells) => cells[0] === scale);
    expect(row, `no row for ${scale}`).toBeDefined();
    // The first limit reached: a name, not a blank or "none".
    expect(row?.[1]).toMatch(/[a-z]{4,}/i);
    expect(row?.[1]).not.toMatch(/^none/);
  });

  it("says which command reproduces its figures", () => {
    expect(doc).toContain("npm run bench -- --only capacity");
  });
});
