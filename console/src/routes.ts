/** The console's hash routes: `#/<section>/<rest…>`; the key or any other secret is never part of one. */

/** Where the console is: `#/numbers/100000000000001` → section "numbers", rest ["100000000000001"]. */
export interface Route {
  section: string;
  rest: string[];
}

/** The route of a location hash among `sections` (ids); anything unknown is the first section's start page. */
export function parseRoute(hash: string, sections: readonly string[]): Route {
  const parts = hash
    .replace(/^#\/?/, "")
    .split("/")
    .filter((part) => part !== "")
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  const [section, ...rest] = parts;
  return section !== undefined && sections.includes(section)
    ? { section, rest }
    : { section: sections[0] ?? "", rest: [] };
}
