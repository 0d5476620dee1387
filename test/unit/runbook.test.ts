/**
 * docs/runbook.md has a section for every alarm infra/ declares (infra/stage-settings.ts lists
 * the section each alarm's description names; the infra suite checks the deployed alarms name
 * them), and each section says what the alarm means, gives a Logs Insights query and says what
 * to do.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { ALARM_SECTIONS } from "../../infra/stage-settings.ts";

const runbook = await readFile(new URL("../../docs/runbook.md", import.meta.url), "utf8");

/** The text of each `## ` section, by heading. */
function sections(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  const parts = markdown.split(/^## /m).slice(1);
  for (const part of parts) {
    const [heading = "", ...body] = part.split("\n");
    found.set(heading.trim(), body.join("\n"));
  }
  return found;
}

describe("docs/runbook.md", () => {
  const bySection = sections(runbook);

  it("lists the alarms' sections (none left out of the declaration)", () => {
    expect(ALARM_SECTIONS.length).toBeGreaterThanOrEqual(18);
    expect(new Set(ALARM_SECTIONS).size).toBe(ALARM_SECTIONS.length);
  });

  it.each([...ALARM_SECTIONS])(
    "has a section for the %s alarm: meaning, a Logs Insights query, what to do",
    (name) => {
      const body = bySection.get(name);
      expect(body, `no "## ${name}" section`).toBeDefined();
      expect(body).toMatch(/\*\*What it means\.\*\* \S/);
      expect(body).toMatch(/\*\*What to do\.\*\* \S/);
      const query = /```sql\n([\s\S]+?)\n```/.exec(body ?? "")?.[1] ?? "";
      expect(query, `${name}: no query`).toMatch(/^fields /);
      expect(query).toMatch(/\| (filter|stats) /);
    },
  );

  it("has no alarm section for an alarm that does not exist", () => {
    const alarmSections = [...bySection.keys()].filter((heading) => heading !== "Where to look");
    expect(alarmSections.sort()).toEqual([...ALARM_SECTIONS].sort());
  });

  it("links only to sections it has", () => {
    const anchors = new Set(
      [...bySection.keys()].map((heading) => heading.toLowerCase().replace(/\s+/g, "-")),
    );
    for (const [, anchor] of runbook.matchAll(/\]\(#([\w-]+)\)/g)) expect(anchors).toContain(anchor);
  });
});
