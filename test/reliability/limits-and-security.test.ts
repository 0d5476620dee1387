/**
 * Size limits (API 16 KiB on every username route, webhook 3 MiB), the security headers on
 * every kind of answer, and JSON parsing that prototype-polluting keys can neither pollute nor
 * steer. Real handlers, DynamoDB Local, the sandbox over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../dev/local-gateway.ts";
import { setPhoneToken } from "../../functions/core/store/phones.ts";
import { buildWebhookPayload } from "../../meta-sandbox/index.ts";
import type { Answer } from "../support/lambda.ts";
import { injectStorageFaults, storageError } from "../support/storage-faults.ts";
import { callUsernameApi, type Operation } from "../support/username-client.ts";
import {
  configureWebhookSecrets,
  postWebhook,
  VERIFY_TOKEN,
  verifyWebhook,
} from "../support/webhook-client.ts";
import {
  type SeededPhone,
  type SeededTenant,
  seedPhone,
  seedTenant,
  storedState,
  useWorld,
} from "../support/world.ts";

const world = useWorld();
const OPERATIONS: Operation[] = ["get", "suggestions", "claim", "delete"];
const API_LIMIT = 16 * 1024;
const WEBHOOK_LIMIT = 3 * 1024 * 1024;

let tenant: SeededTenant;
let phone: SeededPhone;
beforeAll(async () => {
  configureWebhookSecrets();
  tenant = await seedTenant();
  phone = await seedPhone(world, tenant);
});

/** A claim body of exactly `size` bytes: a valid request padded with a field that is dropped. */
function claimBodyOfSize(size: number, username = "sized_name"): string {
  const empty = JSON.stringify({ username, padding: "" });
  return JSON.stringify({ username, padding: "x".repeat(size - empty.length) });
}

function expectSecurityHeaders(answer: Answer, what: string): void {
  expect(answer.headers["cache-control"], what).toBe("no-store");
  expect(answer.headers["x-content-type-options"], what).toBe("nosniff");
}

describe("API bodies: 16 KiB on every username route", () => {
  it.each(OPERATIONS)(
    "%s: 16 KiB + 1 byte is 413 code 100 (text or base64), never forwarded",
    async (operation) => {
      const before = await storedState(phone.phoneNumberId);
      for (const base64 of [false, true]) {
        const answer = await callUsernameApi(operation, phone.phoneNumberId, {
          apiKey: tenant.apiKey,
          rawBody: claimBodyOfSize(API_LIMIT + 1),
          base64,
          headers: { "content-type": "application/json", "idempotency-key": "too-large" },
        });
        expect(answer.status).toBe(413);
        expect(answer.json.error).toMatchObject({ code: 100, type: "OAuthException" });
        expectSecurityHeaders(answer, operation);
      }
      expect(world.sandbox.requests()).toEqual([]);
      expect(await storedState(phone.phoneNumberId)).toEqual(before);
    },
  );

  it.each(OPERATIONS)(
    "%s: exactly 16 KiB is accepted (and ignored where the route takes no body)",
    async (operation) => {
      const answer = await callUsernameApi(operation, phone.phoneNumberId, {
        apiKey: tenant.apiKey,
        rawBody: claimBodyOfSize(API_LIMIT, `sized_${operation}`),
      });
      expect(answer.status).toBe(200);
      expect(world.sandbox.requests()).toHaveLength(1);
    },
  );

  it("the order is path, then key, then body: a huge body without a key is 401, on a bad path 400", async () => {
    const huge = claimBodyOfSize(API_LIMIT * 4);
    const noKey = await callUsernameApi("claim", phone.phoneNumberId, { rawBody: huge });
    expect(noKey.status).toBe(401);
    expect(noKey.json.error.code).toBe(190);
    const badPath = await callUsernameApi("claim", "not-digits", { apiKey: tenant.apiKey, rawBody: huge });
    expect(badPath.status).toBe(400);
    expect(badPath.json.error.message).toMatch(/path/i);
  });
});

