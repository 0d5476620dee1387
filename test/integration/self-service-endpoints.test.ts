/**
 * Tenants manage their own webhook endpoints over `/v1` (docs/spec.md, "Self-service: webhook
 * endpoints and API keys"), over real HTTP through the local gateway, with the event pipeline
 * running and real receivers on loopback: an endpoint's secret is shown once, the URL rules and
 * the per-tenant limit are the CLI's own, another tenant's endpoint answers exactly like an
 * unknown one (same status, body and reads), a rotated secret signs what follows, the delivery
 * log pages like the other lists, and a redelivery reaches the receiver again.
 */
import { WebhookVerificationError } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { admin } from "../support/admin-cli.ts";
import { useEventPipeline } from "../support/event-pipeline.ts";
import { isTenantRequestCount, recordStoreCalls, type StoreCall } from "../support/store-calls.ts";
import { errorWithoutTrace, type TenantAnswer, tenantClient } from "../support/tenant-client.ts";
import { type ReceivedWebhook, startTenantEndpoint, verifiedEvent } from "../support/tenant-endpoint.ts";
import { callUsernameApi } from "../support/username-client.ts";
import { type SeededPhone, type SeededTenant, seedPhone, seedTenant, useWorld } from "../support/world.ts";

process.env.WEBHOOK_RETRY_DELAYS = "0.3,0.3,0.3";
process.env.WEBHOOK_TIMEOUT_MS = "500";
const ATTEMPTS = 4;
const LIMIT = 4;
process.env.WEBHOOK_ENDPOINTS_PER_TENANT = String(LIMIT);

const world = useWorld({ stream: true });
const pipeline = useEventPipeline(world);
const call = tenantClient(pipeline);

const ENDPOINT_ID = /^ep_[0-9a-f]{20}$/;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const UNKNOWN_ENDPOINT = "ep_0123456789abcdef0123";
const UNKNOWN_EVENT = "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV";

let names = 0;

interface Subject {
  tenant: SeededTenant;
  phone: SeededPhone;
  /** A username change of the tenant's number: one event. */
  change(): Promise<void>;
}

async function subject(): Promise<Subject> {
  const tenant = await seedTenant();
  const phone = await seedPhone(world, tenant);
  return {
    tenant,
    phone,
    async change() {
      const answer = await callUsernameApi("claim", phone.phoneNumberId, {
        apiKey: tenant.apiKey,
        body: { username: `self_service_${++names}` },
      });
      expect(answer.status).toBe(200);
    },
  };
}

async function createEndpoint(tenant: SeededTenant, url: string, description?: string) {
  const answer = await call("POST", "/v1/webhook_endpoints", {
    apiKey: tenant.apiKey,
    body: { url, ...(description === undefined ? {} : { description }) },
  });
  expect(answer.status, answer.text).toBe(200);
  return answer.json as { id: string; url: string; secret: string; created_time: string };
}

function expectGraphError(answer: TenantAnswer, status: number, code: number) {
  expect({ status: answer.status, code: answer.json?.error?.code }, answer.text).toEqual({ status, code });
  expect(answer.json.error.type).toEqual(expect.any(String));
  expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
}

/** Store commands of the requests `run` makes (the retry sweep, reading its own index meanwhile, left out). */
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

