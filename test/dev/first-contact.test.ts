/**
 * First contact, as a newcomer meets it: every failure of `npm start` and `npm install` is one
 * line that says what to do, never a stack trace.
 *  - `java` missing from PATH: install a JDK 17+, or point DYNAMODB_ENDPOINT at a DynamoDB you run;
 *  - an `npm start` killed with SIGKILL leaves its DynamoDB Local running: the next start finds it
 *    (its pid file in the data folder), stops it and starts;
 *  - a second `npm start` on the data folder of one still running: refused in one line, the
 *    first one's DynamoDB Local left running;
 *  - `npm install` on the Node.js this machine has as plain `node` (20): npm refuses before
 *    installing anything (`engine-strict`), naming the versions it needs.
 * Every `npm start` here has a data folder (DATA_DIR) of its own, never the checkout's `.data/`,
 * where a developer's own `npm start` may be running.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../dev/free-port.ts";
import { processAlive } from "../../dev/leftover-dynamodb.ts";
import { randomLocalSecrets } from "../support/local-secrets.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);

const started: ChildProcess[] = [];
const folders: string[] = [];
afterEach(() => {
  for (const child of started.splice(0)) {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }
  }
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function folder(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), prefix));
  folders.push(path);
  return path;
}

/** A PATH with this Node.js, npm and a shell, and no `java`. */
function pathWithoutJava(): string {
  const bin = folder("wau-nojava-");
  symlinkSync(process.execPath, join(bin, "node"));
  symlinkSync("/bin/sh", join(bin, "sh"));
  const npm = execFileSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).trim();
  symlinkSync(realpathSync(npm), join(bin, "npm"));
  return bin;
}

async function npmStart(env: NodeJS.ProcessEnv): Promise<ChildProcess & { output: () => string }> {
  const child = spawn("npm", ["start"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  started.push(child);
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  return Object.assign(child, { output: () => output });
}

async function ports() {
  return { PORT: await freePort(), DYNAMODB_PORT: await freePort(), META_SANDBOX_PORT: await freePort() };
}

function localEnv(extra: Record<string, string | number>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["DYNAMODB_ENDPOINT", "TABLE_NAME", "META_GRAPH_URL", "API_BASE_URL"]) delete env[name];
  return {
    ...env,
    ...randomLocalSecrets(),
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)])),
  };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

function waitFor(child: ChildProcess & { output: () => string }, pattern: RegExp, ms = 90_000) {
  return new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (pattern.test(child.output())) {
        clearInterval(timer);
        resolve();
      } else if (child.exitCode !== null || Date.now() - begun > ms) {
        clearInterval(timer);
        reject(new Error(`no ${pattern}:\n${child.output()}`));
      }
    }, 100);
    const begun = Date.now();
  });
}

describe("npm start without java on PATH", () => {
  it("exits 1 with one line naming the fix (a JDK 17+, or DYNAMODB_ENDPOINT), no stack trace", async () => {
    const env = {
      ...localEnv({ ...(await ports()), DYNAMODB_IN_MEMORY: 1, DATA_DIR: folder("wau-data-") }),
      PATH: pathWithoutJava(),
    };
    const child = await npmStart(env);
    expect(await exited(child)).toBe(1);
    const ours = child
      .output()
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.startsWith(">") && !line.startsWith("npm error"));
    const failure = ours.filter((line) => line.startsWith("npm start failed:"));
    expect(failure, child.output()).toHaveLength(1);
    expect(failure[0]).toMatch(/Java 17 or newer.*install a JDK 17\+.*DYNAMODB_ENDPOINT/);
    expect(child.output()).not.toMatch(/^\s+at /m);
    expect(child.output()).not.toContain("ENOENT\n");
    expect(child.output()).not.toMatch(/Error: spawn java/);
  }, 60_000);
});

