/**
 * The error table of docs/spec.md, "Errors", through the four username handlers: the errors the proxy produces
 * itself (190, 33, 100, 2) never reach Meta, Meta's own errors pass through with their status
 * and body byte for byte, and no failure changes the stored state or history.
 */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { revokeApiKey } from "../../functions/core/store/api-keys.ts";
import { dynamo, setDynamoClient } from "../../functions/core/store/client.ts";
import { removePhone } from "../../functions/core/store/phones.ts";
import type { Answer } from "../support/lambda.ts";
import { expectStateUnchanged, snapshotState } from "../support/unchanged.ts";
import { startUpstreamTap, type UpstreamTap } from "../support/upstream-tap.ts";
import { type CallOptions, callUsernameApi, type Operation } from "../support/username-client.ts";
import {
  type SeededPhone,
  type SeededTenant,
  seedPhone,
  seedTenant,
  uniqueDigits,
  useWorld,
} from "../support/world.ts";

const world = useWorld();
let tap: UpstreamTap;

beforeAll(async () => {
  // useWorld's beforeAll ran first and pointed the service at the sandbox: put the tap in between.
  tap = await startUpstreamTap(world.sandbox.url);
  process.env.META_GRAPH_URL = tap.url;
});
beforeEach(() => tap.clear());
afterAll(() => tap?.close());

const OPERATIONS: Operation[] = ["get", "suggestions", "claim", "delete"];

let nameCounter = 0;
/** Names are unique in the sandbox across portfolios: each test takes its own. */
function uniqueName(prefix: string): string {
  nameCounter += 1;
  return `${prefix}_${nameCounter}_${uniqueDigits(6)}`;
}

/** Calls an operation with a valid claim body where one is needed. */
function call(operation: Operation, phoneNumberId: string, options: CallOptions = {}): Promise<Answer> {
  const body = operation === "claim" ? { body: { username: uniqueName("valid") } } : {};
  return callUsernameApi(operation, phoneNumberId, { ...body, ...options });
}

/** A tenant's phone number that already holds a name, so "unchanged" has something to lose. */
async function phoneWithState(tenant?: SeededTenant): Promise<{ tenant: SeededTenant; phone: SeededPhone }> {
  const owner = tenant ?? (await seedTenant());
  const phone = await seedPhone(world, owner);
  const claimed = await callUsernameApi("claim", phone.phoneNumberId, {
    apiKey: owner.apiKey,
    body: { username: uniqueName("held") },
  });
  expect(claimed.status).toBe(200);
  world.sandbox.clearRequests();
  tap.clear();
  return { tenant: owner, phone };
}

/** Meta answered exactly once, and the proxy's answer is that answer byte for byte. */
function expectPassedThrough(answer: Answer, expected: { status: number; code: number }): void {
  const exchanges = tap.exchanges();
  expect(exchanges).toHaveLength(1);
  const [meta] = exchanges;
  expect(meta?.status).toBe(expected.status);
  expect(answer.status).toBe(expected.status);
  expect(Buffer.from(answer.body, "utf8").equals(meta?.body ?? Buffer.alloc(0))).toBe(true);
  expect(answer.json.error.code).toBe(expected.code);
  expect(world.sandbox.requests()).toHaveLength(1);
}

function withoutTraceId(json: { error: Record<string, unknown> }) {
  const { fbtrace_id: _trace, ...error } = json.error;
  return { error };
}

