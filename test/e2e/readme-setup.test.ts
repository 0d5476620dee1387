/**
 * The README's set-up block, pasted as it is on a machine whose plain `node` is Node.js 20 (this
 * machine's /usr/bin/node; GitHub's runners have one at /usr/local/bin/node): in a copy of the
 * repository without node_modules, bash runs the block's lines with only the system's PATH,
 * so `source .ci/node-env.sh` must put a supported Node.js first, `npm install` must install and
 * `npm start` must come up (its ready line, GET /health 200). Ports and secrets come from the
 * environment, as the README's configuration table allows, so nothing of the developer's is used.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../dev/free-port.ts";
import { randomLocalSecrets } from "../support/local-secrets.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The first ```sh block under "## Run it locally": what a newcomer pastes. */
function setupBlock(): string {
  const section = README.slice(README.indexOf("## Run it locally"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error("README has no set-up block under 'Run it locally'");
  return block;
}

/** The system's PATH with a Node.js older than 22 first (this machine's plain `node`). */
function oldNodePath(): { path: string; version: string } {
  for (const node of ["/usr/bin/node", "/usr/local/bin/node"]) {
    if (!existsSync(node)) continue;
    const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
    if (/^v(1\d|2[01])\./.test(version))
      return { path: `${dirname(node)}:/usr/local/bin:/usr/bin:/bin`, version };
  }
  throw new Error("no Node.js older than 22 at /usr/bin/node or /usr/local/bin/node on this machine");
}

/** The repository as a clone has it (tracked and new files, not ignored ones: no node_modules). */
function copyOfRepository(): string {
  const copy = mkdtempSync(join(tmpdir(), "wau-setup-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter((file) => file !== "" && existsSync(join(ROOT, file)));
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(ROOT, file), join(copy, file));
  }
  return copy;
}

let child: ChildProcess | undefined;
let copy: string | undefined;
afterAll(() => {
  if (child?.pid && child.exitCode === null) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe("the README's set-up block on Node.js 20", () => {
  it("installs and starts: node-env puts a supported Node.js first, then npm install && npm start", async () => {
    const { path, version } = oldNodePath();
    expect(version).toMatch(/^v20\.|^v1\d\.|^v21\./);
    copy = copyOfRepository();
    const port = await freePort();
    // The machine's environment (proxy and certificate settings included), less what this test
    // run set for itself, with the system's PATH: a fresh shell's.
    const shell = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) =>
          !/^(npm_|VITEST|DYNAMODB_|TABLE_NAME|META_|API_|TOKEN_ENCRYPTION|TENANT_|POWERTOOLS|AWS_|NODE_OPTIONS|NODE_ENV|FC_SEED)/.test(
            name,
          ),
      ),
    );
    const env: NodeJS.ProcessEnv = {
      ...shell,
      PATH: path,
      // npm's cache has the packages already: no need to ask the registry for each one.
      npm_config_prefer_offline: "true",
      ...randomLocalSecrets(),
      PORT: String(port),
      DYNAMODB_PORT: String(await freePort()),
      META_SANDBOX_PORT: String(await freePort()),
      DYNAMODB_IN_MEMORY: "1",
      SST_TELEMETRY_DISABLED: "1",
    };
    child = spawn("bash", ["-c", setupBlock()], {
      cwd: copy,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    const begun = Date.now();
    while (!/^ready: http:\/\/127\.0\.0\.1:\d+$/m.test(output)) {
      if (child.exitCode !== null) throw new Error(`the set-up block ended (${child.exitCode}):\n${output}`);
      if (Date.now() - begun > 240_000) throw new Error(`not ready within 4 minutes:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(output).toMatch(/node-env: using node v(2[2-9]|[3-9]\d)\./);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    const stopped = new Promise((resolve) => child?.once("exit", resolve));
    process.kill(-(child.pid as number), "SIGTERM");
    await stopped;
  }, 300_000);
});
