/**
 * Tenants manage their own API keys over `/v1` (docs/spec.md, "Self-service: webhook endpoints
 * and API keys"), over real HTTP through the local gateway: a new key is shown once and works at
 * once, the list never shows a key or its hash, a revoked key stops working at once on the
 * container that revoked it (and within API_KEY_CACHE_TTL_MS on others), a tenant never loses its
 * last active key (not even to concurrent revocations), another tenant's key answers like an
 * unknown one, keys stored before the tenant's key index existed are listed and revocable, and
 * the last use of a key is recorded at most once per key per period and container.
 */
import { createHash } from "node:crypto";
import { DeleteCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { dynamo, tableName } from "../../functions/core/store/client.ts";
import { admin } from "../support/admin-cli.ts";
import { useEventPipeline } from "../support/event-pipeline.ts";
import { isTenantRequestCount, recordStoreCalls, type StoreCall } from "../support/store-calls.ts";
import { errorWithoutTrace, type TenantAnswer, tenantClient } from "../support/tenant-client.ts";
import { seedTenant, useWorld } from "../support/world.ts";

const KEY_LIMIT = 5;
process.env.API_KEYS_PER_TENANT = String(KEY_LIMIT);
// Last use recorded as in AWS: at most once per key per 5 minutes on a container.
process.env.API_KEY_USE_PERIOD_SECONDS = "300";

const world = useWorld({ stream: true });
const pipeline = useEventPipeline(world);
const call = tenantClient(pipeline);

const KEY_ID = /^key_[0-9a-f]{16}$/;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const UNKNOWN_KEY = "key_0123456789abcdef";

function expectGraphError(answer: TenantAnswer, status: number, code: number) {
  expect({ status: answer.status, code: answer.json?.error?.code }, answer.text).toEqual({ status, code });
  expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
}

async function createKey(apiKey: string, name?: string): Promise<{ id: string; key: string }> {
  const answer = await call("POST", "/v1/api_keys", { apiKey, body: name === undefined ? {} : { name } });
  expect(answer.status, answer.text).toBe(200);
  return answer.json;
}

async function listKeys(apiKey: string) {
  const answer = await call("GET", "/v1/api_keys?limit=100", { apiKey });
  expect(answer.status, answer.text).toBe(200);
  return answer.json.data as { id: string; status: string; last_used_time?: string }[];
}

const works = async (apiKey: string) => (await call("GET", "/v1/phone_numbers", { apiKey })).status;

async function storeCallsOf(run: () => Promise<unknown>): Promise<StoreCall[]> {
  const { calls, restore } = recordStoreCalls({ withKeys: true });
  try {
    await run();
    // The tenant's request counter is written by every /v1 request (docs/reliability.md, "Fair share").
    return calls.filter((c) => c.indexName !== "byDueTime" && !isTenantRequestCount(c));
  } finally {
    restore();
  }
}

describe("POST /v1/api_keys", { timeout: 60_000 }, () => {
  it("creates a key that works at once, shown in that answer only: never listed, nor its hash", async () => {
    const tenant = await seedTenant();
    const created = await call("POST", "/v1/api_keys", {
      apiKey: tenant.apiKey,
      body: { name: "ci deploys" },
    });
    expect(created.status, created.text).toBe(200);
    expect(created.json).toEqual({
      id: expect.stringMatching(KEY_ID),
      name: "ci deploys",
      created_time: expect.stringMatching(ISO_TIME),
      status: "active",
      current: false,
      key: expect.stringMatching(/^wau_[A-Za-z0-9_-]{32}$/),
    });
    expect(await works(created.json.key)).toBe(200);

    const list = await call("GET", "/v1/api_keys", { apiKey: created.json.key });
    expect(list.status).toBe(200);
    const { key, ...listed } = created.json;
    // Listed with the new key: now it is the one the request was made with.
    expect(list.json.data).toContainEqual(expect.objectContaining({ ...listed, current: true }));
    expect(list.json.data.map((k: { id: string }) => k.id).sort()).toEqual([tenant.keyId, listed.id].sort());
    for (const secret of [key, tenant.apiKey]) {
      expect(list.text).not.toContain(secret);
      expect(list.text).not.toContain(createHash("sha256").update(secret).digest("hex"));
    }
    for (const item of list.json.data) {
      expect(
        Object.keys(item).every((field) => !/key$|hash/i.test(field)),
        JSON.stringify(item),
      ).toBe(true);
    }
  });

  it("takes an optional name (1 to 100 printable characters) and refuses anything else, storing nothing", async () => {
    const tenant = await seedTenant();
    const unnamed = await createKey(tenant.apiKey);
    expect(unnamed).not.toHaveProperty("name");
    for (const body of [
      { name: 42 },
      { name: "" },
      { name: "x".repeat(101) },
      { name: "tab\there" },
      "[1]",
    ]) {
      const answer = await call("POST", "/v1/api_keys", {
        apiKey: tenant.apiKey,
        body,
        headers: { "content-type": "application/json" },
      });
      expectGraphError(answer, 400, 100);
    }
    expect(await listKeys(tenant.apiKey)).toHaveLength(2);
  });

  it(`holds a tenant to API_KEYS_PER_TENANT active keys (${KEY_LIMIT} here)`, async () => {
    const tenant = await seedTenant();
    const created = [];
    for (let i = 1; i < KEY_LIMIT; i++) created.push(await createKey(tenant.apiKey));
    const refused = await call("POST", "/v1/api_keys", { apiKey: tenant.apiKey, body: {} });
    expectGraphError(refused, 400, 100);
    expect(refused.json.error.message).toBe(
      `(#100) This tenant has ${KEY_LIMIT} active API keys, the most it may have: revoke one first`,
    );
    const revoked = await call("DELETE", `/v1/api_keys/${created[0]?.id}`, { apiKey: tenant.apiKey });
    expect(revoked.json).toEqual({ success: true });
    await createKey(tenant.apiKey);
  });

  it("holds the limit when creations race: concurrent requests never leave more active keys than it", async () => {
    const tenant = await seedTenant();
    await createKey(tenant.apiKey);
    // Two free places, ten requests at once (one tenant's client retrying in parallel).
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => call("POST", "/v1/api_keys", { apiKey: tenant.apiKey, body: {} })),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(
      statuses.filter((status) => status === 200),
      statuses.join(),
    ).toHaveLength(KEY_LIMIT - 2);
    for (const refused of answers.filter((answer) => answer.status !== 200)) {
      expectGraphError(refused, 400, 100);
      expect(refused.json.error.message).toContain(`${KEY_LIMIT} active API keys`);
    }
    expect((await listKeys(tenant.apiKey)).filter((key) => key.status === "active")).toHaveLength(KEY_LIMIT);
  });
});

