/**
 * docs/deploy.md, "First time on this machine": every `sst` command, `npx sst --help` and
 * `npx sst telemetry disable` included, first downloads Pulumi into ~/.config/sst/bin when it is
 * missing (offline: "Could not install pulumi", exit 1), and sends a telemetry event, unless the
 * switches the page names are set. The page's command for turning telemetry off on such a machine
 * is run here as written, with an empty HOME: it must succeed without a download or an event.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DEPLOY = readFileSync(join(ROOT, "docs/deploy.md"), "utf8");
const run = promisify(execFile);

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

describe("docs/deploy.md on sst's first run", () => {
  it("does not say only the commands that load the app download tools", () => {
    const text = DEPLOY.replace(/\s+/g, " ");
    expect(text.includes("The first `sst` command that loads the app"), "the old claim").toBe(false);
    expect(text.includes("`npx sst --help`"), "names --help among the downloading commands").toBe(true);
    expect(text.includes("SST_SKIP_DEPENDENCY_CHECK=1"), "names the switch").toBe(true);
  });

  it("turns telemetry off with the command it gives, offline: no download, no event", async () => {
    const command = /`(SST_SKIP_DEPENDENCY_CHECK=1 SST_TELEMETRY_DISABLED=1 npx sst telemetry disable)`/.exec(
      DEPLOY,
    )?.[1];
    expect(command, "docs/deploy.md gives the offline telemetry command").toBeDefined();
    const home = mkdtempSync(join(tmpdir(), "wau-sst-home-"));
    homes.push(home);
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
    for (const name of Object.keys(env))
      if (/^(SST_|DO_NOT_TRACK|XDG_CONFIG_HOME)/.test(name)) delete env[name];
    const { stdout, stderr } = await run("sh", ["-c", command ?? "false"], {
      cwd: ROOT,
      env,
      timeout: 60_000,
    });
    const output = `${stdout}${stderr}`;
    expect(output).not.toMatch(/pulumi/i);
    expect(output).not.toMatch(/posthog|telemetry\.ion\.sst\.dev/);
    // Remembered for the user; nothing downloaded into SST's tool folder.
    expect(existsSync(join(home, ".config/sst/telemetry-disable"))).toBe(true);
    expect(readdirSync(join(home, ".config/sst/bin"))).toEqual([]);
  }, 90_000);
});
