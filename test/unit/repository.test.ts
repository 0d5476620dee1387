/**
 * The repository stands on its own: no file refers to anything outside it (a planning document
 * beside the checkout, or its numbered sections), every relative link in the Markdown resolves to a file inside
 * it, and every `docs/<file>.md, "<section>"` reference names a section that exists. And the
 * version, the changelog, the OpenAPI document and the license agree.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import semver from "semver";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Tracked files and new ones not ignored: what a commit of the working tree would hold. */
const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
  cwd: ROOT,
  encoding: "utf8",
})
  .split("\n")
  .filter((file) => file !== "" && existsSync(join(ROOT, file)))
  .filter((file) => !/\.(png|jpg|gif|ico|jar|gz|zip)$/.test(file) && file !== "package-lock.json");

const read = (file: string) => readFileSync(join(ROOT, file), "utf8");

/** Comment leaders folded away, so a reference broken over lines of a comment reads as one. */
function prose(text: string): string {
  return text.replace(/\n[ \t]*(?:\*|\/\/|#)?[ \t]*/g, " ");
}

function headingsOf(markdown: string): string[] {
  return [...markdown.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)].map((m) => (m[1] ?? "").replace(/`/g, ""));
}

describe("nothing refers outside the repository", () => {
  it("finds the repository's files (the check below is not vacuous)", () => {
    expect(files).toContain("README.md");
    expect(files).toContain("docs/spec.md");
    expect(files.filter((f) => f.endsWith(".ts")).length).toBeGreaterThan(100);
  });

  it("has no reference to planning documents or folders beside the checkout", () => {
    // Built from parts so this file does not match itself.
    const forbidden = [
      new RegExp(["\\.\\.", "shared"].join("/")),
      new RegExp(`\\bSPEC ${"§"}`),
      new RegExp(["SPEC", "md"].join("\\.")),
      new RegExp(["ARCHITECTURE", "md"].join("\\.")),
      new RegExp(["", "work", ""].join("/")),
    ];
    const found: string[] = [];
    for (const file of files) {
      const text = read(file);
      for (const pattern of forbidden) {
        const match = pattern.exec(text);
        if (match) found.push(`${file}: ${match[0]}`);
      }
    }
    expect(found).toEqual([]);
  });

  it("resolves every relative Markdown link to a file inside the repository", () => {
    const broken: string[] = [];
    let links = 0;
    for (const file of files.filter((f) => f.endsWith(".md"))) {
      for (const [, target = ""] of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target)) continue;
        links += 1;
        const path = resolve(ROOT, dirname(file), target.replace(/#.*$/, ""));
        const inside = !relative(ROOT, path).startsWith("..");
        if (!inside || !existsSync(path)) broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
    expect(links).toBeGreaterThan(10);
  });

  it('names only sections that exist when it says docs/<file>.md, "<section>"', () => {
    const headings = new Map<string, string[]>();
    const unknown: string[] = [];
    let references = 0;
    for (const file of files) {
      for (const [, doc = "", section = ""] of prose(read(file)).matchAll(
        /(docs\/[a-z-]+\.md),? \(?"([^"<]+)"/g,
      )) {
        references += 1;
        if (!headings.has(doc)) headings.set(doc, existsSync(join(ROOT, doc)) ? headingsOf(read(doc)) : []);
        // A reference may shorten a heading: "Idempotency" for "Idempotency-Key (POST and DELETE)".
        const known = (headings.get(doc) ?? []).some((h) =>
          h.toLowerCase().startsWith(section.toLowerCase()),
        );
        if (!known) unknown.push(`${file}: ${doc}, "${section}"`);
      }
    }
    expect(unknown).toEqual([]);
    expect(references).toBeGreaterThan(10);
  });
});

describe("version, changelog and license", () => {
  const pkg = JSON.parse(read("package.json")) as { version: string; license: string };

  it("has one semantic version: package.json's, in the OpenAPI document, with a changelog entry", () => {
    expect(semver.valid(pkg.version)).toBe(pkg.version);
    const openapi = JSON.parse(read("docs/openapi.json")) as { info: { version: string } };
    expect(openapi.info.version).toBe(pkg.version);
    const changelog = read("CHANGELOG.md");
    expect(changelog).toMatch(/^## \[Unreleased\]$/m);
    expect(changelog).toMatch(
      new RegExp(`^## \\[${pkg.version.replace(/\./g, "\\.")}\\] - \\d{4}-\\d{2}-\\d{2}$`, "m"),
    );
    // Released versions are listed newest first, each once.
    const released = [...changelog.matchAll(/^## \[(\d+\.\d+\.\d+)\]/gm)].map((m) => m[1] ?? "");
    expect(released[0]).toBe(pkg.version);
    expect([...released].sort(semver.rcompare)).toEqual(released);
  });

  it("is MIT, in LICENSE and package.json", () => {
    expect(pkg.license).toBe("MIT");
    expect(read("LICENSE")).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} /);
  });
});