describe("GET /v1/api_keys", { timeout: 60_000 }, () => {
  it("lists ids, names, created, last used and revoked times, paged by id with Graph's envelope", async () => {
    const tenant = await seedTenant();
    const other = await seedTenant();
    const a = await createKey(tenant.apiKey, "a");
    const b = await createKey(tenant.apiKey, "b");
    expect(await works(a.key)).toBe(200);
    await call("DELETE", `/v1/api_keys/${b.id}`, { apiKey: tenant.apiKey });
    const ids = [tenant.keyId, a.id, b.id].sort();

    await expect
      .poll(async () => (await listKeys(tenant.apiKey)).find((k) => k.id === a.id)?.last_used_time)
      .toMatch(ISO_TIME);
    const all = await listKeys(tenant.apiKey);
    expect(all.map((k) => k.id)).toEqual(ids);
    expect(all.find((k) => k.id === a.id)).toEqual({
      id: a.id,
      name: "a",
      created_time: expect.stringMatching(ISO_TIME),
      last_used_time: expect.stringMatching(ISO_TIME),
      status: "active",
      current: false,
    });
    expect(all.find((k) => k.id === b.id)).toMatchObject({
      name: "b",
      status: "revoked",
      revoked_time: expect.stringMatching(ISO_TIME),
    });
    expect(all.find((k) => k.id === b.id)).not.toHaveProperty("last_used_time");

    const first = await call("GET", "/v1/api_keys?limit=2", { apiKey: tenant.apiKey });
    expect(first.json.data.map((k: { id: string }) => k.id)).toEqual(ids.slice(0, 2));
    const second = await call("GET", first.json.paging.next, { apiKey: tenant.apiKey });
    expect(second.json.data.map((k: { id: string }) => k.id)).toEqual(ids.slice(2));
    expect(second.json.paging.next).toBeUndefined();
    const back = await call("GET", second.json.paging.previous, { apiKey: tenant.apiKey });
    expect(back.json.data.map((k: { id: string }) => k.id)).toEqual(ids.slice(0, 2));
    // Another tenant's cursor is not one of this listing.
    const theirs = await call("GET", "/v1/api_keys?limit=1", { apiKey: other.apiKey });
    expectGraphError(
      await call("GET", `/v1/api_keys?after=${theirs.json.paging.cursors.after}`, { apiKey: tenant.apiKey }),
      400,
      100,
    );
  });

  it("marks the key the request was made with as `current`, and no other, whichever header carried it", async () => {
    const tenant = await seedTenant();
    const a = await createKey(tenant.apiKey, "a");
    const currentOf = (keys: { id: string; current?: boolean }[]) =>
      keys.filter((k) => k.current === true).map((k) => k.id);
    const listed = await listKeys(tenant.apiKey);
    expect(currentOf(listed)).toEqual([tenant.keyId]);
    expect(listed.every((k) => typeof (k as { current?: unknown }).current === "boolean")).toBe(true);
    expect(currentOf(await listKeys(a.key))).toEqual([a.id]);
    const bearer = await call("GET", "/v1/api_keys?limit=100", {
      headers: { authorization: `Bearer ${a.key}` },
    });
    expect(bearer.status, bearer.text).toBe(200);
    expect(currentOf(bearer.json.data)).toEqual([a.id]);
    // A page without the caller's key marks none.
    const ids = [tenant.keyId, a.id].sort();
    const other = ids[0] === a.id ? tenant.apiKey : a.key;
    const page = await call("GET", "/v1/api_keys?limit=1", { apiKey: other });
    expect(page.json.data.map((k: { id: string }) => k.id)).toEqual([ids[0]]);
    expect(currentOf(page.json.data)).toEqual([]);
  });

  it("records a key's last use at most once per key per API_KEY_USE_PERIOD_SECONDS on a container", async () => {
    const tenant = await seedTenant();
    const writes = await storeCallsOf(async () => {
      for (let i = 0; i < 6; i++) expect(await works(tenant.apiKey)).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 200));
    });
    expect(writes.filter((c) => c.command === "UpdateItemCommand")).toHaveLength(1);
    expect((await listKeys(tenant.apiKey))[0]?.last_used_time).toMatch(ISO_TIME);
  });
});