describe("190: missing, unknown, malformed or revoked API key", () => {
  const KEYS: Array<[string, (tenant: SeededTenant) => Promise<string | undefined>]> = [
    ["missing", async () => undefined],
    ["unknown (well-formed, never issued)", async () => `wau_${"A".repeat(32)}`],
    ["malformed", async () => "not-an-api-key"],
    ["malformed (prefix only)", async () => "wau_"],
    ["malformed (one character short)", async (tenant) => tenant.apiKey.slice(0, -1)],
    ["malformed (one character more)", async (tenant) => `${tenant.apiKey}A`],
    [
      "revoked",
      async (tenant) => {
        const revoked = await revokeApiKey(tenant.keyId);
        expect(revoked?.revokedAt).toEqual(expect.any(String));
        return tenant.apiKey;
      },
    ],
  ];
  const cases = KEYS.flatMap(([what, key]) =>
    OPERATIONS.flatMap((operation) =>
      (what === "missing" ? [false] : [false, true]).map((bearer) => ({ what, key, operation, bearer })),
    ),
  );

  it.each(cases)(
    "$what key, $operation, bearer=$bearer → 401 OAuthException, Meta never called",
    async (c) => {
      const { tenant, phone } = await phoneWithState();
      const before = await snapshotState(phone.phoneNumberId);
      const apiKey = await c.key(tenant);

      const answer = await call(c.operation, phone.phoneNumberId, {
        ...(apiKey ? { apiKey } : {}),
        bearer: c.bearer,
      });

      expect(answer.status).toBe(401);
      expect(answer.json).toEqual({
        error: {
          message: expect.any(String),
          type: "OAuthException",
          code: 190,
          fbtrace_id: expect.any(String),
        },
      });
      if (apiKey) expect(answer.body).not.toContain(apiKey);
      expect(world.sandbox.requests()).toEqual([]);
      await expectStateUnchanged(before);
    },
  );

  it("a key works until it is revoked, then gets 401", async () => {
    const { tenant, phone } = await phoneWithState();
    expect((await call("get", phone.phoneNumberId, { apiKey: tenant.apiKey })).status).toBe(200);
    await revokeApiKey(tenant.keyId);
    world.sandbox.clearRequests();

    const answer = await call("get", phone.phoneNumberId, { apiKey: tenant.apiKey });

    expect(answer.status).toBe(401);
    expect(answer.json.error.code).toBe(190);
    expect(world.sandbox.requests()).toEqual([]);
  });

  it.each([
    ["Basic scheme", (key: string) => `Basic ${key}`],
    ["Bearer without a key", () => "Bearer "],
    ["Bearer with two words", (key: string) => `Bearer ${key} extra`],
    ["bare key without a scheme", (key: string) => key],
  ])("Authorization: %s → 401", async (_what, header) => {
    const { tenant, phone } = await phoneWithState();
    const answer = await call("get", phone.phoneNumberId, {
      headers: { authorization: header(tenant.apiKey) },
    });
    expect(answer.status).toBe(401);
    expect(answer.json.error).toMatchObject({ type: "OAuthException", code: 190 });
    expect(world.sandbox.requests()).toEqual([]);
  });

  it("another tenant's valid key does not open this tenant's numbers (33, not 190)", async () => {
    const { phone } = await phoneWithState();
    const intruder = await seedTenant();
    const answer = await call("get", phone.phoneNumberId, { apiKey: intruder.apiKey });
    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe(33);
  });
});