describe("webhook bodies: up to 3 MiB", () => {
  /** A signed-size payload with one real username update, padded with an ignored change. */
  function webhookBodyOfSize(size: number, who: SeededPhone, username: string): string {
    const payload = buildWebhookPayload([
      {
        wabaId: who.wabaId,
        displayPhoneNumber: who.displayPhoneNumber,
        time: 100,
        status: "approved",
        username,
      },
    ]);
    const padded = (padding: string) =>
      JSON.stringify({
        ...payload,
        entry: [...payload.entry, { id: "0", time: 1, changes: [{ field: "messages", value: { padding } }] }],
      });
    return padded("x".repeat(size - padded("").length));
  }

  it("exactly 3 MiB is accepted and applied", async () => {
    const who = await seedPhone(world, tenant);
    const body = webhookBodyOfSize(WEBHOOK_LIMIT, who, "three_megabytes");
    expect(Buffer.byteLength(body)).toBe(WEBHOOK_LIMIT);
    const answer = await postWebhook(body);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ applied: 1, ignored: 1 });
    expect((await storedState(who.phoneNumberId)).phone?.username).toBe("three_megabytes");
  });

  it("3 MiB + 1 byte is 413 code 100 and nothing is stored, signed or not, text or base64", async () => {
    const who = await seedPhone(world, tenant);
    const body = webhookBodyOfSize(WEBHOOK_LIMIT + 1, who, "too_many_bytes");
    for (const options of [{}, { base64: true }, { signature: null }]) {
      const answer = await postWebhook(body, options);
      expect(answer.status).toBe(413);
      expect(answer.json.error).toMatchObject({ code: 100 });
      expectSecurityHeaders(answer, "webhook 413");
    }
    expect((await storedState(who.phoneNumberId)).history).toEqual([]);
  });
});

