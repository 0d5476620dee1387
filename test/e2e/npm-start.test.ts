/**
 * What a newcomer does: `npm start` as a child process (in-memory store, free ports), wait for
 * its ready line, make a key and a phone number with the admin CLI (`npx wau-admin`, in another
 * process, while it runs; nothing else tells the Meta sandbox about the number), run the README's
 * curl flows over real HTTP, follow the change feed and a signed webhook to an endpoint the CLI
 * added, then SIGTERM it and check that nothing it started is still running.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../dev/free-port.ts";
import { processAlive } from "../../dev/leftover-dynamodb.ts";
import { randomLocalSecrets } from "../support/local-secrets.ts";
import { type ReceivedWebhook, startTenantEndpoint, verifiedEvent } from "../support/tenant-endpoint.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const READY_TIMEOUT_MS = 90_000;
const execFileAsync = promisify(execFile);

const secrets = randomLocalSecrets();
/** Its own data folder: never the checkout's .data/, where a developer's npm start may run. */
const dataDir = mkdtempSync(join(tmpdir(), "wau-npm-start-"));

let child: ChildProcess;
let output = "";
let ports: { PORT: number; DYNAMODB_PORT: number; META_SANDBOX_PORT: number };
let url: string;

/** The environment of the child: this test's ports and secrets, nothing the test run set. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["DYNAMODB_ENDPOINT", "TABLE_NAME", "META_GRAPH_URL", "API_KEY_CACHE_TTL_MS"])
    delete env[name];
  return {
    ...env,
    ...secrets,
    DYNAMODB_IN_MEMORY: "1",
    DATA_DIR: dataDir,
    PORT: String(ports.PORT),
    DYNAMODB_PORT: String(ports.DYNAMODB_PORT),
    META_SANDBOX_PORT: String(ports.META_SANDBOX_PORT),
  };
}

function waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(output);
      if (!match) return false;
      cleanup();
      resolve(match);
      return true;
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`npm start exited (${code}) before printing ${pattern}:\n${output}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off("data", check);
      child.off("exit", onExit);
    };
    if (check()) return;
    child.stdout?.on("data", check);
    child.once("exit", onExit);
  });
}

/** The admin CLI against the store `npm start` runs, as the README runs it (`npx wau-admin … --json`). */
async function admin(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await execFileAsync("npx", ["--no-install", "wau-admin", ...args, "--json"], {
    cwd: ROOT,
    env: {
      ...process.env,
      DYNAMODB_ENDPOINT: `http://127.0.0.1:${ports.DYNAMODB_PORT}`,
      TABLE_NAME: "whatsapp-usernames",
      TOKEN_ENCRYPTION_KEY: secrets.TOKEN_ENCRYPTION_KEY,
    },
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** Every process below `root`, from ps. */
async function descendants(root: number): Promise<{ pid: number; args: string }[]> {
  const { stdout } = await execFileAsync("ps", ["-e", "-o", "pid=,ppid=,args="]);
  const rows = stdout
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([, pid, ppid, args]) => ({ pid: Number(pid), ppid: Number(ppid), args: args ?? "" }));
  const found: { pid: number; args: string }[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const row of rows.filter((r) => r.ppid === parent)) {
      found.push({ pid: row.pid, args: row.args });
      queue.push(row.pid);
    }
  }
  return found;
}

async function json(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not JSON (${response.status}): ${text}`);
  }
}

beforeAll(async () => {
  ports = { PORT: await freePort(), DYNAMODB_PORT: await freePort(), META_SANDBOX_PORT: await freePort() };
  const started = performance.now();
  // Its own process group, so that cleanup can reach every process even if a test fails.
  child = spawn("npm", ["start"], {
    cwd: ROOT,
    env: childEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const [, readyUrl] = await waitForOutput(/^ready: (http:\/\/\S+)$/m, READY_TIMEOUT_MS);
  url = readyUrl ?? "";
  console.info(`npm start was ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}, READY_TIMEOUT_MS + 10_000);

