/**
 * `node dev/start.ts` against a store that is already running (DYNAMODB_ENDPOINT): it starts no
 * DynamoDB Local, seeds an empty store once and says so the next time, and exits 0 on SIGTERM
 * and on SIGINT (Ctrl-C). The full stack with DynamoDB Local is test/e2e/npm-start.test.ts.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";
import { freePort } from "../../dev/free-port.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const tableName = `start-${randomBytes(6).toString("hex")}`;
const secrets = {
  TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  META_APP_SECRET: randomBytes(16).toString("hex"),
  META_VERIFY_TOKEN: randomBytes(16).toString("hex"),
};

interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<[number | null, NodeJS.Signals | null]>;
}

async function start(): Promise<Run & { url: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...secrets,
    DYNAMODB_ENDPOINT: inject("dynamodbEndpoint"),
    TABLE_NAME: tableName,
    PORT: String(await freePort()),
  };
  delete env.META_GRAPH_URL;
  const child = spawn(process.execPath, ["dev/start.ts"], {
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

describe("node dev/start.ts with DYNAMODB_ENDPOINT set", () => {
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
  }, 40_000);

  it("seeds nothing the second time, tells how to make a key, and exits 0 on SIGINT", async () => {
    const run = await start();
    expect(run.output()).not.toContain("API_KEY=");
    expect(run.output()).toContain("nothing seeded");
    expect(run.output()).toContain("npm run admin -- key create --tenant demo");
    // The stored demo numbers are known to the new (empty) sandbox again.
    expect(run.output()).toContain("registered 2 stored phone number(s) in the Meta sandbox");
    run.child.kill("SIGINT");
    expect(await run.exit).toEqual([0, null]);
  }, 40_000);
});
