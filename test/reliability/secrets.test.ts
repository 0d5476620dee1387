/**
 * Secrets: a full run (every route, successes and every kind of failure, the webhook with good
 * and bad signatures, the verification handshake) at log level DEBUG, with every write to stdout
 * and stderr and every console call captured, and every answer body kept. None of them may
 * contain a Meta token, the app secret, the verify token, the token encryption key or an API key
 * (valid, revoked or merely presented). Then a Scan of the table: no plaintext token or API key;
 * tokens are stored encrypted (and decrypt to the real ones); API keys only as SHA-256 hashes.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { hashApiKey } from "../../functions/core/auth/api-keys.ts";
import { decryptToken } from "../../functions/core/crypto/token-cipher.ts";
import { logger } from "../../functions/core/logger.ts";
import { revokeApiKey } from "../../functions/core/store/api-keys.ts";
import { setPhoneToken } from "../../functions/core/store/phones.ts";
import { buildWebhookPayload } from "../../meta-sandbox/index.ts";
import type { Answer } from "../support/lambda.ts";
import { injectStorageFaults, storageError } from "../support/storage-faults.ts";
import { callUsernameApi, type Operation } from "../support/username-client.ts";
import {
  APP_SECRET,
  configureWebhookSecrets,
  postWebhook,
  VERIFY_TOKEN,
  verifyWebhook,
} from "../support/webhook-client.ts";
import { type SeededPhone, type SeededTenant, seedPhone, seedTenant, useWorld } from "../support/world.ts";
import { scanTable } from "./helpers/store-snapshot.ts";

const world = useWorld();
const OPERATIONS: Operation[] = ["get", "suggestions", "claim", "delete"];
const PREVIOUS_APP_SECRET = "previous-app-secret-still-accepted";
const PRESENTED_UNKNOWN_KEY = `wau_${"Z".repeat(32)}`;

const logLines: string[] = [];
const answers: Array<{ what: string; answer: Answer }> = [];
let tenant: SeededTenant;
let revoked: SeededTenant;
let phones: SeededPhone[];
let savedLevel: string | undefined;

function capture(chunk: unknown): void {
  logLines.push(
    typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : String(chunk),
  );
}

beforeAll(async () => {
  configureWebhookSecrets();
  process.env.META_APP_SECRET_PREVIOUS = PREVIOUS_APP_SECRET;
  savedLevel = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = "DEBUG";
  logger.setLogLevel("DEBUG");
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      capture(chunk);
      // Keep the run quiet: captured lines are checked, not printed.
      const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write);
  }
  for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => capture(args.map(String).join(" ")));
  }
  tenant = await seedTenant();
  revoked = await seedTenant();
  await revokeApiKey(revoked.keyId);
  phones = await Promise.all([seedPhone(world, tenant), seedPhone(world, tenant), seedPhone(world, revoked)]);
});

afterAll(() => {
  vi.restoreAllMocks();
  logger.setLogLevel("SILENT");
  process.env.POWERTOOLS_LOG_LEVEL = savedLevel;
  delete process.env.META_APP_SECRET_PREVIOUS;
});

async function record(what: string, answer: Promise<Answer>): Promise<Answer> {
  const settled = await answer;
  answers.push({ what, answer: settled });
  return settled;
}

function secrets(): Array<[string, string]> {
  return [
    ["app secret", APP_SECRET],
    ["previous app secret", PREVIOUS_APP_SECRET],
    ["verify token", VERIFY_TOKEN],
    ["token encryption key", process.env.TOKEN_ENCRYPTION_KEY as string],
    ["API key", tenant.apiKey],
    ["revoked API key", revoked.apiKey],
    ["presented unknown API key", PRESENTED_UNKNOWN_KEY],
    ...phones.map((p, i): [string, string] => [`Meta token ${i}`, p.accessToken]),
  ];
}

describe("secrets", () => {
  it("a full run: no secret in any log line or answer body", async () => {
    const [phone, second, foreign] = phones as [SeededPhone, SeededPhone, SeededPhone];
    const call = (what: string, operation: Operation, options: Parameters<typeof callUsernameApi>[2] = {}) =>
      record(
        what,
        callUsernameApi(operation, phone.phoneNumberId, {
          apiKey: tenant.apiKey,
          ...(operation === "claim"
            ? { body: { username: `secret_${what.replace(/\W/g, "_")}`.slice(0, 30) } }
            : {}),
          ...options,
        }),
      );

    // Successes, with both ways of presenting the key, and an idempotent replay.
    for (const operation of OPERATIONS) await call(`${operation} ok`, operation);
    await call("bearer", "get", { bearer: true });
    // The key as Graph SDKs send it: the access_token parameter, in the query string and in a form.
    const form = { "content-type": "application/x-www-form-urlencoded" };
    await call("access_token query", "get", { apiKey: undefined, rawQuery: `access_token=${tenant.apiKey}` });
    await call("access_token form", "claim", {
      apiKey: undefined,
      rawBody: `username=secret_form&access_token=${tenant.apiKey}`,
      headers: form,
    });
    await call("access_token bad form", "claim", {
      apiKey: undefined,
      rawBody: `username=&transfer_action=${tenant.apiKey}&access_token=${tenant.apiKey}`,
      headers: form,
    });
    await call("access_token revoked", "get", {
      apiKey: undefined,
      rawQuery: `access_token=${revoked.apiKey}`,
    });
    const keyed = { body: { username: "secret_keyed" }, headers: { "idempotency-key": "secret-run" } };
    await call("keyed", "claim", keyed);
    await call("replay", "claim", keyed);
    await call("422", "claim", { body: { username: "secret_other" }, headers: keyed.headers });

    // Our own refusals.
    for (const operation of OPERATIONS) {
      await call(`${operation} no key`, operation, { apiKey: undefined });
      await call(`${operation} unknown key`, operation, { apiKey: PRESENTED_UNKNOWN_KEY });
      await call(`${operation} revoked key`, operation, { apiKey: revoked.apiKey, bearer: true });
      await call(`${operation} malformed key`, operation, { headers: { "x-api-key": `${tenant.apiKey}!` } });
      await record(
        `${operation} foreign number`,
        callUsernameApi(operation, foreign.phoneNumberId, {
          apiKey: tenant.apiKey,
          body: { username: "x_y_z" },
        }),
      );
      await call(`${operation} bad path`, operation, { version: "v24" });
      await call(`${operation} 413`, operation, { rawBody: "x".repeat(20_000) });
    }
    await call("bad body", "claim", { rawBody: `{"username":"${tenant.apiKey}"}` });
    await call("bad key header", "claim", { headers: { "idempotency-key": `é${tenant.apiKey}` } });

    // Meta's refusals and Meta failing.
    world.sandbox.markTaken("secret_taken");
    await call("147001", "claim", { body: { username: "secret_taken" } });
    for (const [what, fault] of [
      ["meta 500", { mode: "status", status: 500 }],
      ["meta garbage", { mode: "garbage" }],
      ["meta reset", { mode: "reset", count: 3 }],
    ] as const) {
      world.sandbox.clearFaults();
      world.sandbox.injectFault(fault);
      await call(what, "claim");
    }
    world.sandbox.clearFaults();
    world.sandbox.injectFault({ mode: "slow", delayMs: 3_000 });
    // On a number nobody else is changing: the failures above may have left `phone`'s line to the
    // reconciler, and a request that would have to wait with 2.5 s left gets 503 without calling
    // Meta (usernames/turns.ts); here Meta is called and does not answer in time: 504.
    const idle = await seedPhone(world, tenant);
    await record(
      "meta timeout",
      callUsernameApi("delete", idle.phoneNumberId, { apiKey: tenant.apiKey, remainingMs: 2_500 }),
    );
    world.sandbox.clearFaults();

    // Storage failing, a token that no longer decrypts (500), the Meta call limit.
    const restore = injectStorageFaults(() => storageError("ThrottlingException"));
    try {
      await call("storage 503", "claim");
    } finally {
      restore();
    }
    await setPhoneToken(second.phoneNumberId, "v1.tampered.token.value");
    await record("500", callUsernameApi("get", second.phoneNumberId, { apiKey: tenant.apiKey }));
    const savedLimit = process.env.TENANT_META_LIMIT_PER_MINUTE;
    process.env.TENANT_META_LIMIT_PER_MINUTE = "1";
    try {
      await call("within the limit", "delete");
      await call("over the limit", "delete");
    } finally {
      process.env.TENANT_META_LIMIT_PER_MINUTE = savedLimit;
    }

    // The webhook: verification both ways, signed and unsigned deliveries, both secrets.
    await record(
      "verification ok",
      verifyWebhook({ "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "31337" }),
    );
    await record(
      "verification wrong",
      verifyWebhook({
        "hub.mode": "subscribe",
        "hub.verify_token": `${VERIFY_TOKEN}x`,
        "hub.challenge": "1",
      }),
    );
    const payload = JSON.stringify(
      buildWebhookPayload([
        {
          wabaId: phone.wabaId,
          displayPhoneNumber: phone.displayPhoneNumber,
          time: Math.floor(Date.now() / 1000) + 60,
          status: "approved",
          username: "secret_keyed",
        },
        {
          wabaId: "404",
          displayPhoneNumber: "1555",
          time: 1,
          status: "approved",
          username: "unknown_number",
        },
      ]),
    );
    await record("webhook ok", postWebhook(payload));
    await record("webhook previous secret", postWebhook(payload, { secret: PREVIOUS_APP_SECRET }));
    await record("webhook bad signature", postWebhook(payload, { secret: "attacker" }));
    await record("webhook no signature", postWebhook(payload, { signature: null }));
    await record("webhook bad json", postWebhook(`{"secret":"${APP_SECRET}"`));
    await record("webhook 413", postWebhook(Buffer.alloc(3 * 1024 * 1024 + 1, 0x20)));
    const failing = injectStorageFaults(() => storageError("ServiceUnavailable"));
    try {
      await record("webhook storage failure", postWebhook(payload));
    } finally {
      failing();
    }

    // The run covered what it claims, and logs were really captured.
    const statuses = new Set(answers.map(({ answer }) => answer.status));
    for (const status of [200, 400, 401, 403, 413, 422, 429, 500, 502, 503, 504])
      expect(statuses).toContain(status);
    const logText = logLines.join("");
    expect(logText).toContain("username state recorded");
    expect(logText).toContain("storage unavailable");
    expect(logText).toContain("unhandled error");
    expect(logText).toContain("webhook signature missing or invalid");
    expect(logText).toContain("tenant Meta call limit reached");

    for (const [name, secret] of secrets()) {
      expect(secret.length, name).toBeGreaterThan(8);
      for (const line of logLines)
        expect(line.includes(secret), `${name} in a log line: ${line.slice(0, 200)}`).toBe(false);
      for (const { what, answer } of answers) {
        expect(answer.body.includes(secret), `${name} in the answer to "${what}"`).toBe(false);
        expect(JSON.stringify(answer.headers).includes(secret), `${name} in a header of "${what}"`).toBe(
          false,
        );
      }
    }
  }, 60_000);

  it("the table holds no plaintext token or API key: tokens encrypted, keys hashed", async () => {
    const items = await scanTable();
    const dump = JSON.stringify(items);
    for (const [name, secret] of secrets()) expect(dump.includes(secret), name).toBe(false);

    for (const phone of phones.slice(0, 1).concat(phones.slice(2))) {
      const item = items.find((i) => i.pk === `PHONE#${phone.phoneNumberId}` && i.sk === "PHONE");
      const sealed = String(item?.accessTokenEncrypted);
      expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
      // Really the token, encrypted to this number (not a placeholder).
      expect(decryptToken(sealed, phone.phoneNumberId)).toBe(phone.accessToken);
      expect(() => decryptToken(sealed, phones[1]?.phoneNumberId ?? "")).toThrow();
    }
    for (const who of [tenant, revoked]) {
      const keyItem = items.find((i) => i.pk === `APIKEY#${hashApiKey(who.apiKey)}`);
      expect(keyItem).toMatchObject({ keyHash: hashApiKey(who.apiKey), tenantId: who.tenantId });
    }
  });
});