describe("DELETE /v1/api_keys/{id}", { timeout: 90_000 }, () => {
  it("revokes a key: refused at once by the container that revoked it, by others within API_KEY_CACHE_TTL_MS", async () => {
    const savedTtl = process.env.API_KEY_CACHE_TTL_MS;
    process.env.API_KEY_CACHE_TTL_MS = "1500";
    // A second container of the service: fresh modules, with a key cache of its own.
    vi.resetModules();
    const other = await import("../../functions/core/auth/authenticate.ts");
    const otherStore = await import("../../functions/core/store/client.ts");
    try {
      const tenant = await seedTenant();
      const spare = await createKey(tenant.apiKey);
      expect(await works(tenant.apiKey)).toBe(200); // cached here
      expect(await other.authenticate({ "x-api-key": tenant.apiKey })).toMatchObject({ keyId: tenant.keyId });

      const revoked = await call("DELETE", `/v1/api_keys/${tenant.keyId}`, { apiKey: tenant.apiKey });
      expect(revoked.status, revoked.text).toBe(200);
      expect(revoked.json).toEqual({ success: true });
      expectGraphError(await call("GET", "/v1/phone_numbers", { apiKey: tenant.apiKey }), 401, 190);
      // The other container still trusts its cached copy, for at most the cache's TTL.
      expect(await other.authenticate({ "x-api-key": tenant.apiKey })).toMatchObject({ keyId: tenant.keyId });
      await expect
        .poll(() => other.authenticate({ "x-api-key": tenant.apiKey }).catch((e) => e.status), {
          timeout: 5_000,
        })
        .toBe(401);
      expect(await works(spare.key)).toBe(200);
    } finally {
      process.env.API_KEY_CACHE_TTL_MS = savedTtl;
      otherStore.dynamo().destroy();
    }
  });

  it("never revokes the tenant's last active key: a Graph-style 400 says so, and the key keeps working", async () => {
    const tenant = await seedTenant();
    const refused = await call("DELETE", `/v1/api_keys/${tenant.keyId}`, { apiKey: tenant.apiKey });
    expectGraphError(refused, 400, 100);
    expect(refused.json.error.message).toBe(
      "(#100) Cannot revoke the tenant's last active API key: create another key first",
    );
    expect(await works(tenant.apiKey)).toBe(200);

    // With a second key the caller may revoke its own; then the second is the last.
    const second = await createKey(tenant.apiKey);
    expect((await call("DELETE", `/v1/api_keys/${tenant.keyId}`, { apiKey: tenant.apiKey })).json).toEqual({
      success: true,
    });
    expect(await works(tenant.apiKey)).toBe(401);
    expectGraphError(await call("DELETE", `/v1/api_keys/${second.id}`, { apiKey: second.key }), 400, 100);
    // Revoking a revoked key again is harmless: it keeps its first time.
    const before = (await listKeys(second.key)).find((k) => k.id === tenant.keyId);
    expect((await call("DELETE", `/v1/api_keys/${tenant.keyId}`, { apiKey: second.key })).json).toEqual({
      success: true,
    });
    expect((await listKeys(second.key)).find((k) => k.id === tenant.keyId)).toEqual(before);
  });

  it("leaves at least one active key whatever concurrent revocations race", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 4 }), fc.infiniteStream(fc.nat()), async (count, picks) => {
        const tenant = await seedTenant();
        const keys = [{ id: tenant.keyId, key: tenant.apiKey }];
        for (let i = 1; i < count; i++) keys.push(await createKey(tenant.apiKey));
        // Every key revokes one key (maybe itself, maybe one another revokes too), all at once.
        const targets = keys.map(() => keys[(picks.next().value as number) % count] as { id: string });
        const answers = await Promise.all(
          keys.map((k, i) => call("DELETE", `/v1/api_keys/${targets[i]?.id}`, { apiKey: k.key })),
        );
        for (const answer of answers) expect([200, 400, 401], answer.text).toContain(answer.status);
        const states = await Promise.all(keys.map(async (k) => (await works(k.key)) === 200));
        expect(states.filter(Boolean).length).toBeGreaterThanOrEqual(1);
        // Each key is active exactly when no revocation of it succeeded.
        const revokedIds = new Set(targets.filter((_, i) => answers[i]?.status === 200).map((t) => t.id));
        expect(states).toEqual(keys.map((k) => !revokedIds.has(k.id)));
      }),
      // The test's own seed (test/support/randomness.ts, set before each test).
      { numRuns: 12 },
    );
  });

  it("answers another tenant's key exactly like an unknown one, after the same reads, and leaves it active", async () => {
    const mine = await seedTenant();
    const theirs = await seedTenant();
    await createKey(theirs.apiKey);
    // A tenant's first call indexes its keys once (keys older than the index): done before comparing.
    await listKeys(mine.apiKey);
    let foreign: TenantAnswer | undefined;
    let unknown: TenantAnswer | undefined;
    const foreignReads = await storeCallsOf(async () => {
      foreign = await call("DELETE", `/v1/api_keys/${theirs.keyId}`, { apiKey: mine.apiKey });
    });
    const unknownReads = await storeCallsOf(async () => {
      unknown = await call("DELETE", `/v1/api_keys/${UNKNOWN_KEY}`, { apiKey: mine.apiKey });
    });
    expectGraphError(foreign as TenantAnswer, 400, 33);
    expect(foreign?.status).toBe(unknown?.status);
    expect(errorWithoutTrace(foreign?.json)).toEqual({
      ...errorWithoutTrace(unknown?.json),
      message: String(errorWithoutTrace(unknown?.json).message).replace(UNKNOWN_KEY, theirs.keyId),
    });
    expect(foreignReads).toEqual(unknownReads);
    expect(await works(theirs.apiKey)).toBe(200);
    expectGraphError(await call("DELETE", "/v1/api_keys/key_NOT-HEX", { apiKey: mine.apiKey }), 400, 100);
  });

  it("lists and revokes keys stored before the tenant's key index existed", async () => {
    const tenant = await seedTenant();
    const second = await createKey(tenant.apiKey, "older");
    // As a table written by 0.2.0 has them: key records and their id pointers, no tenant index.
    const { Items = [] } = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": `APIKEYS#${tenant.tenantId}` },
        ConsistentRead: true,
      }),
    );
    expect(Items.length).toBeGreaterThanOrEqual(2);
    for (const item of Items) {
      await dynamo().send(new DeleteCommand({ TableName: tableName(), Key: { pk: item.pk, sk: item.sk } }));
    }
    expect((await listKeys(tenant.apiKey)).map((k) => k.id).sort()).toEqual([tenant.keyId, second.id].sort());
    expect((await call("DELETE", `/v1/api_keys/${second.id}`, { apiKey: tenant.apiKey })).json).toEqual({
      success: true,
    });
    expect(await works(second.key)).toBe(401);
    expectGraphError(
      await call("DELETE", `/v1/api_keys/${tenant.keyId}`, { apiKey: tenant.apiKey }),
      400,
      100,
    );
  });
});

