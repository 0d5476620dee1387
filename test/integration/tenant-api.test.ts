/**
 * The tenant read API (`/v1`) over real HTTP through the local gateway: every route, paging both
 * ways (the `next`/`previous` URLs followed as a client would), bad paging input, isolation
 * between tenants (a foreign number answers exactly like an unknown one), and what a page costs:
 * never a call to Meta, at most one DynamoDB Query.
 */
import { describe, expect, it } from "vitest";
import { setNumberWhatsAppAccountId } from "../../functions/core/admin/numbers.ts";
import { encodeCursor } from "../../functions/core/tenant-api/paging.ts";
import { useEventPipeline } from "../support/event-pipeline.ts";
import { recordStoreCalls } from "../support/store-calls.ts";
import { callUsernameApi } from "../support/username-client.ts";
import { configureWebhookSecrets, postEvents, webhookEvent } from "../support/webhook-client.ts";
import {
  type SeededPhone,
  type SeededTenant,
  seedPhone,
  seedTenant,
  uniqueDigits,
  useWorld,
} from "../support/world.ts";

configureWebhookSecrets();
const world = useWorld({ stream: true });
const pipeline = useEventPipeline(world);

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON answers, checked field by field.
type Json = any;

async function fetchJson(url: string, apiKey: string): Promise<{ status: number; json: Json }> {
  const response = await fetch(url, { headers: { "x-api-key": apiKey } });
  return { status: response.status, json: await response.json() };
}

/** Every item of a listing, following `next` URLs from the first page. */
async function allForward(path: string, apiKey: string, limit: number): Promise<Json[][]> {
  const pages: Json[][] = [];
  let url: string | undefined = `${pipeline.gateway.url}${path}?limit=${limit}`;
  while (url) {
    const page = await fetchJson(url, apiKey);
    expect(page.status).toBe(200);
    pages.push(page.json.data);
    url = page.json.paging.next;
  }
  return pages;
}

/** From the last page back, following `previous` URLs. */
async function allBackward(lastPageUrl: string, apiKey: string): Promise<Json[][]> {
  const pages: Json[][] = [];
  let url: string | undefined = lastPageUrl;
  while (url) {
    const page = await fetchJson(url, apiKey);
    expect(page.status).toBe(200);
    pages.unshift(page.json.data);
    url = page.json.paging.previous;
  }
  return pages;
}

async function tenantWithPhones(count: number): Promise<{ tenant: SeededTenant; phones: SeededPhone[] }> {
  const tenant = await seedTenant();
  const phones: SeededPhone[] = [];
  for (let i = 0; i < count; i++) phones.push(await seedPhone(world, tenant));
  return { tenant, phones };
}

async function claim(tenant: SeededTenant, phone: SeededPhone, username: string) {
  const answer = await callUsernameApi("claim", phone.phoneNumberId, {
    apiKey: tenant.apiKey,
    body: { username },
  });
  expect(answer.status).toBe(200);
}

/** The error of an answer without its request id, which differs between any two requests. */
function errorOf(json: Json) {
  const { fbtrace_id: _, ...error } = json.error;
  return error;
}