describe("33: unknown phone number or another tenant's", () => {
  it.each(OPERATIONS)(
    "%s: a foreign number and an unknown one get the same answer; Meta never called",
    async (operation) => {
      const { phone: foreign } = await phoneWithState();
      const intruder = await seedTenant();
      const before = await snapshotState(foreign.phoneNumberId);

      const foreignAnswer = await call(operation, foreign.phoneNumberId, { apiKey: intruder.apiKey });

      expect(foreignAnswer.status).toBe(400);
      expect(foreignAnswer.json.error).toMatchObject({ code: 33, type: "GraphMethodException" });
      expect(world.sandbox.requests()).toEqual([]);
      await expectStateUnchanged(before);

      // The very same id once it is unknown here: the answer must not tell the two apart.
      await removePhone(foreign.phoneNumberId);
      const unknownAnswer = await call(operation, foreign.phoneNumberId, { apiKey: intruder.apiKey });

      expect(unknownAnswer.status).toBe(foreignAnswer.status);
      expect(unknownAnswer.headers).toEqual(foreignAnswer.headers);
      expect(withoutTraceId(unknownAnswer.json)).toEqual(withoutTraceId(foreignAnswer.json));
      expect(unknownAnswer.json.error.fbtrace_id).not.toBe(foreignAnswer.json.error.fbtrace_id);
      expect(world.sandbox.requests()).toEqual([]);
    },
  );

  it("a number registered nowhere gets 33 with the same shape, and Meta is never called", async () => {
    const tenant = await seedTenant();
    const answer = await call("get", uniqueDigits(15), { apiKey: tenant.apiKey });
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      error: {
        message: expect.stringContaining("does not exist"),
        type: "GraphMethodException",
        code: 33,
        // How numbers become known, the same words for another tenant's number.
        error_data: {
          messaging_product: "whatsapp",
          details: expect.stringContaining("wau-admin phone add"),
        },
        fbtrace_id: expect.any(String),
      },
    });
    expect(world.sandbox.requests()).toEqual([]);
  });

  it("the owner still reaches its number afterwards (the intruder changed nothing)", async () => {
    const { tenant, phone } = await phoneWithState();
    const intruder = await seedTenant();
    await call("claim", phone.phoneNumberId, {
      apiKey: intruder.apiKey,
      body: { username: uniqueName("stolen") },
    });
    await call("delete", phone.phoneNumberId, { apiKey: intruder.apiKey });
    const answer = await call("get", phone.phoneNumberId, { apiKey: tenant.apiKey });
    expect(answer.status).toBe(200);
    expect(answer.json.username).toMatch(/^held_/);
  });
});

describe("100: invalid path parameters, refused before any I/O", () => {
  const BAD_IDS = [
    "abc",
    "12a4",
    "-1",
    "1.5",
    "1e5",
    " 123",
    "123 ",
    "123\n",
    "１２３",
    "123456789012345678901",
    "",
    "../123",
    "123/../456",
    "%31%32",
    "0x1F",
  ];
  const BAD_VERSIONS = [
    "v24",
    "24.0",
    "v24.0/../x",
    "V24.0",
    "v24.0.1",
    "v.0",
    "v24.",
    "latest",
    "",
    "v1234.0",
    "v24.0%2F..",
  ];

  const cases = [
    ...BAD_IDS.map((id) => ({
      what: `phone_number_id ${JSON.stringify(id)}`,
      id,
      version: "v24.0",
      field: "phone_number_id",
    })),
    ...BAD_VERSIONS.map((version) => ({
      what: `version ${JSON.stringify(version)}`,
      id: undefined as string | undefined,
      version,
      field: "version",
    })),
  ];

  it.each(cases)("$what → 400 code 100 naming the parameter; Meta never called", async (c) => {
    const { tenant, phone } = await phoneWithState();
    const before = await snapshotState(phone.phoneNumberId);
    for (const operation of OPERATIONS) {
      const answer = await call(operation, c.id ?? phone.phoneNumberId, {
        apiKey: tenant.apiKey,
        version: c.version,
      });
      expect(answer.status).toBe(400);
      expect(answer.json.error).toMatchObject({ code: 100, type: "OAuthException" });
      expect(answer.json.error.message).toContain(c.field);
    }
    expect(world.sandbox.requests()).toEqual([]);
    await expectStateUnchanged(before);
  });

  it("path validation happens before the API key lookup or any storage read", async () => {
    let storageCalls = 0;
    const poisoned = {
      send: async () => {
        storageCalls += 1;
        throw Object.assign(new Error("storage must not be touched"), { name: "ThrottlingException" });
      },
    } as unknown as DynamoDBDocumentClient;
    const real = dynamo();
    setDynamoClient(poisoned);
    try {
      for (const [id, version] of [
        ["12a", "v24.0"],
        ["123", "v24.0/../x"],
        ["123456789012345678901", "v24.0"],
      ] as const) {
        for (const operation of OPERATIONS) {
          // No key at all: a path error still wins over the 401, so nothing was looked up.
          const answer = await call(operation, id, { version });
          expect(answer.status).toBe(400);
          expect(answer.json.error.code).toBe(100);
        }
      }
    } finally {
      setDynamoClient(real);
    }
    expect(storageCalls).toBe(0);
    expect(world.sandbox.requests()).toEqual([]);
  });
});