afterAll(() => {
  // Whatever is left of its process group (only when a test failed before the SIGTERM test).
  try {
    if (child?.pid) process.kill(-child.pid, "SIGKILL");
  } catch {
    // none left
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe("npm start", () => {
  it("prints exactly one ready line, on the port asked for, and no secret", () => {
    expect(url).toBe(`http://127.0.0.1:${ports.PORT}`);
    expect(output.match(/^ready: /gm)).toHaveLength(1);
    for (const secret of Object.values(secrets)) expect(output).not.toContain(secret);
    expect(output).toMatch(/META_APP_SECRET\s+set/);
    expect(output).toMatch(/TOKEN_ENCRYPTION_KEY\s+set/);
  });

  it("prints the tenant console's address, and serves it there", async () => {
    expect(output).toContain(`Tenant console: ${url}/console/`);
    const page = await fetch(`${url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(await page.text()).toContain('<div id="app"></div>');
  });

  it("seeds a demo tenant whose printed key works", async () => {
    const key = /export API_KEY=(wau_\S+)/.exec(output)?.[1];
    const phone = /seeded tenant "demo" with phone numbers (\d+) and (\d+)/.exec(output)?.[1];
    expect(key).toBeDefined();
    const answer = await fetch(`${url}/meta/whatsapp/v24.0/${phone}/username`, {
      headers: { "X-API-Key": key ?? "" },
    });
    expect(answer.status).toBe(200);
    expect(await json(answer)).toEqual({});
  });

  it("runs the README flows with a key and a phone number made by the admin CLI", async () => {
    const key = await admin("key", "create", "--tenant", "t1", "--name", "e2e");
    expect(key).toMatchObject({
      tenantId: "t1",
      apiKey: expect.stringMatching(/^wau_/),
      id: expect.any(String),
    });
    const phone = {
      phoneNumberId: "555000111222333",
      wabaId: "555000111222000",
      businessId: "555000111000000",
      displayPhoneNumber: "15550001111",
      accessToken: `EAAG${randomBytes(16).toString("hex")}`,
    };
    await admin(
      "phone",
      "add",
      "--tenant",
      "t1",
      "--phone-number-id",
      phone.phoneNumberId,
      "--waba-id",
      phone.wabaId,
      "--business-id",
      phone.businessId,
      "--display-phone-number",
      phone.displayPhoneNumber,
      "--access-token",
      phone.accessToken,
    );
    // Nobody tells the sandbox's Meta about the number: it finds it in the store at the first call.
    const sandboxUrl = `http://127.0.0.1:${ports.META_SANDBOX_PORT}`;

    const base = `${url}/meta/whatsapp/v24.0/${phone.phoneNumberId}`;
    const headers = { "X-API-Key": String(key.apiKey) };

    expect(await json(await fetch(`${base}/username`, { headers }))).toEqual({});
    const suggestions = (await json(await fetch(`${base}/username_suggestions`, { headers }))) as {
      data: { username_suggestions: string[] }[];
    };
    expect(suggestions.data[0]?.username_suggestions).toContain("lucky_shrub");

    // As curl -d sends it: a form content type, which API Gateway hands over base64.
    const claimed = await fetch(`${base}/username`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/x-www-form-urlencoded" },
      body: '{"username":"lucky_shrub"}',
    });
    expect(claimed.status).toBe(200);
    expect(await json(claimed)).toEqual({ status: "reserved" });
    expect(await json(await fetch(`${base}/username`, { headers }))).toEqual({
      username: "lucky_shrub",
      status: "reserved",
    });

    // Meta approves: the sandbox's signed webhook reaches the local webhook route.
    const approved = (await json(
      await fetch(`${sandboxUrl}/__sandbox/phones/${phone.phoneNumberId}/approve`, { method: "POST" }),
    )) as { status: number }[];
    expect(approved.map((d) => d.status)).toEqual([200]);
    expect(await admin("phone", "show", phone.phoneNumberId)).toMatchObject({
      username: "lucky_shrub",
      status: "approved",
      source: "webhook",
    });

    expect(await json(await fetch(`${base}/username`, { method: "DELETE", headers }))).toEqual({
      success: true,
    });
    expect(await json(await fetch(`${base}/username`, { headers }))).toEqual({ status: "deleted" });

    const wrongKey = await fetch(`${base}/username`, { headers: { "X-API-Key": "wau_not_a_key" } });
    expect(wrongKey.status).toBe(401);
    const unknown = await fetch(`${url}/meta/whatsapp/v24.0/${phone.phoneNumberId}/nothing`);
    expect(unknown.status).toBe(404);
  });

  it("feeds the changes and sends them, signed, to an endpoint added with the admin CLI", async () => {
    const receiver = await startTenantEndpoint();
    try {
      const endpoint = await admin("webhook", "add", "--tenant", "t1", "--url", receiver.url);
      const keyOf = await admin("key", "create", "--tenant", "t1");
      const headers = { "X-API-Key": String(keyOf.apiKey) };
      const claimed = await fetch(`${url}/meta/whatsapp/v24.0/555000111222333/username`, {
        method: "POST",
        headers: { ...headers, "Content-Type": "application/json" },
        body: '{"username":"lucky_shrub_two"}',
      });
      expect(claimed.status).toBe(200);
      const [request] = await receiver.waitFor((r) => r.length === 1, 20_000);
      const event = verifiedEvent(String(endpoint.secret), request as ReceivedWebhook) as {
        id: string;
        data: { username: string; source: string };
      };
      expect(event.data).toMatchObject({ username: "lucky_shrub_two", source: "api" });
      // The feed holds the README flow's three changes, then this one.
      const feed = (await json(await fetch(`${url}/v1/username_changes`, { headers }))) as {
        data: { id: string; data: { source: string; origin: string; status: string } }[];
      };
      // The claim, Meta's approval, the deletion, this claim: each asked for through this service.
      // (The deletion's item is our answer's, or the sandbox's webhook of it when that lands first.)
      expect(feed.data.map((e) => e.data.status)).toEqual(["reserved", "approved", "deleted", "reserved"]);
      expect(feed.data.map((e) => e.data.origin)).toEqual([
        "this_service",
        "this_service",
        "this_service",
        "this_service",
      ]);
      expect(feed.data.map((e) => e.data.source)).toEqual([
        "api",
        "webhook",
        expect.stringMatching(/^(api|webhook)$/),
        "api",
      ]);
      expect(feed.data.at(-1)?.id).toBe(event.id);
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it("answers Meta's webhook verification", async () => {
    const query = new URLSearchParams({
      "hub.mode": "subscribe",
      "hub.challenge": "1158201444",
      "hub.verify_token": secrets.META_VERIFY_TOKEN,
    });
    const answer = await fetch(`${url}/meta/whatsapp/webhook?${query}`);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe("1158201444");
  });

  it("answers GET /health with the checkout's version and commit", async () => {
    const answer = await fetch(`${url}/health`);
    expect(answer.status).toBe(200);
    const head = (await execFileAsync("git", ["rev-parse", "HEAD"], { cwd: ROOT })).stdout.trim();
    const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    expect(await answer.json()).toMatchObject({
      status: "ok",
      version,
      // "-dirty" while the checkout has uncommitted changes.
      commit: expect.stringMatching(new RegExp(`^${head}(-dirty)?$`)),
      checks: { store: { status: "ok" }, secrets: { status: "ok", missing: [] } },
    });
  });

  it("serves /openapi.json when openapi/document.ts exists", async () => {
    const answer = await fetch(`${url}/openapi.json`);
    const hasModule = existsSync(new URL("../../openapi/document.ts", import.meta.url));
    expect(answer.status).toBe(hasModule ? 200 : 404);
  });

  it("stops on SIGTERM to npm and leaves no process behind, Java included", async () => {
    const pid = child.pid ?? 0;
    const before = await descendants(pid);
    const java = before.find((p) => p.args.includes("DynamoDBLocal.jar"));
    expect(java?.args).toContain(`-port ${ports.DYNAMODB_PORT}`);
    expect(Number(/DynamoDB Local ready in [\d.]+ s \(pid (\d+)\)/.exec(output)?.[1])).toBe(java?.pid);

    const exited = new Promise<[number | null, string | null]>((resolve) =>
      child.once("exit", (code, signal) => resolve([code, signal])),
    );
    process.kill(pid, "SIGTERM");
    // npm forwards the signal to the script, then ends as the signal says (dev/start.ts's own
    // exit code 0 is checked in test/dev/start-script.test.ts).
    const [code, signal] = await exited;
    expect(code === 0 || signal === "SIGTERM").toBe(true);

    const deadline = Date.now() + 15_000;
    while (before.some((p) => processAlive(p.pid)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(before.filter((p) => processAlive(p.pid))).toEqual([]);
    // npm's `sh -c` dies of the forwarded SIGTERM without passing it on; start.ts sees its parent go.
    expect(output).toMatch(/^(SIGTERM|parent process ended): stopping$/m);
    const { stdout } = await execFileAsync("ps", ["-e", "-o", "args="]);
    expect(
      stdout
        .split("\n")
        .filter((l) => l.includes("DynamoDBLocal.jar") && l.includes(`-port ${ports.DYNAMODB_PORT}`)),
    ).toEqual([]);
    await expect(fetch(`${url}/openapi.json`)).rejects.toThrow();
  }, 30_000);
});