describe("the operator's CLI", { timeout: 60_000 }, () => {
  it("key list shows when each key was last used; key revoke still revokes any key", async () => {
    const tenant = await seedTenant();
    expect(await works(tenant.apiKey)).toBe(200);
    await expect
      .poll(
        async () =>
          (await admin(["key", "list", "--tenant", tenant.tenantId, "--json"])).json.keys[0]?.lastUsedAt,
      )
      .toMatch(ISO_TIME);
    const text = await admin(["key", "list", "--tenant", tenant.tenantId]);
    expect(text.stdout).toMatch(/^ID\s+NAME\s+CREATED\s+LAST USED\s+STATUS$/m);
    // The operator may revoke a tenant's last key (an incident); a tenant may not.
    const revoked = await admin(["key", "revoke", tenant.keyId, "--json"]);
    expect(revoked.code).toBe(0);
    expect(await works(tenant.apiKey)).toBe(401);
    const listed = await admin(["key", "list", "--tenant", tenant.tenantId, "--json"]);
    expect(listed.json.keys[0]).toMatchObject({ status: "revoked", revokedAt: revoked.json.revokedAt });
  });
});

describe("order of checks", { timeout: 60_000 }, () => {
  it("path, then the API key, then the body's size, then its content", async () => {
    const tenant = await seedTenant();
    const bad = `wau_${"D".repeat(32)}`;
    const huge = JSON.stringify({ name: "x".repeat(17 * 1024) });
    const cases: [string, string, string | undefined, unknown, number, number][] = [
      ["DELETE", "/v1/api_keys/nope", bad, undefined, 400, 100],
      ["POST", "/v1/api_keys", bad, huge, 401, 190],
      ["POST", "/v1/api_keys", undefined, { name: 1 }, 401, 190],
      ["POST", "/v1/api_keys", tenant.apiKey, huge, 413, 100],
      ["POST", "/v1/api_keys", tenant.apiKey, { name: 1 }, 400, 100],
      ["DELETE", `/v1/api_keys/${UNKNOWN_KEY}`, tenant.apiKey, huge, 413, 100],
    ];
    for (const [method, path, apiKey, body, status, code] of cases) {
      const answer = await call(method, path, {
        ...(apiKey ? { apiKey } : {}),
        ...(body !== undefined ? { body, headers: { "content-type": "application/json" } } : {}),
      });
      expect({ status: answer.status, code: answer.json?.error?.code }, `${method} ${path}`).toEqual({
        status,
        code,
      });
    }
    expect(await listKeys(tenant.apiKey)).toHaveLength(1);
  });
});