describe("security headers on every answer", () => {
  let gateway: LocalGateway;
  beforeAll(async () => {
    gateway = await startLocalGateway({ log: false });
  });
  afterAll(() => gateway?.close());

  it("successes, replays, every error status this service produces, and the webhook's answers", async () => {
    const own = await seedPhone(world, tenant);
    const stranger = await seedTenant();
    const call = (operation: Operation, options: Parameters<typeof callUsernameApi>[2] = {}) =>
      callUsernameApi(operation, own.phoneNumberId, { apiKey: tenant.apiKey, ...options });
    const answers: Array<[string, Answer]> = [];
    const add = async (what: string, answer: Promise<Answer>) => answers.push([what, await answer]);

    for (const operation of OPERATIONS) {
      await add(`${operation} 200`, call(operation, { body: { username: "headers_name" } }));
    }
    const keyed = { body: { username: "headers_name" }, headers: { "idempotency-key": "headers-key" } };
    await add("claim with key", call("claim", keyed));
    await add("replay", call("claim", keyed));
    await add("422", call("claim", { body: { username: "other_name" }, headers: keyed.headers }));
    await add("400 body", call("claim", { body: { username: "a" } }));
    await add("400 path", callUsernameApi("get", "x", { apiKey: tenant.apiKey }));
    await add("401", call("get", { apiKey: "wau_unknown" }));
    await add("33", callUsernameApi("get", own.phoneNumberId, { apiKey: (await stranger).apiKey }));
    await add("413", call("get", { rawBody: "x".repeat(API_LIMIT + 1) }));
    world.sandbox.injectFault({ mode: "garbage" });
    await add("502", call("claim", { body: { username: "garbage_name" } }));
    world.sandbox.markTaken("taken_elsewhere");
    await add("Meta 147001 passed through", call("claim", { body: { username: "taken_elsewhere" } }));
    const restore = injectStorageFaults(() => storageError("ServiceUnavailable"));
    try {
      await add("503", call("get"));
    } finally {
      restore();
    }
    const broken = await seedPhone(world, tenant);
    await setPhoneToken(broken.phoneNumberId, "not-a-sealed-token");
    await add("500", callUsernameApi("get", broken.phoneNumberId, { apiKey: tenant.apiKey }));
    await add("webhook 200", postWebhook(JSON.stringify(buildWebhookPayload([]))));
    await add("webhook 400", postWebhook("{"));
    await add("webhook 401", postWebhook("{}", { signature: null }));
    await add(
      "verification 200",
      verifyWebhook({ "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42" }),
    );
    await add("verification 403", verifyWebhook({ "hub.mode": "subscribe", "hub.verify_token": "no" }));

    const statuses = answers.map(([, answer]) => answer.status);
    for (const status of [200, 400, 401, 403, 413, 422, 500, 502, 503]) expect(statuses).toContain(status);
    for (const [what, answer] of answers) {
      expectSecurityHeaders(answer, what);
      if (answer.status >= 400) expect(answer.json?.error, `${what} is a Graph error`).toBeDefined();
    }
  });

  it("the local gateway's own answers too (404 for an unknown route, 413 beyond API Gateway's limit)", async () => {
    const notFound = await fetch(`${gateway.url}/meta/whatsapp/v24.0/123/nothing-here`);
    expect(notFound.status).toBe(404);
    expect(((await notFound.json()) as { error: { code: number } }).error.code).toBe(100);
    const tooLarge = await fetch(`${gateway.url}/meta/whatsapp/webhook`, {
      method: "POST",
      body: Buffer.alloc(10 * 1024 * 1024 + 1),
    });
    expect(tooLarge.status).toBe(413);
    for (const response of [notFound, tooLarge]) {
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });
});

describe("prototype-polluting keys", () => {
  it('{"__proto__":{"polluted":1},"username":"x_y_z"} pollutes nothing and behaves as {"username":"x_y_z"}', async () => {
    const own = await seedPhone(world, tenant);
    const headers = { "idempotency-key": "proto-key", "content-type": "application/json" };
    const polluting = await callUsernameApi("claim", own.phoneNumberId, {
      apiKey: tenant.apiKey,
      rawBody: '{"__proto__":{"polluted":1},"username":"x_y_z"}',
      headers,
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
    expect(polluting.status).toBe(200);
    expect(world.sandbox.requests().map((r) => JSON.parse(r.body))).toEqual([{ username: "x_y_z" }]);
    expect((await storedState(own.phoneNumberId)).phone).toMatchObject({ username: "x_y_z" });

    // The clean body is the same request: replayed under the same key, not a 422.
    const clean = await callUsernameApi("claim", own.phoneNumberId, {
      apiKey: tenant.apiKey,
      rawBody: '{"username":"x_y_z"}',
      headers,
    });
    expect(clean.status).toBe(200);
    expect(clean.body).toBe(polluting.body);
    expect(clean.headers["idempotent-replayed"]).toBe("true");
    expect(world.sandbox.requests()).toHaveLength(1);
  });

  it("nested and constructor.prototype variants, in API bodies and webhook payloads", async () => {
    const own = await seedPhone(world, tenant);
    const answer = await callUsernameApi("claim", own.phoneNumberId, {
      apiKey: tenant.apiKey,
      rawBody:
        '{"username":"proto_variant","constructor":{"prototype":{"polluted":2}},"x":{"__proto__":{"polluted":3}}}',
    });
    expect(answer.status).toBe(200);
    const payload = buildWebhookPayload([
      {
        wabaId: own.wabaId,
        displayPhoneNumber: own.displayPhoneNumber,
        time: Math.floor(Date.now() / 1000) + 5,
        status: "approved",
        username: "proto_variant",
      },
    ]);
    const webhookBody = JSON.stringify(payload).replace(
      '{"object"',
      '{"__proto__":{"polluted":4},"constructor":{"prototype":{"polluted":5}},"object"',
    );
    const delivered = await postWebhook(webhookBody);
    expect(delivered.status).toBe(200);
    expect(delivered.json).toMatchObject({ applied: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await storedState(own.phoneNumberId)).phone).toMatchObject({ status: "approved" });
  });
});