describe("GET /v1/phone_numbers", { timeout: 60_000 }, () => {
  it("lists the tenant's numbers by id, paged forwards and backwards with Graph's envelope", async () => {
    const { tenant, phones } = await tenantWithPhones(7);
    await claim(tenant, phones[0] as SeededPhone, "first_of_seven");
    const ids = phones.map((p) => p.phoneNumberId).sort();

    const forward = await allForward("/v1/phone_numbers", tenant.apiKey, 3);
    expect(forward.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(forward.flat().map((p) => p.id)).toEqual(ids);

    const first = await fetchJson(`${pipeline.gateway.url}/v1/phone_numbers?limit=3`, tenant.apiKey);
    expect(first.json.paging.previous).toBeUndefined();
    const last = await fetchJson(
      `${pipeline.gateway.url}/v1/phone_numbers?limit=3&after=${
        (await fetchJson(first.json.paging.next, tenant.apiKey)).json.paging.cursors.after
      }`,
      tenant.apiKey,
    );
    expect(last.json.paging.next).toBeUndefined();
    const backward = await allBackward(last.json.paging.previous, tenant.apiKey);
    expect(backward.flat().map((p) => p.id)).toEqual(ids.slice(0, 6));
    expect(backward.map((page) => page.length)).toEqual([3, 3]);

    const claimed = forward.flat().find((p) => p.id === phones[0]?.phoneNumberId);
    expect(claimed).toEqual({
      id: phones[0]?.phoneNumberId,
      display_phone_number: phones[0]?.displayPhoneNumber,
      waba_id: phones[0]?.wabaId,
      business_id: phones[0]?.businessId,
      username: "first_of_seven",
      username_status: "reserved",
      username_updated_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      username_source: "api",
    });
    const untouched = forward.flat().find((p) => p.id === phones[1]?.phoneNumberId);
    expect(Object.keys(untouched).sort()).toEqual(["business_id", "display_phone_number", "id", "waba_id"]);
  });

  it("defaults to 25 per page, accepts up to 100, and shows only the caller's numbers", async () => {
    const { tenant, phones } = await tenantWithPhones(27);
    const other = await tenantWithPhones(2);
    const page = await pipeline.get("/v1/phone_numbers", tenant.apiKey);
    expect(page.json.data).toHaveLength(25);
    expect(page.json.paging.next).toMatch(/limit=25&after=/);
    const everything = await pipeline.get("/v1/phone_numbers?limit=100", tenant.apiKey);
    expect(everything.json.data.map((p: Json) => p.id).sort()).toEqual(
      phones.map((p) => p.phoneNumberId).sort(),
    );
    expect(everything.json.paging.next).toBeUndefined();
    const theirs = await pipeline.get("/v1/phone_numbers", other.tenant.apiKey);
    expect(theirs.json.data.map((p: Json) => p.id).sort()).toEqual(
      other.phones.map((p) => p.phoneNumberId).sort(),
    );
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=ten", "limit"],
    ["limit=-1", "limit"],
    ["after=x&before=y", "either after or before"],
    ["after=not-a-cursor!", "after"],
    [
      `after=${Buffer.from("username_changes:3").toString("base64url")}`,
      "after is not a cursor of this listing",
    ],
    [
      `before=${Buffer.from("phone_numbers:12ab").toString("base64url")}`,
      "before is not a cursor of this listing",
    ],
  ])("refuses %s with 400 code 100", async (query, mentions) => {
    const { tenant } = await tenantWithPhones(1);
    const answer = await pipeline.get(`/v1/phone_numbers?${query}`, tenant.apiKey);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatchObject({ code: 100, type: "OAuthException" });
    expect(answer.json.error.message).toContain(mentions);
  });

  it("refuses a missing or unknown API key with 401 code 190", async () => {
    const response = await fetch(`${pipeline.gateway.url}/v1/phone_numbers`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as Json).error.code).toBe(190);
    const unknown = await pipeline.get("/v1/username_changes", `wau_${"A".repeat(32)}`);
    expect(unknown.status).toBe(401);
  });
});