describe("npm start after an npm start killed with SIGKILL", () => {
  it("stops the DynamoDB Local the killed one left running, and starts", async () => {
    const dataDir = folder("wau-data-");
    const env = localEnv({ ...(await ports()), DYNAMODB_IN_MEMORY: 1, DATA_DIR: dataDir });
    const first = await npmStart(env);
    await waitFor(first, /^ready: /m);
    const pidFile = join(dataDir, "dynamodb-local.pid");
    const { pid: javaPid } = JSON.parse(readFileSync(pidFile, "utf8")) as { pid: number };
    // The node process of dev/start.ts dies at once (its process group is npm's): Java is left behind.
    const { stdout } = await run("ps", ["-e", "-o", "pid=,pgid=,args="]);
    const target = stdout
      .split("\n")
      .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .find(
        ([, , pgid, args]) =>
          Number(pgid) === first.pid &&
          /launch\.cjs dev\/start\.ts/.test(args ?? "") &&
          !/^sh /.test(args ?? ""),
      );
    expect(target, stdout).toBeDefined();
    const targetPid = Number(target?.[1]);
    process.kill(targetPid, "SIGKILL");
    await exited(first);
    expect(processAlive(javaPid), "DynamoDB Local left running").toBe(true);

    const second = await npmStart(env);
    await waitFor(second, /^ready: /m);
    expect(second.output()).toContain(
      `stopped the DynamoDB Local an earlier npm start left running (pid ${javaPid})`,
    );
    expect(processAlive(javaPid)).toBe(false);
    // A clean stop forgets the pid file.
    const stopped = new Promise((resolve) => second.once("exit", resolve));
    process.kill(-(second.pid as number), "SIGTERM");
    await stopped;
    await expect.poll(() => existsSync(pidFile), { timeout: 10_000 }).toBe(false);
  }, 180_000);
});

describe("a second npm start on the data folder of one still running", () => {
  it("is refused in one line, and the first one's DynamoDB Local keeps running", async () => {
    const dataDir = folder("wau-data-");
    const first = await npmStart(localEnv({ ...(await ports()), DYNAMODB_IN_MEMORY: 1, DATA_DIR: dataDir }));
    await waitFor(first, /^ready: /m);
    const url = /^ready: (\S+)$/m.exec(first.output())?.[1];
    const pidFile = join(dataDir, "dynamodb-local.pid");
    const { pid: javaPid, port } = JSON.parse(readFileSync(pidFile, "utf8")) as { pid: number; port: number };

    // Other ports, the same data folder.
    const second = await npmStart(localEnv({ ...(await ports()), DYNAMODB_IN_MEMORY: 1, DATA_DIR: dataDir }));
    // Started instead (having stopped the first one's DynamoDB Local) is the failure this is about.
    const ready = waitFor(second, /^ready: /m).then(
      () => "ready",
      () => "no ready line",
    );
    expect(await Promise.race([exited(second), ready]), second.output()).toBe(1);
    const failure = second
      .output()
      .split("\n")
      .filter((line) => line.startsWith("npm start failed:"));
    expect(failure, second.output()).toHaveLength(1);
    expect(failure[0]).toMatch(
      new RegExp(
        `another npm start is using this data directory \\(pid \\d+, DynamoDB Local on port ${port}\\): ` +
          "stop it, or set DATA_DIR to another folder",
      ),
    );
    expect(second.output()).not.toMatch(/^\s+at /m);
    expect(processAlive(javaPid), "the first npm start's DynamoDB Local").toBe(true);
    expect(existsSync(pidFile)).toBe(true);
    expect((await fetch(`${url}/health`)).status).toBe(200);

    const stopped = new Promise((resolve) => first.once("exit", resolve));
    process.kill(-(first.pid as number), "SIGTERM");
    await stopped;
  }, 180_000);
});

/** A `node` on this machine that package.json's engines refuse (Node 20 as plain `node`). */
function refusedNode(): { node: string; bin: string } {
  for (const node of ["/usr/bin/node", "/usr/local/bin/node"]) {
    if (!existsSync(node)) continue;
    const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
    if (/^v(1\d|2[01])\./.test(version)) return { node, bin: dirname(node) };
  }
  throw new Error("no Node.js older than 22 at /usr/bin/node or /usr/local/bin/node on this machine");
}

describe("npm install on Node.js 20", () => {
  it("is refused by npm before anything is installed, naming the versions needed", async () => {
    const { bin } = refusedNode();
    const project = folder("wau-install-");
    for (const file of ["package.json", "package-lock.json", ".npmrc"]) {
      writeFileSync(join(project, file), readFileSync(join(ROOT, file)));
    }
    const result = await run("npm", ["install", "--no-audit", "--no-fund"], {
      cwd: project,
      env: { HOME: process.env.HOME, PATH: `${bin}:/usr/bin:/bin` },
    }).then(
      () => ({ code: 0, output: "" }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        output: `${error.stdout}${error.stderr}`,
      }),
    );
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("EBADENGINE");
    expect(result.output).toContain(
      JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).engines.node,
    );
    expect(existsSync(join(project, "node_modules"))).toBe(false);
  }, 120_000);
});
