/**
 * The layer order of functions/ and the CLI above it (docs/architecture.md, "Layers"; `.dependency-cruiser.cjs`):
 * the repository has no import against it, and each rule bites: a tree with one deliberate
 * back-import per rule is refused with that rule's name.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CONFIG = join(ROOT, ".dependency-cruiser.cjs");
const DEPCRUISE = join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruiser.mjs");

interface CruiseResult {
  summary: {
    totalCruised: number;
    violations: { rule: { name: string }; from: string; to: string; cycle?: unknown[] }[];
  };
}

async function cruise(cwd: string): Promise<CruiseResult> {
  const run = promisify(execFile);
  // depcruise exits non-zero when it finds violations; the JSON on stdout is the answer either way.
  const output = await run(
    process.execPath,
    [DEPCRUISE, "functions", "cli", "--config", CONFIG, "--output-type", "json"],
    { cwd, maxBuffer: 64 * 1024 * 1024 },
  ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? "" }));
  return JSON.parse(output.stdout) as CruiseResult;
}

describe("layers", () => {
  it("the repository has no import against the layer order", async () => {
    const result = await cruise(ROOT);
    expect(result.summary.totalCruised).toBeGreaterThan(100);
    expect(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  }, 60_000);

  const tree = mkdtempSync(join(tmpdir(), "layers-"));
  afterAll(() => rmSync(tree, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), text);
  };

  it("refuses each kind of back-import, naming its rule", async () => {
    write("functions/core/errors/graph-error.ts", 'import "../store/keys.ts";\nexport {};\n');
    write("functions/core/store/keys.ts", 'import "../http/response.ts";\nexport {};\n');
    write("functions/core/http/response.ts", "export {};\n");
    write("functions/core/username-state/planner.ts", 'import "node:fs";\nimport "../store/keys.ts";\n');
    write("functions/core/usernames/a.ts", 'import "./b.ts";\nimport "../http/response.ts";\n');
    write("functions/core/usernames/b.ts", 'import "./a.ts";\nimport "../../username-api/claim.ts";\n');
    write("functions/username-api/claim.ts", "export {};\n");
    write("functions/core/tenant-api/feed.ts", 'import "@aws-sdk/lib-dynamodb";\n');
    write(
      "cli/commands/keys.ts",
      'import "../../functions/core/store/keys.ts";\nimport "../../functions/core/store/client.ts";\n',
    );
    write("functions/core/store/client.ts", "export {};\n");
    const result = await cruise(tree);
    const found = new Set(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`));
    expect([...found].sort()).toEqual(
      [
        "cli-through-services: cli/commands/keys.ts → functions/core/store/keys.ts",
        "core-never-imports-entry-points: functions/core/usernames/b.ts → functions/username-api/claim.ts",
        "domain-imports-only-foundation: functions/core/username-state/planner.ts → functions/core/store/keys.ts",
        "foundation-imports-nothing-above: functions/core/errors/graph-error.ts → functions/core/store/keys.ts",
        "no-circular: functions/core/usernames/a.ts → functions/core/usernames/b.ts",
        "only-the-store-speaks-dynamodb: functions/core/tenant-api/feed.ts → @aws-sdk/lib-dynamodb",
        "services-never-import-http: functions/core/store/keys.ts → functions/core/http/response.ts",
        "services-never-import-http: functions/core/usernames/a.ts → functions/core/http/response.ts",
        "store-imports-only-below: functions/core/store/keys.ts → functions/core/http/response.ts",
        "username-state-is-pure: functions/core/username-state/planner.ts → fs",
      ].sort(),
    );
  }, 60_000);
});