describe("GET /v1/phone_numbers/{phone_number_id}", { timeout: 60_000 }, () => {
  it("answers the caller's number with its current state, read from the store alone", async () => {
    const { tenant, phones } = await tenantWithPhones(1);
    const phone = phones[0] as SeededPhone;
    await claim(tenant, phone, "state_of_one");
    await postEvents([webhookEvent(phone, 1_900_000_000, "approved", "state_of_one")]);
    world.sandbox.clearRequests();
    const answer = await pipeline.get(`/v1/phone_numbers/${phone.phoneNumberId}`, tenant.apiKey);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      id: phone.phoneNumberId,
      username: "state_of_one",
      username_status: "approved",
      username_source: "webhook",
    });
    expect(world.sandbox.requests()).toEqual([]);
  });

  it("answers another tenant's number exactly as an unknown one", async () => {
    const mine = await tenantWithPhones(1);
    const theirs = await tenantWithPhones(1);
    const foreignId = theirs.phones[0]?.phoneNumberId as string;
    const unknownId = uniqueDigits(15);
    for (const path of ["", "/username_history"]) {
      const foreign = await pipeline.get(`/v1/phone_numbers/${foreignId}${path}`, mine.tenant.apiKey);
      const unknown = await pipeline.get(`/v1/phone_numbers/${unknownId}${path}`, mine.tenant.apiKey);
      expect(foreign.status).toBe(400);
      expect(unknown.status).toBe(400);
      expect(errorOf(foreign.json)).toEqual({
        ...errorOf(unknown.json),
        message: errorOf(unknown.json).message.replace(unknownId, foreignId),
      });
      expect(foreign.json.error.code).toBe(33);
    }
  });

  it("answers for a number named by its WhatsApp Account id; another tenant's id or alias like an unknown one, after the same reads", async () => {
    const mine = await tenantWithPhones(1);
    const theirs = await tenantWithPhones(1);
    const phone = mine.phones[0] as SeededPhone;
    const [myAlias, theirAlias, unknownId] = [uniqueDigits(15), uniqueDigits(15), uniqueDigits(15)];
    expect(await setNumberWhatsAppAccountId(phone.phoneNumberId, myAlias)).toBe(true);
    expect(await setNumberWhatsAppAccountId(theirs.phones[0]?.phoneNumberId as string, theirAlias)).toBe(
      true,
    );
    await claim(mine.tenant, phone, "alias_in_v1");

    const byId = await pipeline.get(`/v1/phone_numbers/${phone.phoneNumberId}`, mine.tenant.apiKey);
    const byAlias = await pipeline.get(`/v1/phone_numbers/${myAlias}`, mine.tenant.apiKey);
    expect(byAlias).toMatchObject({ status: 200, json: byId.json });
    await expect
      .poll(
        async () =>
          (await pipeline.get(`/v1/phone_numbers/${myAlias}/username_history`, mine.tenant.apiKey)).json.data,
      )
      .toEqual(
        (await pipeline.get(`/v1/phone_numbers/${phone.phoneNumberId}/username_history`, mine.tenant.apiKey))
          .json.data,
      );
    expect(
      (await pipeline.get(`/v1/phone_numbers/${myAlias}/username_history`, mine.tenant.apiKey)).json.data,
    ).toHaveLength(1);

    // Another tenant's number, another tenant's alias, an id that is nothing: one answer, one cost.
    const foreignId = theirs.phones[0]?.phoneNumberId as string;
    for (const path of ["", "/username_history"]) {
      const costs: string[][] = [];
      const errors: Json[] = [];
      for (const id of [foreignId, theirAlias, unknownId]) {
        const { calls, restore } = recordStoreCalls();
        try {
          const answer = await pipeline.get(`/v1/phone_numbers/${id}${path}`, mine.tenant.apiKey);
          expect(answer.status, `${id}${path}`).toBe(400);
          const { message, ...rest } = errorOf(answer.json);
          expect(message).toContain(id);
          errors.push(rest);
        } finally {
          restore();
        }
        costs.push(calls.filter((c) => c.indexName !== "byDueTime").map((c) => c.command));
      }
      expect(errors[1], path).toEqual(errors[0]);
      expect(errors[2], path).toEqual(errors[0]);
      expect(costs[1], path).toEqual(costs[0]);
      expect(costs[2], path).toEqual(costs[0]);
    }
  });

  it("refuses a malformed id with 400 code 100 before reading anything", async () => {
    const { tenant } = await tenantWithPhones(1);
    const answer = await pipeline.get("/v1/phone_numbers/12ab", tenant.apiKey);
    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe(100);
  });
});