describe("2: storage unavailable", () => {
  it("a throttled DynamoDB gives 503 code 2 is_transient, and Meta is never called", async () => {
    const { tenant, phone } = await phoneWithState();
    const real = dynamo();
    setDynamoClient({
      send: async () => {
        throw Object.assign(new Error("Rate of requests exceeds the allowed throughput."), {
          name: "ThrottlingException",
        });
      },
    } as unknown as DynamoDBDocumentClient);
    let answer: Answer;
    try {
      answer = await call("get", phone.phoneNumberId, { apiKey: tenant.apiKey });
    } finally {
      setDynamoClient(real);
    }
    expect(answer.status).toBe(503);
    expect(answer.json.error).toMatchObject({ code: 2, is_transient: true });
    expect(world.sandbox.requests()).toEqual([]);
  });
});

describe("Meta's errors pass through with status and body unchanged, and change nothing", () => {
  const GATE_ERRORS = [
    { what: "10 permission missing", patch: { permitted: false }, status: 403, code: 10 },
    { what: "133010 number not registered", patch: { registered: false }, status: 400, code: 133010 },
    {
      what: "190 stored token rejected by Meta",
      patch: { accessToken: "EAAGnot-the-stored-token" },
      status: 401,
      code: 190,
    },
  ];
  const gateCases = GATE_ERRORS.flatMap((e) => OPERATIONS.map((operation) => ({ ...e, operation })));

  it.each(gateCases)("$what ($operation)", async (c) => {
    const { tenant, phone } = await phoneWithState();
    world.sandbox.updatePhone(phone.phoneNumberId, c.patch);
    const before = await snapshotState(phone.phoneNumberId);

    const answer = await call(c.operation, phone.phoneNumberId, { apiKey: tenant.apiKey });

    expectPassedThrough(answer, c);
    await expectStateUnchanged(before);
  });

  it("33 from Meta (the stored token belongs to another number) passes through", async () => {
    const tenant = await seedTenant();
    const { phone } = await phoneWithState(tenant);
    const other = await seedPhone(world, tenant);
    // Meta now knows the stored token as the other number's: valid, but not for this id.
    world.sandbox.updatePhone(phone.phoneNumberId, { accessToken: `EAAGrotated${uniqueDigits(10)}` });
    world.sandbox.updatePhone(other.phoneNumberId, { accessToken: phone.accessToken });
    const before = await snapshotState(phone.phoneNumberId, other.phoneNumberId);

    const answer = await call("get", phone.phoneNumberId, { apiKey: tenant.apiKey });

    expectPassedThrough(answer, { status: 400, code: 33 });
    await expectStateUnchanged(before);
  });

  const CLAIM_ERRORS = [
    { what: "147002 not eligible", patch: { eligible: false }, code: 147002 },
    { what: "147003 Facebook Page not linked", patch: { facebookLinked: false }, code: 147003 },
    { what: "147004 Instagram not linked", patch: { instagramLinked: false }, code: 147004 },
  ];

  it.each(CLAIM_ERRORS)("POST: $what", async (c) => {
    const { tenant, phone } = await phoneWithState();
    world.sandbox.updatePhone(phone.phoneNumberId, c.patch);
    const before = await snapshotState(phone.phoneNumberId);

    const answer = await call("claim", phone.phoneNumberId, { apiKey: tenant.apiKey });

    expectPassedThrough(answer, { status: 400, code: c.code });
    await expectStateUnchanged(before);
  });

  it("POST: 147001 name taken elsewhere (case-insensitively)", async () => {
    const { tenant, phone } = await phoneWithState();
    const name = uniqueName("taken");
    world.sandbox.markTaken(name);
    const before = await snapshotState(phone.phoneNumberId);

    const answer = await call("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      body: { username: name.toUpperCase() },
    });

    expectPassedThrough(answer, { status: 400, code: 147001 });
    await expectStateUnchanged(before);
  });

  it("POST: 147005 name held by another number of the same portfolio", async () => {
    const { tenant, phone } = await phoneWithState();
    const name = uniqueName("portfolio");
    const holder = await seedPhone(world, tenant, { businessId: phone.businessId, username: name });
    const claimed = await call("get", holder.phoneNumberId, { apiKey: tenant.apiKey });
    expect(claimed.json.username).toBe(name);
    tap.clear();
    world.sandbox.clearRequests();
    const before = await snapshotState(phone.phoneNumberId, holder.phoneNumberId);

    const answer = await call("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      body: { username: name, transfer_action: "none" },
    });

    expectPassedThrough(answer, { status: 400, code: 147005 });
    await expectStateUnchanged(before);
    expect(world.sandbox.getPhone(holder.phoneNumberId)?.username).toBe(name);
  });

  it("POST: 100 from Meta, the final judge of a name our format accepts", async () => {
    // No name passes our format and fails the sandbox's (its suffix list is a subset of ours),
    // so Meta's verdict on an open-list suffix such as .shop is played by a fault.
    const { tenant, phone } = await phoneWithState();
    world.sandbox.injectFault({
      mode: "status",
      status: 400,
      body: {
        error: {
          message: "(#100) Invalid parameter",
          type: "OAuthException",
          code: 100,
          error_data: { messaging_product: "whatsapp", details: "Username cannot end with a domain suffix." },
          fbtrace_id: "AbCdEf123",
        },
      },
    });
    const before = await snapshotState(phone.phoneNumberId);

    const answer = await call("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      body: { username: "lucky_shrub.shop" },
    });

    expectPassedThrough(answer, { status: 400, code: 100 });
    expect(JSON.parse(world.sandbox.requests()[0]?.body ?? "")).toEqual({ username: "lucky_shrub.shop" });
    await expectStateUnchanged(before);
  });

  it.each([
    { code: 4, message: "(#4) Application request limit reached" },
    { code: 80007, message: "(#80007) Rate limit issues" },
    { code: 130429, message: "(#130429) Rate limit hit" },
    { code: 131056, message: "(#131056) (Business Account, Consumer Account) pair rate limit hit" },
  ])("POST: rate limit $code passes through once, never retried", async (c) => {
    const { tenant, phone } = await phoneWithState();
    world.sandbox.injectFault({
      mode: "status",
      status: 429,
      count: 5,
      body: {
        error: { message: c.message, type: "OAuthException", code: c.code, fbtrace_id: "RateLimitTrace" },
      },
    });
    const before = await snapshotState(phone.phoneNumberId);

    const answer = await call("claim", phone.phoneNumberId, { apiKey: tenant.apiKey });

    expectPassedThrough(answer, { status: 429, code: c.code });
    expect(answer.json.error.fbtrace_id).toBe("RateLimitTrace");
    await expectStateUnchanged(before);
  });

  it("DELETE: rate limit passes through once, never retried", async () => {
    const { tenant, phone } = await phoneWithState();
    world.sandbox.injectFault({
      mode: "status",
      status: 429,
      count: 5,
      body: { error: { message: "(#80007) Rate limit issues", type: "OAuthException", code: 80007 } },
    });
    const before = await snapshotState(phone.phoneNumberId);

    const answer = await call("delete", phone.phoneNumberId, { apiKey: tenant.apiKey });

    expectPassedThrough(answer, { status: 429, code: 80007 });
    await expectStateUnchanged(before);
  });
});
