/**
 * GET /health over HTTP through the local gateway (the route of infra/routes.ts, the handler the
 * Lambda runs) against DynamoDB Local: healthy; the store unreachable (a closed port), slow (past
 * the check's budget) or missing its table; a required secret unset. Every answer and every log
 * line of the run is kept: no secret value may appear in any of them.
 */
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { freePort } from "../../dev/free-port.ts";
import { type LocalGateway, startLocalGateway } from "../../dev/local-gateway.ts";
import { REQUIRED_SECRETS } from "../../functions/core/config.ts";
import { logger } from "../../functions/core/logger.ts";
import { setDynamoClient } from "../../functions/core/store/client.ts";
import { probeStore } from "../../functions/core/store/health-probe.ts";
import packageJson from "../../package.json" with { type: "json" };
import { injectStorageFaults } from "../support/storage-faults.ts";
import { configureWebhookSecrets } from "../support/webhook-client.ts";
import { useWorld } from "../support/world.ts";

useWorld();
configureWebhookSecrets();

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const logLines: string[] = [];
const bodies: string[] = [];
let gateway: LocalGateway;

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON answers, checked field by field.
type Json = any;

async function health(): Promise<{ status: number; headers: Headers; json: Json }> {
  const response = await fetch(`${gateway.url}/health`);
  const body = await response.text();
  bodies.push(body);
  return { status: response.status, headers: response.headers, json: JSON.parse(body) };
}

/** Sets an environment variable for one test; afterEach puts every one back. */
const saved = new Map<string, string | undefined>();
function setEnv(name: string, value: string | undefined): void {
  if (!saved.has(name)) saved.set(name, process.env[name]);
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

beforeAll(async () => {
  process.env.SERVICE_VERSION = packageJson.version;
  process.env.SERVICE_COMMIT = COMMIT;
  logger.setLogLevel("DEBUG");
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation(((chunk: unknown) => {
      logLines.push(String(chunk));
      return true;
    }) as typeof stream.write);
  }
  gateway = await startLocalGateway({ log: (line) => logLines.push(line) });
  // The SDK loads parts of itself on its first call (slow under vitest's transform on a busy
  // machine): done here, and a budget that a loaded test machine meets, except where a test
  // shortens it.
  await probeStore(30_000);
  process.env.HEALTH_STORE_TIMEOUT_MS = "10000";
});

afterEach(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  saved.clear();
  // A fresh client for the restored endpoint.
  setDynamoClient(undefined);
});

afterAll(async () => {
  await gateway?.close();
  logger.setLogLevel("SILENT");
  vi.restoreAllMocks();
  delete process.env.HEALTH_STORE_TIMEOUT_MS;
});

describe("GET /health", () => {
  it("answers 200 with the version and commit when the store answers and every secret is set", async () => {
    const { status, headers, json } = await health();
    expect(status).toBe(200);
    expect(headers.get("content-type")).toMatch(/^application\/json/);
    expect(headers.get("cache-control")).toBe("no-store");
    expect(json).toEqual({
      status: "ok",
      version: packageJson.version,
      commit: COMMIT,
      checks: {
        store: { status: "ok", latency_ms: expect.any(Number) },
        secrets: { status: "ok", missing: [] },
      },
    });
  });

  it("needs no credentials and reads nothing of the request: any query, header or key gets the same answer", async () => {
    const token = fc.string({ unit: "grapheme-ascii", maxLength: 40 });
    const requests = fc.record({
      query: fc.dictionary(fc.stringMatching(/^[a-z_]{1,12}$/), token, { maxKeys: 4 }),
      headers: fc.dictionary(
        fc.constantFrom("x-api-key", "authorization", "idempotency-key", "content-type", "x-forwarded-for"),
        fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
        { maxKeys: 5 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(requests, async ({ query, headers }) => {
        const response = await fetch(`${gateway.url}/health?${new URLSearchParams(query)}`, { headers });
        const body = await response.text();
        bodies.push(body);
        expect(response.status).toBe(200);
        const { checks, ...rest } = JSON.parse(body);
        expect(rest).toEqual({ status: "ok", version: packageJson.version, commit: COMMIT });
        expect(checks.secrets).toEqual({ status: "ok", missing: [] });
      }),
      { numRuns: 30 },
    );
  });

  it("answers 503 naming the store when nothing listens at its endpoint", async () => {
    setEnv("DYNAMODB_ENDPOINT", `http://127.0.0.1:${await freePort()}`);
    setDynamoClient(undefined);
    const { status, json } = await health();
    expect(status).toBe(503);
    expect(json.status).toBe("unavailable");
    expect(json.checks.store).toEqual({
      status: "failed",
      latency_ms: expect.any(Number),
      error: "ECONNREFUSED",
    });
    expect(json.checks.secrets).toEqual({ status: "ok", missing: [] });
    expect(json).toMatchObject({ version: packageJson.version, commit: COMMIT });
  });

  it("answers 503 with error `timeout` when the store answers later than the check's budget", async () => {
    setEnv("HEALTH_STORE_TIMEOUT_MS", "300");
    const restore = injectStorageFaults((command) => (command === "GetItemCommand" ? 800 : undefined));
    try {
      const { status, json } = await health();
      expect(status).toBe(503);
      expect(json.checks.store).toMatchObject({ status: "failed", error: "timeout" });
      expect(json.checks.store.latency_ms).toBeGreaterThanOrEqual(300);
    } finally {
      restore();
    }
  });

  it("answers 503 naming DynamoDB's error when the table does not exist", async () => {
    setEnv("TABLE_NAME", "no-such-table");
    const { status, json } = await health();
    expect(status).toBe(503);
    expect(json.checks.store).toMatchObject({ status: "failed", error: "ResourceNotFoundException" });
  });

  it.each(REQUIRED_SECRETS)("answers 503 naming %s when it is not set, and never a value", async (name) => {
    const variable = {
      MetaAppSecret: "META_APP_SECRET",
      MetaVerifyToken: "META_VERIFY_TOKEN",
      TokenEncryptionKey: "TOKEN_ENCRYPTION_KEY",
    }[name];
    setEnv(variable, undefined);
    const { status, json } = await health();
    expect(status).toBe(503);
    expect(json.checks.secrets).toEqual({ status: "failed", missing: [name] });
    expect(json.checks.store.status).toBe("ok");
    expect(logLines.some((line) => line.includes("health check failed") && line.includes(name))).toBe(true);
  });

  it("never shows a secret's value in an answer or a log line", () => {
    const values = [
      process.env.META_APP_SECRET,
      process.env.META_VERIFY_TOKEN,
      process.env.TOKEN_ENCRYPTION_KEY,
    ];
    expect(values.every((value) => typeof value === "string" && value.length >= 8)).toBe(true);
    // The run above produced answers and failure logs to look through.
    expect(bodies.length).toBeGreaterThanOrEqual(7);
    expect(logLines.some((line) => line.includes("health check failed"))).toBe(true);
    for (const value of values as string[]) {
      for (const text of [...bodies, ...logLines]) expect(text).not.toContain(value);
    }
  });
});