describe("GET /v1/phone_numbers/{phone_number_id}/username_history", { timeout: 60_000 }, () => {
  it("pages the number's changes newest first, both ways, as the same events the feed carries", async () => {
    const { tenant, phones } = await tenantWithPhones(1);
    const phone = phones[0] as SeededPhone;
    for (let i = 1; i <= 5; i++) await claim(tenant, phone, `history_name_${i}`);
    const path = `/v1/phone_numbers/${phone.phoneNumberId}/username_history`;
    const forward = await allForward(path, tenant.apiKey, 2);
    expect(forward.map((page) => page.length)).toEqual([2, 2, 1]);
    const events = forward.flat();
    expect(events.map((e) => e.data.username)).toEqual([5, 4, 3, 2, 1].map((i) => `history_name_${i}`));
    expect(events.map((e) => e.data.previous.username)).toEqual([
      ...[4, 3, 2, 1].map((i) => `history_name_${i}`),
      undefined,
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(5);

    const oldest = await fetchJson(
      `${pipeline.gateway.url}${path}?limit=2&after=${
        (
          await fetchJson(
            `${pipeline.gateway.url}${path}?limit=2&after=${
              (
                await pipeline.get(`${path}?limit=2`, tenant.apiKey)
              ).json.paging.cursors.after
            }`,
            tenant.apiKey,
          )
        ).json.paging.cursors.after
      }`,
      tenant.apiKey,
    );
    expect(oldest.json.paging.next).toBeUndefined();
    const backward = await allBackward(oldest.json.paging.previous, tenant.apiKey);
    expect(backward.flat().map((e) => e.id)).toEqual(events.slice(0, 4).map((e) => e.id));

    // The feed holds the same objects, oldest first.
    await expect
      .poll(
        async () => (await pipeline.get("/v1/username_changes?limit=100", tenant.apiKey)).json.data.length,
      )
      .toBe(5);
    const feed = await pipeline.get("/v1/username_changes?limit=100", tenant.apiKey);
    expect(feed.json.data).toEqual([...events].reverse());
  });

  it("answers an empty page for a number without changes", async () => {
    const { tenant, phones } = await tenantWithPhones(1);
    const answer = await pipeline.get(
      `/v1/phone_numbers/${phones[0]?.phoneNumberId}/username_history`,
      tenant.apiKey,
    );
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ data: [], paging: { cursors: {} } });
  });
});

describe("GET /v1/username_changes", { timeout: 60_000 }, () => {
  it("resumes from a stored cursor: an empty page keeps the position, the next call gets exactly what came since", async () => {
    const { tenant, phones } = await tenantWithPhones(2);
    const empty = await pipeline.get("/v1/username_changes", tenant.apiKey);
    expect(empty.json.data).toEqual([]);
    let cursor: string = empty.json.paging.cursors.after;
    expect(cursor).toEqual(expect.any(String));

    await claim(tenant, phones[0] as SeededPhone, "feed_one");
    await claim(tenant, phones[1] as SeededPhone, "feed_two");
    await expect
      .poll(
        async () =>
          (await pipeline.get(`/v1/username_changes?after=${cursor}`, tenant.apiKey)).json.data.length,
      )
      .toBe(2);
    const page = await pipeline.get(`/v1/username_changes?after=${cursor}`, tenant.apiKey);
    expect(page.json.data.map((e: Json) => e.data.username)).toEqual(["feed_one", "feed_two"]);
    cursor = page.json.paging.cursors.after;
    const again = await pipeline.get(`/v1/username_changes?after=${cursor}`, tenant.apiKey);
    expect(again.json.data).toEqual([]);
    expect(again.json.paging.cursors.after).toBe(cursor);

    await claim(tenant, phones[0] as SeededPhone, "feed_three");
    await expect
      .poll(
        async () =>
          (await pipeline.get(`/v1/username_changes?after=${cursor}`, tenant.apiKey)).json.data.length,
      )
      .toBe(1);
    // Backwards from the end: the page before holds the two earlier changes.
    const latest = await pipeline.get(`/v1/username_changes?after=${cursor}`, tenant.apiKey);
    const previous = await fetchJson(latest.json.paging.previous, tenant.apiKey);
    expect(previous.json.data.map((e: Json) => e.data.username)).toEqual(["feed_one", "feed_two"]);
    expect(previous.json.paging.previous).toBeUndefined();
  });

  it("shows a tenant only its own changes", async () => {
    const a = await tenantWithPhones(1);
    const b = await tenantWithPhones(1);
    await claim(a.tenant, a.phones[0] as SeededPhone, "only_for_a");
    await claim(b.tenant, b.phones[0] as SeededPhone, "only_for_b");
    await expect
      .poll(async () => (await pipeline.get("/v1/username_changes", b.tenant.apiKey)).json.data.length)
      .toBe(1);
    const feedA = await pipeline.get("/v1/username_changes", a.tenant.apiKey);
    const feedB = await pipeline.get("/v1/username_changes", b.tenant.apiKey);
    expect(feedA.json.data.map((e: Json) => e.data.username)).toEqual(["only_for_a"]);
    expect(feedB.json.data.map((e: Json) => e.data.username)).toEqual(["only_for_b"]);
  });
});

