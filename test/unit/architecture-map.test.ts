/**
 * docs/architecture.md is the map of the repository: every path it names in backticks exists,
 * and every room of functions/core/ is on it, so the map cannot drift from the layout unnoticed.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const map = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");
const TOP_LEVEL = /^(functions|infra|dev|cli|bin|bench|test|docs|openapi|meta-sandbox|console|\.ci)\//;

/** Backticked repository paths: `functions/core/store/`, `dev/bundle.ts`, `functions/v1/*.ts`. */
function pathsNamed(markdown: string): string[] {
  const named = new Set<string>();
  for (const [, text = ""] of markdown.matchAll(/`([^`\s]+)`/g)) {
    if (TOP_LEVEL.test(text)) named.add(text.replace(/\*.*$/, "").replace(/[,.;:]$/, ""));
  }
  return [...named];
}

describe("docs/architecture.md", () => {
  const named = pathsNamed(map);

  it("names paths (the check below is not vacuous)", () => {
    expect(named.length).toBeGreaterThan(40);
  });

  it("names only paths that exist", () => {
    expect(named.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it("has every room of functions/core/ and every entry folder of functions/ on the map", () => {
    const rooms = [
      ...readdirSync(join(ROOT, "functions/core"), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => `functions/core/${entry.name}/`),
      ...readdirSync(join(ROOT, "functions"), { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && entry.name !== "core")
        .map((entry) => `functions/${entry.name}/`),
    ];
    expect(rooms.filter((room) => !named.some((path) => path.startsWith(room)))).toEqual([]);
  });
});