describe("POST /v1/webhook_endpoints", { timeout: 90_000 }, () => {
  it("creates an endpoint and shows its signing secret in that answer only, never on GET or in the list", async () => {
    const s = await subject();
    const receiver = await startTenantEndpoint();
    const created = await call("POST", "/v1/webhook_endpoints", {
      apiKey: s.tenant.apiKey,
      body: { url: receiver.url, description: "orders service" },
    });
    expect(created.status, created.text).toBe(200);
    expect(created.json).toEqual({
      id: expect.stringMatching(ENDPOINT_ID),
      url: receiver.url,
      description: "orders service",
      created_time: expect.stringMatching(ISO_TIME),
      event_types: ["username.updated"],
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    const { secret, ...endpoint } = created.json;

    const one = await call("GET", `/v1/webhook_endpoints/${endpoint.id}`, { apiKey: s.tenant.apiKey });
    expect(one.status).toBe(200);
    expect(one.json).toEqual(endpoint);
    const list = await call("GET", "/v1/webhook_endpoints", { apiKey: s.tenant.apiKey });
    expect(list.json.data).toEqual([endpoint]);
    for (const answer of [one, list]) {
      expect(answer.text).not.toContain(secret.slice("whsec_".length));
      expect(answer.text).not.toContain("secret");
    }

    // Deliveries to it are signed with that secret.
    await s.change();
    const [request] = await receiver.waitFor((r) => r.length === 1);
    expect(verifiedEvent(secret, request as ReceivedWebhook)).toMatchObject({ type: "username.updated" });
    await receiver.close();
  });

  it.each([
    ["an ftp URL", { url: "ftp://example.com/hooks" }, "url must be https"],
    [
      "http to a public host",
      { url: "http://example.com/hooks" },
      "url must be https (http only on loopback",
    ],
    ["a private address", { url: "https://10.1.2.3/hooks" }, "url must name a public host or loopback"],
    [
      "a link-local address",
      { url: "https://169.254.169.254/latest" },
      "url must name a public host or loopback",
    ],
    [
      "a unique local IPv6 address",
      { url: "https://[fd00::1]/hooks" },
      "url must name a public host or loopback",
    ],
    [
      "credentials",
      { url: "https://user:pass@example.com/hooks" },
      "url must not carry a user name or password",
    ],
    ["a fragment", { url: "https://example.com/hooks#part" }, "url must not have a #fragment"],
    [
      "2049 characters",
      { url: `https://example.com/${"a".repeat(2029)}` },
      "url must be at most 2048 characters",
    ],
    ["a relative URL", { url: "example.com/hooks" }, "url must be an absolute URL"],
    ["no url", {}, "url"],
    ["a number for url", { url: 42 }, "url"],
    ["a number for description", { url: "https://example.com/hooks", description: 7 }, "description"],
    [
      "257 characters of description",
      { url: "https://example.com/hooks", description: "x".repeat(257) },
      "description",
    ],
    ["a line break in description", { url: "https://example.com/hooks", description: "a\nb" }, "description"],
    [
      "a bidirectional override in description",
      { url: "https://example.com/hooks", description: "orders \u202eecivres" },
      "description",
    ],
    [
      "a C1 control in description",
      { url: "https://example.com/hooks", description: "a\u0085b" },
      "description",
    ],
    [
      "null for description",
      { url: "https://example.com/hooks", description: null },
      "description: must be a string",
    ],
    ["spaces around url", { url: " https://example.com/hooks " }, "url must not start or end with spaces"],
    ["a body that is not JSON", "{not json", "not valid JSON"],
  ])("refuses %s with 400 code 100 naming the rule, and stores nothing", async (_label, body, rule) => {
    const tenant = await seedTenant();
    const writes = await storeCallsOf(async () => {
      const answer = await call("POST", "/v1/webhook_endpoints", {
        apiKey: tenant.apiKey,
        body,
        headers: { "content-type": "application/json" },
      });
      expectGraphError(answer, 400, 100);
      expect(answer.json.error.message).toContain(rule);
    });
    expect(writes.filter((c) => !/^(Get|Query|BatchGet)/.test(c.command))).toEqual([]);
    const list = await call("GET", "/v1/webhook_endpoints", { apiKey: tenant.apiKey });
    expect(list.json.data).toEqual([]);
  });

  it(`holds a tenant to WEBHOOK_ENDPOINTS_PER_TENANT endpoints (${LIMIT} here), the operator's CLI too`, async () => {
    const tenant = await seedTenant();
    const created = [];
    for (let i = 0; i < LIMIT; i++) {
      created.push(await createEndpoint(tenant, `https://example.com/hooks/${i}`));
    }
    const refused = await call("POST", "/v1/webhook_endpoints", {
      apiKey: tenant.apiKey,
      body: { url: "https://example.com/hooks/one-more" },
    });
    expectGraphError(refused, 400, 100);
    expect(refused.json.error.message).toBe(
      `(#100) This tenant has ${LIMIT} webhook endpoints, the most it may have: remove one first`,
    );
    const cli = await admin([
      "webhook",
      "add",
      "--tenant",
      tenant.tenantId,
      "--url",
      "https://example.com/x",
    ]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`${LIMIT} endpoints already`);
    expect((await call("GET", "/v1/webhook_endpoints", { apiKey: tenant.apiKey })).json.data).toHaveLength(
      LIMIT,
    );

    const removed = await call("DELETE", `/v1/webhook_endpoints/${created[0]?.id}`, {
      apiKey: tenant.apiKey,
    });
    expect(removed.json).toEqual({ success: true });
    await createEndpoint(tenant, "https://example.com/hooks/again");
  });

  it("holds the limit when creations race: concurrent requests never leave more endpoints than it", async () => {
    const tenant = await seedTenant();
    await createEndpoint(tenant, "https://example.com/hooks/first");
    const answers = await Promise.all(
      Array.from({ length: 3 * LIMIT }, (_, i) =>
        call("POST", "/v1/webhook_endpoints", {
          apiKey: tenant.apiKey,
          body: { url: `https://example.com/hooks/race-${i}` },
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(
      statuses.filter((status) => status === 200),
      statuses.join(),
    ).toHaveLength(LIMIT - 1);
    for (const refused of answers.filter((answer) => answer.status !== 200)) {
      expectGraphError(refused, 400, 100);
      expect(refused.json.error.message).toContain(`${LIMIT} webhook endpoints`);
    }
    expect((await call("GET", "/v1/webhook_endpoints", { apiKey: tenant.apiKey })).json.data).toHaveLength(
      LIMIT,
    );
  });
});

describe("GET /v1/webhook_endpoints", { timeout: 60_000 }, () => {
  it("pages the tenant's endpoints, oldest first, with Graph's envelope and cursors of this listing only", async () => {
    const tenant = await seedTenant();
    const other = await seedTenant();
    const ids: string[] = [];
    for (let i = 0; i < LIMIT; i++) ids.push((await createEndpoint(tenant, `https://example.com/p/${i}`)).id);
    await createEndpoint(other, "https://example.com/not-mine");

    const first = await call("GET", "/v1/webhook_endpoints?limit=3", { apiKey: tenant.apiKey });
    expect(first.status).toBe(200);
    expect(first.json.data.map((e: { id: string }) => e.id)).toEqual(ids.slice(0, 3));
    expect(first.json.paging.previous).toBeUndefined();
    const second = await call("GET", first.json.paging.next, { apiKey: tenant.apiKey });
    expect(second.json.data.map((e: { id: string }) => e.id)).toEqual(ids.slice(3));
    expect(second.json.paging.next).toBeUndefined();
    const back = await call("GET", second.json.paging.previous, { apiKey: tenant.apiKey });
    expect(back.json.data.map((e: { id: string }) => e.id)).toEqual(ids.slice(0, 3));

    // Another tenant's cursor, a phone number listing's, a bad limit: 400 code 100.
    const theirs = await call("GET", "/v1/webhook_endpoints?limit=1", { apiKey: other.apiKey });
    for (const query of [
      `after=${theirs.json.paging.cursors.after}`,
      `after=${(await call("GET", "/v1/phone_numbers", { apiKey: tenant.apiKey })).json.paging.cursors.after ?? "bm9wZQ"}`,
      "limit=0",
      "limit=101",
    ]) {
      expectGraphError(
        await call("GET", `/v1/webhook_endpoints?${query}`, { apiKey: tenant.apiKey }),
        400,
        100,
      );
    }
  });

  it("refuses a missing or unknown API key with 401 code 190", async () => {
    expectGraphError(await call("GET", "/v1/webhook_endpoints"), 401, 190);
    expectGraphError(
      await call("GET", "/v1/webhook_endpoints", { apiKey: `wau_${"B".repeat(32)}` }),
      401,
      190,
    );
  });
});

describe("another tenant's endpoint", { timeout: 90_000 }, () => {
  it("answers every route exactly like an unknown endpoint, after the same reads, and is left untouched", async () => {
    const mine = await subject();
    const theirs = await subject();
    // Their event, which my key must not reach through any route.
    await theirs.change();
    await expect
      .poll(
        async () => (await call("GET", "/v1/username_changes", { apiKey: theirs.tenant.apiKey })).json.data,
      )
      .toHaveLength(1);
    // Endpoints added after it: no delivery runs meanwhile, so the store calls counted below are the requests' own.
    const foreign = await createEndpoint(theirs.tenant, "https://example.com/theirs");
    const own = await createEndpoint(mine.tenant, "https://example.com/mine");
    const theirEventId = (await call("GET", "/v1/username_changes", { apiKey: theirs.tenant.apiKey })).json
      .data[0].id as string;

    const routes: [string, (id: string) => string][] = [
      ["GET", (id) => `/v1/webhook_endpoints/${id}`],
      ["DELETE", (id) => `/v1/webhook_endpoints/${id}`],
      ["POST", (id) => `/v1/webhook_endpoints/${id}/rotate_secret`],
      ["GET", (id) => `/v1/webhook_endpoints/${id}/deliveries`],
      ["POST", (id) => `/v1/webhook_endpoints/${id}/deliveries/${UNKNOWN_EVENT}/redeliver`],
    ];
    for (const [method, path] of routes) {
      let foreignAnswer: TenantAnswer | undefined;
      let unknownAnswer: TenantAnswer | undefined;
      const foreignReads = await storeCallsOf(async () => {
        foreignAnswer = await call(method, path(foreign.id), { apiKey: mine.tenant.apiKey });
      });
      const unknownReads = await storeCallsOf(async () => {
        unknownAnswer = await call(method, path(UNKNOWN_ENDPOINT), { apiKey: mine.tenant.apiKey });
      });
      const label = `${method} ${path("{id}")}`;
      expectGraphError(foreignAnswer as TenantAnswer, 400, 33);
      expect(foreignAnswer?.status, label).toBe(unknownAnswer?.status);
      expect(errorWithoutTrace(foreignAnswer?.json), label).toEqual({
        ...errorWithoutTrace(unknownAnswer?.json),
        message: String(errorWithoutTrace(unknownAnswer?.json).message).replace(UNKNOWN_ENDPOINT, foreign.id),
      });
      expect(foreignReads, label).toEqual(unknownReads);
      expect(
        foreignReads.map((c) => c.command),
        label,
      ).not.toContain("UpdateItemCommand");
    }

    // Their event through my own endpoint: like an unknown event.
    const viaMine = (eventId: string) =>
      call("POST", `/v1/webhook_endpoints/${own.id}/deliveries/${eventId}/redeliver`, {
        apiKey: mine.tenant.apiKey,
      });
    const theirEventAnswer = await viaMine(theirEventId);
    const unknownEventAnswer = await viaMine(UNKNOWN_EVENT);
    expectGraphError(theirEventAnswer, 400, 33);
    expect(errorWithoutTrace(theirEventAnswer.json)).toEqual({
      ...errorWithoutTrace(unknownEventAnswer.json),
      message: String(errorWithoutTrace(unknownEventAnswer.json).message).replace(
        UNKNOWN_EVENT,
        theirEventId,
      ),
    });

    // Their endpoint is still there, with the secret it had.
    const still = await call("GET", `/v1/webhook_endpoints/${foreign.id}`, { apiKey: theirs.tenant.apiKey });
    expect(still.status).toBe(200);
    expect(still.json.secret_rotated_time).toBeUndefined();
  });
});

describe("DELETE /v1/webhook_endpoints/{id}", { timeout: 90_000 }, () => {
  it("removes the endpoint: it gets nothing more, and answers as unknown from then on", async () => {
    const s = await subject();
    const receiver = await startTenantEndpoint();
    const endpoint = await createEndpoint(s.tenant, receiver.url);
    await s.change();
    await receiver.waitFor((r) => r.length === 1);
    const removed = await call("DELETE", `/v1/webhook_endpoints/${endpoint.id}`, { apiKey: s.tenant.apiKey });
    expect(removed.status).toBe(200);
    expect(removed.json).toEqual({ success: true });
    expectGraphError(
      await call("GET", `/v1/webhook_endpoints/${endpoint.id}`, { apiKey: s.tenant.apiKey }),
      400,
      33,
    );
    expectGraphError(
      await call("DELETE", `/v1/webhook_endpoints/${endpoint.id}`, { apiKey: s.tenant.apiKey }),
      400,
      33,
    );
    expect((await call("GET", "/v1/webhook_endpoints", { apiKey: s.tenant.apiKey })).json.data).toEqual([]);
    await s.change();
    await expect
      .poll(
        async () => (await call("GET", "/v1/username_changes", { apiKey: s.tenant.apiKey })).json.data.length,
      )
      .toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(receiver.received()).toHaveLength(1);
    await receiver.close();
  });
});

describe("POST /v1/webhook_endpoints/{id}/rotate_secret", { timeout: 90_000 }, () => {
  it("answers the new secret once; it signs every delivery from then on, and the old one verifies only until previous_secret_expires_time", async () => {
    const s = await subject();
    const receiver = await startTenantEndpoint();
    const endpoint = await createEndpoint(s.tenant, receiver.url);
    await s.change();
    const [before] = await receiver.waitFor((r) => r.length === 1);
    expect(verifiedEvent(endpoint.secret, before as ReceivedWebhook)).toBeTruthy();

    const rotated = await call("POST", `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`, {
      apiKey: s.tenant.apiKey,
    });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.json).toEqual({
      id: endpoint.id,
      url: endpoint.url,
      created_time: endpoint.created_time,
      secret_rotated_time: expect.stringMatching(ISO_TIME),
      event_types: ["username.updated"],
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      previous_secret_expires_time: expect.stringMatching(ISO_TIME),
    });
    const newSecret = rotated.json.secret as string;
    expect(newSecret).not.toBe(endpoint.secret);
    // No overlap_seconds: the previous secret keeps signing for 24 hours.
    const overlapEnd = Date.parse(rotated.json.previous_secret_expires_time);
    expect(overlapEnd - Date.parse(rotated.json.secret_rotated_time)).toBeGreaterThan(24 * 3600_000 - 5_000);
    expect(overlapEnd - Date.parse(rotated.json.secret_rotated_time)).toBeLessThan(24 * 3600_000 + 5_000);

    const one = await call("GET", `/v1/webhook_endpoints/${endpoint.id}`, { apiKey: s.tenant.apiKey });
    expect(one.json).toEqual({
      id: endpoint.id,
      url: endpoint.url,
      created_time: endpoint.created_time,
      secret_rotated_time: rotated.json.secret_rotated_time,
      // The overlap lasts: the endpoint says until when the old secret verifies.
      previous_secret_expires_time: rotated.json.previous_secret_expires_time,
      event_types: ["username.updated"],
    });
    expect(one.text).not.toContain(newSecret.slice("whsec_".length));

    await s.change();
    const [, after] = await receiver.waitFor((r) => r.length === 2);
    const request = after as ReceivedWebhook;
    expect(verifiedEvent(newSecret, request)).toMatchObject({ type: "username.updated" });
    // The old secret, as the rotation stated: it still verifies while the overlap lasts.
    expect(request.at).toBeLessThan(overlapEnd);
    expect(verifiedEvent(endpoint.secret, request)).toMatchObject({ type: "username.updated" });
    await receiver.close();
  });

  it("takes overlap_seconds: 0 stops the previous secret at once, 3600 keeps it an hour", async () => {
    const s = await subject();
    const receiver = await startTenantEndpoint();
    const endpoint = await createEndpoint(s.tenant, receiver.url);
    const hour = await call("POST", `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`, {
      apiKey: s.tenant.apiKey,
      body: { overlap_seconds: 3600 },
    });
    expect(hour.status, hour.text).toBe(200);
    expect(
      Date.parse(hour.json.previous_secret_expires_time) - Date.parse(hour.json.secret_rotated_time),
    ).toBe(3600_000);
    // While the overlap lasts, the endpoint itself says until when the old secret verifies.
    const during = await call("GET", `/v1/webhook_endpoints/${endpoint.id}`, { apiKey: s.tenant.apiKey });
    expect(during.json.previous_secret_expires_time).toBe(hour.json.previous_secret_expires_time);
    const listed = await call("GET", "/v1/webhook_endpoints", { apiKey: s.tenant.apiKey });
    expect(listed.json.data[0].previous_secret_expires_time).toBe(hour.json.previous_secret_expires_time);
    // A leaked secret: the form's digits, as Graph clients send parameters.
    const now = await call("POST", `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`, {
      apiKey: s.tenant.apiKey,
      body: "overlap_seconds=0",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(now.status, now.text).toBe(200);
    expect(now.json.previous_secret_expires_time).toBe(now.json.secret_rotated_time);
    const after = await call("GET", `/v1/webhook_endpoints/${endpoint.id}`, { apiKey: s.tenant.apiKey });
    expect(after.json).not.toHaveProperty("previous_secret_expires_time");
    await s.change();
    const [delivered] = await receiver.waitFor((r) => r.length === 1);
    expect(verifiedEvent(now.json.secret, delivered as ReceivedWebhook)).toBeTruthy();
    expect(() => verifiedEvent(hour.json.secret, delivered as ReceivedWebhook)).toThrow(
      WebhookVerificationError,
    );
    await receiver.close();
  });

  it.each([["-1"], ["604801"], ["1.5"], ["an hour"], [""]])(
    "refuses overlap_seconds %j with 400 code 100 naming the field, and rotates nothing",
    async (value) => {
      const s = await subject();
      const endpoint = await createEndpoint(s.tenant, "http://127.0.0.1:9/elsewhere");
      const refused = await call("POST", `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`, {
        apiKey: s.tenant.apiKey,
        body: { overlap_seconds: /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value },
      });
      expectGraphError(refused, 400, 100);
      expect(refused.json.error.message).toContain("overlap_seconds");
      const one = await call("GET", `/v1/webhook_endpoints/${endpoint.id}`, { apiKey: s.tenant.apiKey });
      expect(one.json.secret_rotated_time).toBeUndefined();
    },
  );
});

describe("POST /v1/webhook_endpoints/{id}", { timeout: 90_000 }, () => {
  it("moves an endpoint to a new URL: the next delivery goes there, signed with the same secret", async () => {
    const s = await subject();
    const before = await startTenantEndpoint();
    const moved = await startTenantEndpoint();
    const endpoint = await createEndpoint(s.tenant, before.url);
    const answer = await call("POST", `/v1/webhook_endpoints/${endpoint.id}`, {
      apiKey: s.tenant.apiKey,
      body: { url: moved.url },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toMatchObject({ id: endpoint.id, url: moved.url });
    expect(answer.json).not.toHaveProperty("secret");
    await s.change();
    const [delivered] = await moved.waitFor((r) => r.length === 1);
    expect(verifiedEvent(endpoint.secret, delivered as ReceivedWebhook)).toBeTruthy();
    expect(before.received()).toHaveLength(0);
    await Promise.all([before.close(), moved.close()]);
  });

  it.each([
    ["http://example.com/hooks", "https"],
    ["https://user:pw@example.com/hooks", "user name or password"],
    ["https://10.0.0.1/hooks", "private"],
    ["not a url", "absolute URL"],
  ])("refuses the URL %j as a new endpoint's (400 code 100), changing nothing", async (url, rule) => {
    const s = await subject();
    const endpoint = await createEndpoint(s.tenant, "https://example.com/kept");
    const refused = await call("POST", `/v1/webhook_endpoints/${endpoint.id}`, {
      apiKey: s.tenant.apiKey,
      body: { url, description: "changed too?" },
    });
    expectGraphError(refused, 400, 100);
    expect(refused.json.error.message.toLowerCase()).toContain(rule.toLowerCase());
    const one = await call("GET", `/v1/webhook_endpoints/${endpoint.id}`, { apiKey: s.tenant.apiKey });
    expect(one.json).toMatchObject({ url: "https://example.com/kept" });
    expect(one.json).not.toHaveProperty("description");
  });
});

describe("GET /v1/webhook_endpoints/{id}/deliveries", { timeout: 90_000 }, () => {
  it("lists the endpoint's deliveries newest first with status, attempts and last outcome, paged both ways", async () => {
    const s = await subject();
    const receiver = await startTenantEndpoint();
    receiver.answerWith((n) => ({ status: n === 0 ? 500 : 204, body: n === 0 ? "busy" : "" }));
    const endpoint = await createEndpoint(s.tenant, receiver.url);
    const other = await createEndpoint(s.tenant, "http://127.0.0.1:9/elsewhere");
    for (let i = 0; i < 3; i++) await s.change();
    const feed = async () =>
      (await call("GET", "/v1/username_changes", { apiKey: s.tenant.apiKey })).json.data.map(
        (e: { id: string }) => e.id,
      ) as string[];
    await expect.poll(async () => (await feed()).length).toBe(3);
    const events = (await feed()).reverse();
    const path = `/v1/webhook_endpoints/${endpoint.id}/deliveries`;
    await expect
      .poll(async () =>
        (await call("GET", path, { apiKey: s.tenant.apiKey })).json.data.map(
          (d: { status: string }) => d.status,
        ),
      )
      .toEqual(["delivered", "delivered", "delivered"]);

    const all = await call("GET", path, { apiKey: s.tenant.apiKey });
    expect(all.json.data.map((d: { event_id: string }) => d.event_id)).toEqual(events);
    const retried = all.json.data.find((d: { attempts: number }) => d.attempts === 2);
    expect(retried).toEqual({
      event_id: expect.stringMatching(/^evt_/),
      event_type: "username.updated",
      event_created_time: expect.stringMatching(ISO_TIME),
      // Which change it is: the number and the username it got (s.change claims one).
      phone_number_id: s.phone.phoneNumberId,
      display_phone_number: expect.any(String),
      username: expect.stringMatching(/^self_service_\d+$/),
      username_status: expect.any(String),
      // Who made it: the claim went through this service.
      origin: "this_service",
      status: "delivered",
      attempts: 2,
      last_attempt_time: expect.stringMatching(ISO_TIME),
      last_response_status: 204,
      delivered_time: expect.stringMatching(ISO_TIME),
    });
    for (const delivery of all.json.data) expect(delivery.attempts).toBeGreaterThanOrEqual(1);

    const first = await call("GET", `${path}?limit=2`, { apiKey: s.tenant.apiKey });
    expect(first.json.data.map((d: { event_id: string }) => d.event_id)).toEqual(events.slice(0, 2));
    expect(first.json.paging.previous).toBeUndefined();
    const second = await call("GET", first.json.paging.next, { apiKey: s.tenant.apiKey });
    expect(second.json.data.map((d: { event_id: string }) => d.event_id)).toEqual(events.slice(2));
    expect(second.json.paging.next).toBeUndefined();
    const back = await call("GET", second.json.paging.previous, { apiKey: s.tenant.apiKey });
    expect(back.json.data.map((d: { event_id: string }) => d.event_id)).toEqual(events.slice(0, 2));

    // A cursor of another endpoint's log is not one of this listing.
    const theirs = await call("GET", `/v1/webhook_endpoints/${other.id}/deliveries?limit=1`, {
      apiKey: s.tenant.apiKey,
    });
    expectGraphError(
      await call("GET", `${path}?after=${theirs.json.paging.cursors.after}`, { apiKey: s.tenant.apiKey }),
      400,
      100,
    );
    await receiver.close();
  });
});

describe("POST /v1/webhook_endpoints/{id}/deliveries/{event_id}/redeliver", { timeout: 90_000 }, () => {
  it("sends a failed event again with the same webhook-id, to this endpoint only, and logs a new round", async () => {
    const s = await subject();
    const receiver = await startTenantEndpoint();
    const bystander = await startTenantEndpoint();
    let healthy = false;
    receiver.answerWith(() => ({ status: healthy ? 204 : 502 }));
    const endpoint = await createEndpoint(s.tenant, receiver.url);
    await createEndpoint(s.tenant, bystander.url);
    await s.change();
    const failedAttempts = await receiver.waitFor((r) => r.length === ATTEMPTS);
    const eventId = failedAttempts[0]?.headers["webhook-id"] as string;
    const path = `/v1/webhook_endpoints/${endpoint.id}/deliveries`;
    await expect
      .poll(async () => (await call("GET", path, { apiKey: s.tenant.apiKey })).json.data[0])
      .toMatchObject({ event_id: eventId, status: "failed", attempts: ATTEMPTS, last_response_status: 502 });
    await bystander.waitFor((r) => r.length === 1);

    healthy = true;
    const redelivered = await call("POST", `${path}/${eventId}/redeliver`, { apiKey: s.tenant.apiKey });
    expect(redelivered.status, redelivered.text).toBe(200);
    expect(redelivered.json).toEqual({ success: true });
    const requests = await receiver.waitFor((r) => r.length === ATTEMPTS + 1);
    const last = requests.at(-1) as ReceivedWebhook;
    expect(last.headers["webhook-id"]).toBe(eventId);
    expect(last.body).toBe(failedAttempts[0]?.body);
    verifiedEvent(endpoint.secret, last);
    await expect
      .poll(async () => (await call("GET", path, { apiKey: s.tenant.apiKey })).json.data[0])
      .toMatchObject({ event_id: eventId, status: "delivered", attempts: 1 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(bystander.received()).toHaveLength(1);
    await Promise.all([receiver.close(), bystander.close()]);
  });

  it("answers an event no feed of the tenant holds like an unknown object, and a malformed id with code 100", async () => {
    const tenant = await seedTenant();
    const endpoint = await createEndpoint(tenant, "https://example.com/hooks");
    const unknown = await call(
      "POST",
      `/v1/webhook_endpoints/${endpoint.id}/deliveries/${UNKNOWN_EVENT}/redeliver`,
      {
        apiKey: tenant.apiKey,
      },
    );
    expectGraphError(unknown, 400, 33);
    expect(unknown.json.error.message).toContain(UNKNOWN_EVENT);
    const malformed = await call("POST", `/v1/webhook_endpoints/${endpoint.id}/deliveries/evt_x/redeliver`, {
      apiKey: tenant.apiKey,
    });
    expectGraphError(malformed, 400, 100);
  });
});

describe("order of checks", { timeout: 60_000 }, () => {
  it("path, then the API key, then the body's size, then its content: each refused before the next is read", async () => {
    const tenant = await seedTenant();
    const bad = `wau_${"C".repeat(32)}`;
    const huge = JSON.stringify({ url: `https://example.com/${"a".repeat(17 * 1024)}` });
    const cases: [string, string, string | undefined, unknown, number, number][] = [
      ["GET", "/v1/webhook_endpoints/not-an-id", bad, undefined, 400, 100],
      ["DELETE", "/v1/webhook_endpoints/ep_XYZ", bad, undefined, 400, 100],
      ["POST", "/v1/webhook_endpoints", bad, huge, 401, 190],
      ["POST", "/v1/webhook_endpoints", undefined, { url: 5 }, 401, 190],
      ["POST", "/v1/webhook_endpoints", tenant.apiKey, huge, 413, 100],
      ["POST", "/v1/webhook_endpoints", tenant.apiKey, { url: 5 }, 400, 100],
      ["POST", `/v1/webhook_endpoints/${UNKNOWN_ENDPOINT}/rotate_secret`, tenant.apiKey, huge, 413, 100],
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
    expect((await call("GET", "/v1/webhook_endpoints", { apiKey: tenant.apiKey })).json.data).toEqual([]);
  });
});