describe("cursors", { timeout: 60_000 }, () => {
  /** The 400 a refused cursor gets, with the one wording of every cursor error. */
  async function expectNotACursor(path: string, apiKey: string, name: "after" | "before") {
    const answer = await pipeline.get(path, apiKey);
    expect(answer.status, path).toBe(400);
    expect(answer.json.error).toMatchObject({
      code: 100,
      type: "OAuthException",
      message: expect.stringContaining(`${name} is not a cursor of this listing`),
    });
    expect(answer.json.data).toBeUndefined();
  }

  it("refuses a feed position past the tenant's head, so a client never stores a cursor that skips what comes", async () => {
    const { tenant, phones } = await tenantWithPhones(1);
    await claim(tenant, phones[0] as SeededPhone, "head_one");
    await claim(tenant, phones[0] as SeededPhone, "head_two");
    const of = { listing: "username_changes" as const, scope: tenant.tenantId };
    await expect
      .poll(async () => (await pipeline.get("/v1/username_changes", tenant.apiKey)).json.data.length)
      .toBe(2);
    for (const position of [3, 999]) {
      await expectNotACursor(
        `/v1/username_changes?after=${encodeCursor(of, position)}`,
        tenant.apiKey,
        "after",
      );
      await expectNotACursor(
        `/v1/username_changes?before=${encodeCursor(of, position)}`,
        tenant.apiKey,
        "before",
      );
    }
    // The head itself is a position the feed holds: an empty page that resumes from it.
    const atHead = await pipeline.get(`/v1/username_changes?after=${encodeCursor(of, 2)}`, tenant.apiKey);
    expect(atHead.status).toBe(200);
    expect(atHead.json).toEqual({ data: [], paging: { cursors: { after: encodeCursor(of, 2) } } });
  });

  it("ties each cursor to its listing and scope: another tenant's feed or numbers, another number's history are refused", async () => {
    const mine = await tenantWithPhones(3);
    const theirs = await tenantWithPhones(3);
    for (const { tenant, phones } of [mine, theirs]) {
      await claim(tenant, phones[0] as SeededPhone, `scope_a_${tenant.tenantId.slice(-6)}`);
      await claim(tenant, phones[0] as SeededPhone, `scope_b_${tenant.tenantId.slice(-6)}`);
      await claim(tenant, phones[1] as SeededPhone, `scope_c_${tenant.tenantId.slice(-6)}`);
    }
    await expect
      .poll(async () => (await pipeline.get("/v1/username_changes", theirs.tenant.apiKey)).json.data.length)
      .toBe(3);
    const feed = await pipeline.get("/v1/username_changes?limit=1", theirs.tenant.apiKey);
    await expectNotACursor(
      `/v1/username_changes?after=${feed.json.paging.cursors.after}`,
      mine.tenant.apiKey,
      "after",
    );
    const numbers = await pipeline.get("/v1/phone_numbers?limit=1", theirs.tenant.apiKey);
    await expectNotACursor(
      `/v1/phone_numbers?after=${numbers.json.paging.cursors.after}`,
      mine.tenant.apiKey,
      "after",
    );
    const [a, b] = mine.phones as [SeededPhone, SeededPhone];
    const history = await pipeline.get(
      `/v1/phone_numbers/${a.phoneNumberId}/username_history?limit=1`,
      mine.tenant.apiKey,
    );
    expect(history.json.data).toHaveLength(1);
    await expectNotACursor(
      `/v1/phone_numbers/${b.phoneNumberId}/username_history?after=${history.json.paging.cursors.after}`,
      mine.tenant.apiKey,
      "after",
    );
    await expectNotACursor(
      `/v1/phone_numbers/${b.phoneNumberId}/username_history?before=${history.json.paging.cursors.before}`,
      mine.tenant.apiKey,
      "before",
    );
    // Each cursor still works where it was made.
    const next = await pipeline.get(
      `/v1/phone_numbers/${a.phoneNumberId}/username_history?after=${history.json.paging.cursors.after}`,
      mine.tenant.apiKey,
    );
    expect(next.status).toBe(200);
    expect(next.json.data).toHaveLength(1);
  });

  it("links a previous page only when something comes before it (a made-up cursor before the first number)", async () => {
    const { tenant, phones } = await tenantWithPhones(3);
    const of = { listing: "phone_numbers" as const, scope: tenant.tenantId };
    const ids = phones.map((p) => p.phoneNumberId).sort();
    await expect
      .poll(async () => (await pipeline.get("/v1/phone_numbers", tenant.apiKey)).json.data.length)
      .toBe(3);
    const fromOne = await pipeline.get(
      `/v1/phone_numbers?limit=2&after=${encodeCursor(of, "1")}`,
      tenant.apiKey,
    );
    expect(fromOne.json.data.map((p: Json) => p.id)).toEqual(ids.slice(0, 2));
    expect(fromOne.json.paging.previous).toBeUndefined();
    expect(fromOne.json.paging.next).toBeDefined();
    const beforeOne = await pipeline.get(`/v1/phone_numbers?before=${encodeCursor(of, "1")}`, tenant.apiKey);
    expect(beforeOne.json).toEqual({ data: [], paging: { cursors: {} } });
    // A real cursor still links both ways.
    const second = await pipeline.get(
      `/v1/phone_numbers?limit=1&after=${encodeCursor(of, ids[0] as string)}`,
      tenant.apiKey,
    );
    expect(second.json.data.map((p: Json) => p.id)).toEqual([ids[1]]);
    expect(second.json.paging.previous).toBeDefined();
    expect(second.json.paging.next).toBeDefined();
  });
});

