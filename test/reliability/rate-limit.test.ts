/**
 * The per-tenant limit on calls that reach Meta (a DynamoDB counter per tenant per minute: every
 * Graph proxy route, GETs too; `RateLimited` counted) and the DynamoDB call budget of a warm
 * POST/DELETE. The clock (Date only; timers stay real) is pinned inside one
 * minute so no test can straddle a window boundary on a slow machine.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { clearApiKeyCache } from "../../functions/core/auth/authenticate.ts";
import { handler as listPhoneNumbers } from "../../functions/v1/list-phone-numbers.ts";
import { apiEvent, invoke } from "../support/lambda.ts";
import { captureMetrics } from "../support/metric-lines.ts";
import { injectStorageFaults } from "../support/storage-faults.ts";
import { callUsernameApi } from "../support/username-client.ts";
import {
  type SeededPhone,
  type SeededTenant,
  seedPhone,
  seedTenant,
  storedState,
  uniqueDigits,
  useWorld,
} from "../support/world.ts";
import { scanTable } from "./helpers/store-snapshot.ts";

const world = useWorld();
const LIMIT = 3;
// 10 s into a minute, so Retry-After is predictable too.
const MINUTE_START = Math.floor(Date.now() / 60_000) * 60_000 + 60_000;
let savedLimit: string | undefined;

beforeAll(() => {
  savedLimit = process.env.TENANT_META_LIMIT_PER_MINUTE;
  process.env.TENANT_META_LIMIT_PER_MINUTE = String(LIMIT);
});
afterAll(() => {
  process.env.TENANT_META_LIMIT_PER_MINUTE = savedLimit;
});
beforeEach(() => {
  // The clock is set inside one minute window and goes on ticking from there (every ms), as real
  // clocks do: the ordering of Meta's answers relies on time moving forward.
  vi.useFakeTimers({
    toFake: ["Date"],
    now: MINUTE_START + 10_000,
    shouldAdvanceTime: true,
    advanceTimeDelta: 1,
  });
});
afterEach(() => {
  vi.useRealTimers();
});

let counter = 0;
const uniqueName = () => `limit_${++counter}_${uniqueDigits(6)}`;

async function owner(): Promise<{ tenant: SeededTenant; phone: SeededPhone }> {
  const tenant = await seedTenant();
  return { tenant, phone: await seedPhone(world, tenant) };
}

function claim(who: { tenant: SeededTenant; phone: SeededPhone }, headers: Record<string, string> = {}) {
  return callUsernameApi("claim", who.phone.phoneNumberId, {
    apiKey: who.tenant.apiKey,
    body: { username: uniqueName() },
    headers,
  });
}

describe(`TENANT_META_LIMIT_PER_MINUTE=${LIMIT}`, () => {
  it("the 4th POST/DELETE of a minute is 429 code 4 before Meta, GETs to Meta too; other tenants go on", async () => {
    const who = await owner();
    const other = await owner();
    const metrics = captureMetrics();

    expect((await claim(who)).status).toBe(200);
    expect(
      (await callUsernameApi("delete", who.phone.phoneNumberId, { apiKey: who.tenant.apiKey })).status,
    ).toBe(200);
    expect((await claim(who)).status).toBe(200);
    world.sandbox.clearRequests();
    const before = await storedState(who.phone.phoneNumberId);

    for (const operation of ["claim", "delete"] as const) {
      const limited = await callUsernameApi(operation, who.phone.phoneNumberId, {
        apiKey: who.tenant.apiKey,
        body: { username: uniqueName() },
      });
      expect(limited.status).toBe(429);
      expect(limited.json.error).toMatchObject({ code: 4, is_transient: true, type: "OAuthException" });
      // The rest of the minute, in whole seconds (the clock started 10 s into it and ticks on).
      const rest = Math.ceil((MINUTE_START + 60_000 - Date.now()) / 1000);
      expect(Number(limited.headers["retry-after"])).toBeGreaterThanOrEqual(rest);
      expect(Number(limited.headers["retry-after"])).toBeLessThanOrEqual(Math.min(50, rest + 1));
      expect(limited.headers["cache-control"]).toBe("no-store");
    }
    // GETs reach Meta too: limited alike.
    for (const operation of ["get", "suggestions"] as const) {
      const limited = await callUsernameApi(operation, who.phone.phoneNumberId, {
        apiKey: who.tenant.apiKey,
      });
      expect(limited.status).toBe(429);
      expect(limited.json.error).toMatchObject({ code: 4 });
    }
    expect(world.sandbox.requests()).toEqual([]);
    expect(await storedState(who.phone.phoneNumberId)).toEqual(before);
    metrics.stop();
    expect(metrics.linesOf("RateLimited")).toEqual(
      Array.from({ length: 4 }, () =>
        expect.objectContaining({ RateLimited: 1, tenantId: who.tenant.tenantId }),
      ),
    );

    // The read API (/v1) answers from the store alone: not limited. Another tenant has its own count.
    const page = await invoke(
      listPhoneNumbers,
      apiEvent({
        method: "GET",
        routePath: "/v1/phone_numbers",
        headers: { "x-api-key": who.tenant.apiKey },
      }),
    );
    expect(page.status).toBe(200);
    expect((await claim(other)).status).toBe(200);

    // The next minute starts a new window.
    vi.setSystemTime(MINUTE_START + 60_000 + 1_000);
    expect((await claim(who)).status).toBe(200);
  });

  it("GETs count: after 3 GETs of a minute the 4th request, whatever its method, is 429 before Meta", async () => {
    const who = await owner();
    const get = (operation: "get" | "suggestions") =>
      callUsernameApi(operation, who.phone.phoneNumberId, { apiKey: who.tenant.apiKey });
    expect((await get("get")).status).toBe(200);
    expect((await get("suggestions")).status).toBe(200);
    expect((await get("get")).status).toBe(200);
    world.sandbox.clearRequests();
    expect((await get("suggestions")).status).toBe(429);
    expect((await get("get")).status).toBe(429);
    expect((await claim(who)).status).toBe(429);
    expect(world.sandbox.requests()).toEqual([]);
    vi.setSystemTime(MINUTE_START + 60_000 + 1_000);
    expect((await get("get")).status).toBe(200);
  });

  it("a foreign or unknown number is refused (33) before it counts", async () => {
    const who = await owner();
    const stranger = await owner();
    for (let i = 0; i < LIMIT + 2; i++) {
      const foreign = await callUsernameApi("delete", stranger.phone.phoneNumberId, {
        apiKey: who.tenant.apiKey,
      });
      expect(foreign.json.error.code).toBe(33);
    }
    for (let i = 0; i < LIMIT; i++) expect((await claim(who)).status).toBe(200);
  });

  it("an idempotent replay does not count, and a limited request frees its key", async () => {
    const who = await owner();
    const body = { username: uniqueName() };
    const headers = { "idempotency-key": `replay-${uniqueDigits(8)}` };
    const first = await callUsernameApi("claim", who.phone.phoneNumberId, {
      apiKey: who.tenant.apiKey,
      body,
      headers,
    });
    expect(first.status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const replay = await callUsernameApi("claim", who.phone.phoneNumberId, {
        apiKey: who.tenant.apiKey,
        body,
        headers,
      });
      expect(replay.headers["idempotent-replayed"]).toBe("true");
    }
    expect((await claim(who)).status).toBe(200);
    expect((await claim(who)).status).toBe(200);

    const lateKey = { "idempotency-key": `late-${uniqueDigits(8)}` };
    const lateBody = { username: uniqueName() };
    const limited = await callUsernameApi("claim", who.phone.phoneNumberId, {
      apiKey: who.tenant.apiKey,
      body: lateBody,
      headers: lateKey,
    });
    expect(limited.status).toBe(429);
    vi.setSystemTime(MINUTE_START + 60_000 + 1_000);
    const retried = await callUsernameApi("claim", who.phone.phoneNumberId, {
      apiKey: who.tenant.apiKey,
      body: lateBody,
      headers: lateKey,
    });
    expect(retried.status).toBe(200);
    expect(retried.headers["idempotent-replayed"]).toBeUndefined();
  });

  it("the counter is one item per tenant and minute, with a TTL", async () => {
    const who = await owner();
    await claim(who);
    await claim(who);
    const counters = (await scanTable()).filter((item) => item.pk === `RATELIMIT#${who.tenant.tenantId}`);
    expect(counters).toHaveLength(1);
    expect(counters[0]).toMatchObject({ sk: `MINUTE#${Math.floor(Date.now() / 60_000)}`, count: 2 });
    // Swept a couple of minutes after its window closes.
    expect(Number(counters[0]?.expiresAt)).toBeGreaterThan((MINUTE_START + 60_000) / 1000);
    expect(Number(counters[0]?.expiresAt)).toBeLessThan((MINUTE_START + 60_000) / 1000 + 600);
  });

  it("0 turns the limit off (no counter written)", async () => {
    process.env.TENANT_META_LIMIT_PER_MINUTE = "0";
    try {
      const who = await owner();
      for (let i = 0; i < LIMIT + 1; i++) expect((await claim(who)).status).toBe(200);
      const counters = (await scanTable()).filter((item) => item.pk === `RATELIMIT#${who.tenant.tenantId}`);
      expect(counters).toEqual([]);
    } finally {
      process.env.TENANT_META_LIMIT_PER_MINUTE = String(LIMIT);
    }
  });
});

describe("DynamoDB calls of a warm POST/DELETE (API key cached)", () => {
  let savedCacheTtl: string | undefined;
  beforeAll(() => {
    savedCacheTtl = process.env.API_KEY_CACHE_TTL_MS;
    process.env.API_KEY_CACHE_TTL_MS = "600000";
    process.env.TENANT_META_LIMIT_PER_MINUTE = "1000";
  });
  afterAll(() => {
    process.env.API_KEY_CACHE_TTL_MS = savedCacheTtl;
    process.env.TENANT_META_LIMIT_PER_MINUTE = String(LIMIT);
    clearApiKeyCache();
  });

  it("3 without Idempotency-Key (the turn with ownership and counter, the phone read inside it, the state); +2 with one; 1 for a replay; 2 for a GET", async () => {
    const who = await owner();
    expect((await claim(who)).status).toBe(200); // warms the key cache
    const counting = injectStorageFaults(() => undefined);
    try {
      const calls = () => Object.fromEntries(counting.attempts);
      const reset = () => counting.attempts.clear();

      // The turn on an empty line (ownership, the tenant's counter and the lease in one
      // transaction), the record read inside it, the state write that ends it.
      expect((await claim(who)).status).toBe(200);
      expect(calls()).toEqual({ GetItemCommand: 1, TransactWriteItemsCommand: 2 });

      reset();
      expect(
        (await callUsernameApi("delete", who.phone.phoneNumberId, { apiKey: who.tenant.apiKey })).status,
      ).toBe(200);
      expect(calls()).toEqual({ GetItemCommand: 1, TransactWriteItemsCommand: 2 });

      reset();
      const body = { username: uniqueName() };
      const headers = { "idempotency-key": `budget-${uniqueDigits(8)}` };
      const keyed = await callUsernameApi("claim", who.phone.phoneNumberId, {
        apiKey: who.tenant.apiKey,
        body,
        headers,
      });
      expect(keyed.status).toBe(200);
      expect(calls()).toEqual({
        PutItemCommand: 1,
        GetItemCommand: 1,
        UpdateItemCommand: 1,
        TransactWriteItemsCommand: 2,
      });

      reset();
      await callUsernameApi("claim", who.phone.phoneNumberId, { apiKey: who.tenant.apiKey, body, headers });
      expect(calls()).toEqual({ PutItemCommand: 1 });

      // A GET whose answer matches the record: the number and the tenant's Meta limit counter.
      reset();
      expect(
        (await callUsernameApi("get", who.phone.phoneNumberId, { apiKey: who.tenant.apiKey })).status,
      ).toBe(200);
      expect(calls()).toEqual({ GetItemCommand: 1, UpdateItemCommand: 1 });
    } finally {
      counting();
    }
  });
});
