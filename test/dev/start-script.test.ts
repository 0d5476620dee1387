/**
 * `npm start`'s program (bin/launch.cjs dev/start.ts) against a store that is already running
 * (DYNAMODB_ENDPOINT): it starts no DynamoDB Local, seeds an empty store once, and the next time
 * seeds nothing but prints commands that work as printed (a key for the stored tenant, curl, the
 * sandbox's approval on the same port as before); with another upstream it seeds nothing at all.
 * It exits 0 on SIGTERM and on SIGINT (Ctrl-C). The full stack with DynamoDB Local is
 * test/e2e/npm-start.test.ts.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../../dev/free-port.ts";
import { resolveLocalConfig } from "../../dev/local-config.ts";
import { randomLocalSecrets } from "../support/local-secrets.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const execFileAsync = promisify(execFile);
const tableName = `start-${randomBytes(6).toString("hex")}`;
const secrets = randomLocalSecrets();
/** One sandbox port for every start here, as the fixed default (4000) is for a developer. */
let sandboxPort: number;
/** What the first start printed. */
let firstOutput = "";

/** Its own data folder: never the checkout's .data/, where a developer's npm start may run. */
const dataDir = mkdtempSync(join(tmpdir(), "wau-start-script-"));

beforeAll(async () => {
  sandboxPort = await freePort();
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** The admin CLI on this file's store, as a developer runs it in a second terminal. */
async function cli(args: string[], table = tableName): Promise<Record<string, unknown>> {
  const { stdout } = await execFileAsync(process.execPath, ["bin/wau-admin.cjs", ...args, "--json"], {
    cwd: ROOT,
    env: {
      ...process.env,
      DYNAMODB_ENDPOINT: inject("dynamodbEndpoint"),
      TABLE_NAME: table,
      TOKEN_ENCRYPTION_KEY: secrets.TOKEN_ENCRYPTION_KEY,
    },
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<[number | null, NodeJS.Signals | null]>;
}

async function start(overrides: NodeJS.ProcessEnv = {}): Promise<Run & { url: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...secrets,
    DYNAMODB_ENDPOINT: inject("dynamodbEndpoint"),
    TABLE_NAME: tableName,
    PORT: String(await freePort()),
    META_SANDBOX_PORT: String(sandboxPort),
    DATA_DIR: dataDir,
  };
  delete env.META_GRAPH_URL;
  Object.assign(env, overrides);
  const child = spawn(process.execPath, ["bin/launch.cjs", "dev/start.ts"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => {
    output += c;
  });
  child.stderr?.setEncoding("utf8").on("data", (c: string) => {
    output += c;
  });
  const exit = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once("exit", (code, signal) => resolve([code, signal])),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in time:\n${output}`)), 30_000);
    child.stdout?.on("data", () => {
      const ready = /^ready: (\S+)$/m.exec(output)?.[1];
      if (ready) {
        clearTimeout(timer);
        resolve(ready);
      }
    });
    void exit.then(() => reject(new Error(`exited before ready:\n${output}`)));
  });
  return { child, url, output: () => output, exit };
}

describe("npm start's program with DYNAMODB_ENDPOINT set", () => {
  it("seeds an empty store, starts no DynamoDB Local and exits 0 on SIGTERM", async () => {
    const run = await start();
    expect(run.output()).not.toContain("starting DynamoDB Local");
    expect(run.output()).toMatch(/storage\s+DYNAMODB_ENDPOINT http/);
    expect(run.output()).toContain(`created table ${tableName}`);
    expect(run.output()).toMatch(/export API_KEY=wau_/);
    const answer = await fetch(`${run.url}/meta/whatsapp/webhook?hub.mode=subscribe`);
    expect(answer.status).toBe(403);
    run.child.kill("SIGTERM");
    expect(await run.exit).toEqual([0, null]);
    expect(run.output()).toContain("SIGTERM: stopping");
    firstOutput = run.output();
  }, 40_000);

  it("the second time seeds nothing and prints commands that work as printed, and exits 0 on SIGINT", async () => {
    const run = await start();
    const output = run.output();
    expect(output).not.toContain("API_KEY=wau_");
    expect(output).toContain("nothing seeded");
    // The stored demo numbers are known to the new (empty) sandbox again.
    expect(output).toContain("registered 2 stored phone number(s) in the Meta sandbox");
    // The key command names the tenant that owns the demo numbers, in the documented form, and
    // points at this store: run as printed, from another shell, it makes a working key.
    expect(output).toContain('make one for tenant "demo"');
    // A new terminal may have another Node.js first on PATH (npm's EBADENGINE on Node 20): the
    // banner says to put the project's first, right before the command.
    expect(output).toMatch(
      /in another terminal.*:\n\n {2}source \.ci\/node-env\.sh\n {2}.*npx wau-admin key create/,
    );
    const command = /^ {2}(.*npx wau-admin key create --tenant demo)$/m.exec(output)?.[1];
    expect(command).toBe(
      `DYNAMODB_ENDPOINT=${inject("dynamodbEndpoint")} TABLE_NAME=${tableName} npx wau-admin key create --tenant demo`,
    );
    const { stdout } = await execFileAsync("sh", ["-c", `${command} --json`], { cwd: ROOT });
    const key = JSON.parse(stdout) as { apiKey: string };

    // The printed claim, as curl sends it.
    const claim = /curl -s -X POST (\S+\/username) -H "X-API-Key: \$API_KEY" \\\n.*-d '(\{.*\})'/.exec(
      output,
    );
    expect(claim, output).not.toBeNull();
    const [, claimUrl = "", claimBody = ""] = claim ?? [];
    const claimed = await fetch(claimUrl, {
      method: "POST",
      headers: { "X-API-Key": String(key.apiKey), "Content-Type": "application/json" },
      body: claimBody,
    });
    expect(await claimed.json()).toEqual({ status: "reserved" });

    // The printed approval: on the sandbox's port, the same as at the first start.
    const approve = /curl -s -X POST (http:\/\/127\.0\.0\.1:(\d+)\/__sandbox\/phones\/\d+\/approve)/.exec(
      output,
    );
    expect(approve?.[2]).toBe(String(sandboxPort));
    expect(firstOutput).toContain(approve?.[1]);
    const approved = await fetch(approve?.[1] ?? "", { method: "POST" });
    expect(approved.status).toBe(200);
    const read = await fetch(claimUrl, { headers: { "X-API-Key": String(key.apiKey) } });
    expect(await read.json()).toEqual({ username: "lucky_shrub", status: "approved" });

    run.child.kill("SIGINT");
    expect(await run.exit).toEqual([0, null]);
  }, 40_000);

  it("with another upstream (META_GRAPH_URL), seeds no demo data into an empty store", async () => {
    const table = `start-external-${randomBytes(6).toString("hex")}`;
    const run = await start({ TABLE_NAME: table, META_GRAPH_URL: "http://127.0.0.1:9/graph" });
    expect(run.output()).toContain("no demo data seeded");
    expect(run.output()).not.toContain("API_KEY=");
    expect(run.output()).not.toContain("__sandbox");
    expect(run.output()).toMatch(/\n {2}source \.ci\/node-env\.sh\n {2}.*npx wau-admin phone add --help/);
    // The commands it prints point at this store, as the later-start banner's do.
    expect(run.output()).toContain(
      `DYNAMODB_ENDPOINT=${inject("dynamodbEndpoint")} TABLE_NAME=${table} npx wau-admin key create --tenant <tenantId>`,
    );
    expect(await cli(["tenant", "list"], table)).toEqual({ tenants: [] });
    run.child.kill("SIGTERM");
    expect(await run.exit).toEqual([0, null]);
  }, 40_000);
});

describe("the sandbox's port", () => {
  it("is 4000 unless META_SANDBOX_PORT says otherwise, so printed commands stay valid across starts", () => {
    // Every secret is given, so nothing is generated into the (never created) data folder.
    const dataDir = `/tmp/wau-config-${randomBytes(4).toString("hex")}`;
    const config = (env: Record<string, string>) =>
      resolveLocalConfig({ ...secrets, ...env }, dataDir).upstream;
    expect(config({})).toEqual({ kind: "sandbox", port: 4000 });
    expect(config({ META_SANDBOX_PORT: "4100" })).toEqual({ kind: "sandbox", port: 4100 });
    expect(config({ META_GRAPH_URL: "https://graph.facebook.com" })).toEqual({
      kind: "external",
      url: "https://graph.facebook.com",
    });
  });
});