describe("limit", { timeout: 60_000 }, () => {
  it.each([
    ["limit=-1", "limit must be an integer from 1 to 100"],
    ["limit=abc", "limit must be an integer from 1 to 100"],
    ["limit=", "limit must be an integer from 1 to 100"],
    ["limit=1&limit=2", "limit must be given once"],
  ])("refuses %s once, saying why", async (query, reason) => {
    const { tenant } = await tenantWithPhones(1);
    const answer = await pipeline.get(`/v1/phone_numbers?${query}`, tenant.apiKey);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatchObject({ code: 100, message: `(#100) Invalid parameter: ${reason}` });
  });
});

describe("what a page costs", { timeout: 60_000 }, () => {
  it("never calls Meta and makes at most one DynamoDB Query per page (and one counter write)", async () => {
    const { tenant, phones } = await tenantWithPhones(4);
    for (const [i, phone] of phones.entries()) await claim(tenant, phone, `cost_name_${i}`);
    await expect
      .poll(async () => (await pipeline.get("/v1/username_changes", tenant.apiKey)).json.data.length)
      .toBe(4);
    const phone = phones[0] as SeededPhone;
    const paths = [
      "/v1/phone_numbers?limit=2",
      `/v1/phone_numbers?limit=2&after=${(await pipeline.get("/v1/phone_numbers?limit=2", tenant.apiKey)).json.paging.cursors.after}`,
      `/v1/phone_numbers/${phone.phoneNumberId}`,
      `/v1/phone_numbers/${phone.phoneNumberId}/username_history?limit=1`,
      "/v1/username_changes?limit=2",
      `/v1/username_changes?limit=2&after=${(await pipeline.get("/v1/username_changes?limit=2", tenant.apiKey)).json.paging.cursors.after}`,
    ];
    world.sandbox.clearRequests();
    // Every call of the store's client; the retry sweep (running meanwhile) reads its own index.
    const { calls, restore } = recordStoreCalls();
    try {
      for (const path of paths) {
        calls.length = 0;
        const answer = await pipeline.get(path, tenant.apiKey);
        expect(answer.status, path).toBe(200);
        const ours = calls.filter((c) => c.indexName !== "byDueTime");
        expect(ours.filter((c) => c.command === "QueryCommand").length, path).toBeLessThanOrEqual(1);
        // The API key, the tenant's read counter (its fair share), the number's record
        // (ownership), the page: nothing else.
        expect(ours.filter((c) => c.command === "UpdateItemCommand").length, path).toBe(1);
        expect(ours.length, `${path}: ${ours.map((c) => c.command).join(", ")}`).toBeLessThanOrEqual(4);
      }
    } finally {
      restore();
    }
    expect(world.sandbox.requests()).toEqual([]);
  });
});
