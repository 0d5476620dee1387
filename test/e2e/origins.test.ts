/**
 * Who changed it, over HTTP against npm start's stack (the local gateway, DynamoDB Local, the Meta
 * sandbox delivering signed webhooks): each case of docs/reliability.md, "Who changed it", with
 * the sandbox playing Meta and "another partner" (a change nobody asked the service for), read
 * back through `/v1` history as a tenant reads it. And a number under two Meta accounts: a
 * delivery under either updates it, the same change under both is one history item and one
 * event; its WhatsApp Account id in the path answers for the same number.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../dev/local-stack.ts";
import {
  addNumberAccount,
  registerPhone,
  setNumberWhatsAppAccountId,
} from "../../functions/core/admin/numbers.ts";
import { runReconciler } from "../../functions/core/reconcile/reconciler.ts";
import { randomLocalSecrets } from "../support/local-secrets.ts";
import { type ReceivedWebhook, startTenantEndpoint, verifiedEvent } from "../support/tenant-endpoint.ts";
import { uniqueDigits, uniqueUsername } from "../support/world.ts";

let stack: LocalStack;
let apiKey: string;
let keyId: string;
let tenantId: string;
const [FIRST, SECOND] = ["100000000000001", "100000000000002"];

beforeAll(async () => {
  stack = await startLocalStack({
    env: {
      ...randomLocalSecrets(),
      DYNAMODB_ENDPOINT: inject("dynamodbEndpoint"),
      TABLE_NAME: `origins-${Date.now().toString(36)}`,
      PORT: "0",
      META_SANDBOX_PORT: "0",
      RECONCILE_INTERVAL_SECONDS: "0",
    },
    dataDir: await mkdtemp(join(tmpdir(), "wau-origins-data-")),
    print: () => undefined,
    gatewayLog: false,
  });
  if (!stack.seeded) throw new Error("the local stack did not seed the demo tenant");
  apiKey = stack.seeded.apiKey;
  tenantId = stack.seeded.tenantId;
  keyId = stack.seeded.keyId;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { "x-api-key": apiKey, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const claim = (id: string, username: string, transfer?: boolean) =>
  api("POST", `/meta/whatsapp/v24.0/${id}/username`, {
    username,
    ...(transfer ? { transfer_action: "force_transfer" } : {}),
  });

async function sandbox(path: string, body?: unknown) {
  const response = await fetch(`${stack.sandbox?.url}/__sandbox${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  if (response.status >= 300) throw new Error(`sandbox ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

interface Change {
  id: string;
  data: { username?: string; status?: string; source: string; origin: string; requested_by?: string };
}

/** The number's history, newest first, as a tenant reads it. */
async function history(id: string): Promise<Change[]> {
  const page = await api("GET", `/v1/phone_numbers/${id}/username_history?limit=100`);
  expect(page.status).toBe(200);
  return page.json.data as Change[];
}

/** Waits until the number's newest change is `expected` (deliveries and the reconciler run on their own). */
async function newest(id: string, expected: Partial<Change["data"]>): Promise<Change> {
  let last: Change | undefined;
  for (let i = 0; i < 100; i++) {
    last = (await history(id))[0];
    const data = (last?.data ?? {}) as Record<string, unknown>;
    if (last && Object.entries(expected).every(([k, v]) => data[k] === v)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`newest change of ${id} is ${JSON.stringify(last?.data)}, not ${JSON.stringify(expected)}`);
}

describe("who changed it", () => {
  it("our POST and Meta's approval of it are ours; another partner's rename and a revocation are not", async () => {
    const name = uniqueUsername("ours");
    expect((await claim(FIRST, name)).status).toBe(200);
    expect(await newest(FIRST, { username: name, status: "reserved" })).toMatchObject({
      data: { origin: "this_service", requested_by: keyId },
    });
    await sandbox(`/phones/${FIRST}/approve`);
    expect((await newest(FIRST, { username: name, status: "approved" })).data).toMatchObject({
      source: "webhook",
      origin: "this_service",
      requested_by: keyId,
    });

    const theirs = uniqueUsername("theirs");
    await sandbox(`/phones/${FIRST}/change`, { username: theirs, status: "approved" });
    const outside = await newest(FIRST, { username: theirs });
    expect(outside.data).toMatchObject({ source: "webhook", origin: "outside" });
    expect(outside.data.requested_by).toBeUndefined();

    await sandbox(`/phones/${FIRST}/revoke`);
    expect((await newest(FIRST, { status: "deleted" })).data).toMatchObject({ origin: "outside" });
  });

  it("our DELETE is ours; a deletion we did not make is not", async () => {
    const name = uniqueUsername("deleted");
    expect((await claim(SECOND, name)).status).toBe(200);
    expect((await api("DELETE", `/meta/whatsapp/v24.0/${SECOND}/username`)).status).toBe(200);
    expect((await newest(SECOND, { status: "deleted" })).data).toMatchObject({
      origin: "this_service",
      requested_by: keyId,
    });
    const again = uniqueUsername("again");
    expect((await claim(SECOND, again)).status).toBe(200);
    await sandbox(`/phones/${SECOND}/change`, { status: "deleted" });
    expect((await newest(SECOND, { status: "deleted" })).data).toMatchObject({ origin: "outside" });
  });

  it("an approval after the tenant changed its mind is not ours: only the latest request speaks", async () => {
    const [first, second] = [uniqueUsername("mind"), uniqueUsername("mind")];
    expect((await claim(FIRST, first)).status).toBe(200);
    expect((await claim(FIRST, second)).status).toBe(200);
    // Meta approves the name asked for first, after the tenant asked for another.
    await sandbox(`/phones/${FIRST}/change`, { username: first, status: "approved" });
    expect((await newest(FIRST, { username: first, status: "approved" })).data).toMatchObject({
      origin: "outside",
    });
  });

  it("a request in flight: another partner's change landing meanwhile is outside; our request stays ours", async () => {
    const [mine, theirs] = [uniqueUsername("flight"), uniqueUsername("flight")];
    // Meta takes 1 s to answer our claim; meanwhile another partner renames the number.
    await sandbox("/faults", { mode: "slow", delayMs: 1_000, count: 1, path: `/${SECOND}/username` });
    const claiming = claim(SECOND, mine);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await sandbox(`/phones/${SECOND}/change`, { username: theirs, status: "approved" });
    expect((await claiming).status).toBe(200);
    const changes = await history(SECOND);
    expect(changes.find((c) => c.data.username === theirs)?.data).toMatchObject({ origin: "outside" });
    // Our answer and the rename are of the same moment: which came last is the reconciler's to
    // read; what it finds (our name: Meta acted on our claim last) is ours.
    await runReconciler({ deadline: Date.now() + 20_000 });
    expect((await newest(SECOND, { username: mine })).data).toMatchObject({
      origin: "this_service",
      requested_by: keyId,
    });
  });

  it("a force_transfer through us is ours on both numbers, by the same key", async () => {
    const name = uniqueUsername("moved");
    expect((await claim(FIRST, name)).status).toBe(200);
    expect((await claim(SECOND, name, true)).status).toBe(200);
    expect((await newest(SECOND, { username: name })).data).toMatchObject({
      origin: "this_service",
      requested_by: keyId,
    });
    expect((await newest(FIRST, { source: "transfer" })).data).toMatchObject({
      origin: "this_service",
      requested_by: keyId,
    });
  });

  it("a redelivered webhook is one change, with one origin", async () => {
    const name = uniqueUsername("redelivered");
    expect((await claim(FIRST, name)).status).toBe(200);
    const before = (await history(FIRST)).length;
    await sandbox(`/phones/${FIRST}/approve`, { duplicates: 2 });
    await newest(FIRST, { username: name, status: "approved" });
    const after = await history(FIRST);
    expect(after.length).toBe(before + 1);
    expect(after[0]?.data).toMatchObject({ origin: "this_service" });
  });

  it("the reconciler settling our request whose answer was lost: ours", async () => {
    const name = uniqueUsername("settled");
    // Meta acts but answers after our 1.5 s budget: the client gets 504, the number stays unresolved.
    await sandbox("/faults", { mode: "slow", delayMs: 2_500, count: 1, path: `/${SECOND}/username` });
    const saved = process.env.META_TIMEOUT_MS;
    process.env.META_TIMEOUT_MS = "1500";
    try {
      expect((await claim(SECOND, name)).status).toBeGreaterThanOrEqual(500);
    } finally {
      if (saved === undefined) delete process.env.META_TIMEOUT_MS;
      else process.env.META_TIMEOUT_MS = saved;
    }
    // Once Meta has acted, the reconciler's run (every minute in AWS) reads it and records it.
    for (let i = 0; i < 100 && stack.sandbox?.getPhone(SECOND)?.username !== name; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await runReconciler({ deadline: Date.now() + 20_000 });
    const settled = await newest(SECOND, { username: name, source: "reconcile" });
    expect(settled.data).toMatchObject({ origin: "this_service", requested_by: keyId });
  });
});

describe("Meta's account split", () => {
  async function registered(): Promise<{ id: string; first: string; second: string; display: string }> {
    const id = uniqueDigits(15);
    const [first, second] = [uniqueDigits(15), uniqueDigits(15)];
    const display = `1555${uniqueDigits(7)}`;
    await registerPhone({
      tenantId,
      phoneNumberId: id,
      wabaId: first,
      businessId: uniqueDigits(15),
      displayPhoneNumber: display,
      accessToken: "EAAG-accounts",
    });
    expect(await addNumberAccount(id, second)).toBe(true);
    return { id, first, second, display };
  }

  const deliver = (
    events: Array<{
      wabaId: string;
      displayPhoneNumber: string;
      time: number;
      status: string;
      username?: string;
    }>,
  ) => sandbox("/webhook/deliver", { events });

  it("a delivery under either account updates the number; the same change under both is one change", async () => {
    const number = await registered();
    const time = Math.floor(Date.now() / 1000) - 60;
    const name = uniqueUsername("acct");
    await deliver([
      { wabaId: number.second, displayPhoneNumber: number.display, time, status: "reserved", username: name },
    ]);
    await newest(number.id, { username: name, status: "reserved" });

    // Meta sends the approval under both accounts: in one delivery, and again in two.
    const approval = {
      displayPhoneNumber: number.display,
      time: time + 1,
      status: "approved",
      username: name,
    };
    await deliver([
      { ...approval, wabaId: number.first },
      { ...approval, wabaId: number.second },
    ]);
    await deliver([{ ...approval, wabaId: number.second }]);
    await deliver([{ ...approval, wabaId: number.first }]);
    await newest(number.id, { username: name, status: "approved" });
    expect((await history(number.id)).map((c) => c.data.status)).toEqual(["approved", "reserved"]);
    // One event each in the tenant's feed (the sequencer feeds it from the table's stream, a
    // moment later): the two changes, and no third however long it waits.
    const eventsOfNumber = async () => {
      const events: Array<{ data: { phone_number_id: string } }> = [];
      let after = "";
      for (let page = 0; page < 50; page++) {
        const feed = await api("GET", `/v1/username_changes?limit=100${after ? `&after=${after}` : ""}`);
        events.push(...(feed.json.data as typeof events));
        const cursor = (feed.json.paging as { cursors?: { after?: string } } | undefined)?.cursors?.after;
        if (!cursor || (feed.json.data as unknown[]).length === 0) break;
        after = cursor;
      }
      return events.filter((e) => e.data.phone_number_id === number.id);
    };
    for (let i = 0; i < 100 && (await eventsOfNumber()).length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await eventsOfNumber()).toHaveLength(2);
  });

  it("its WhatsApp Account id in the path answers for the same number", async () => {
    const number = await registered();
    const alias = uniqueDigits(15);
    expect(await setNumberWhatsAppAccountId(number.id, alias)).toBe(true);
    const name = uniqueUsername("alias");
    // The sandbox's Meta knows the number by its phone number id: the service calls Meta with it.
    expect((await claim(alias, name)).status).toBe(200);
    expect((await api("GET", `/meta/whatsapp/v24.0/${alias}/username`)).json).toEqual({
      username: name,
      status: "reserved",
    });
    expect((await newest(number.id, { username: name })).data).toMatchObject({ origin: "this_service" });
    // An id that is neither: the same answer as any unknown number.
    const unknown = await claim(uniqueDigits(15), name);
    expect(unknown.status).toBe(400);
    expect((unknown.json.error as { code: number }).code).toBe(33);
  });
});

describe("being told: endpoints subscribed by event type", () => {
  interface Delivered {
    id: string;
    type: string;
    created_time: string;
    data: { phone_number_id: string; origin: string };
  }
  const createEndpoint = async (url: string, eventTypes?: string[]) => {
    const created = await api("POST", "/v1/webhook_endpoints", {
      url,
      ...(eventTypes ? { event_types: eventTypes } : {}),
    });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    return created.json as { id: string; secret: string; event_types: string[] };
  };
  /** The feed's events of a number recorded since `since` (ISO), oldest first. */
  const feedSince = async (id: string, since: string): Promise<Delivered[]> => {
    const feed = await api("GET", "/v1/username_changes?limit=100");
    return (feed.json.data as Delivered[])
      .filter((event) => event.data.phone_number_id === id && event.created_time >= since)
      .reverse();
  };

  it("an endpoint subscribed to username.changed_outside receives exactly the outside changes of a mixed run, each once per webhook-id", async () => {
    const [all, outsideOnly, both] = await Promise.all([
      startTenantEndpoint(),
      startTenantEndpoint(),
      startTenantEndpoint(),
    ]);
    const endpoints = {
      all: await createEndpoint(all.url),
      outsideOnly: await createEndpoint(outsideOnly.url, ["username.changed_outside"]),
      both: await createEndpoint(both.url, ["username.updated", "username.changed_outside"]),
    };
    expect(endpoints.all.event_types).toEqual(["username.updated"]);
    expect(endpoints.outsideOnly.event_types).toEqual(["username.changed_outside"]);
    const since = new Date().toISOString();

    // A mixed run on one number: ours, outside, ours, outside, ours, outside.
    const ours = uniqueUsername("mixed");
    expect((await claim(FIRST, ours)).status).toBe(200);
    await newest(FIRST, { username: ours, status: "reserved" });
    await sandbox(`/phones/${FIRST}/approve`);
    await newest(FIRST, { username: ours, status: "approved" });
    const theirs = uniqueUsername("mixed_theirs");
    await sandbox(`/phones/${FIRST}/change`, { username: theirs, status: "approved" });
    await newest(FIRST, { username: theirs });
    const again = uniqueUsername("mixed_again");
    expect((await claim(FIRST, again)).status).toBe(200);
    await newest(FIRST, { username: again, status: "reserved" });
    await sandbox(`/phones/${FIRST}/revoke`);
    await newest(FIRST, { status: "deleted" });
    expect((await claim(FIRST, uniqueUsername("mixed_last"))).status).toBe(200);
    const last = uniqueUsername("mixed_last_theirs");
    await sandbox(`/phones/${FIRST}/change`, { username: last, status: "approved" });
    await newest(FIRST, { username: last });

    let feed: Delivered[] = await feedSince(FIRST, since);
    for (let i = 0; i < 100 && feed.length < 7; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      feed = await feedSince(FIRST, since);
    }
    const outside = feed.filter((event) => event.data.origin === "outside");
    expect(outside.length).toBeGreaterThanOrEqual(3);
    expect(feed.length - outside.length).toBeGreaterThanOrEqual(3);

    const ofNumber = (received: ReceivedWebhook[], secret: string) =>
      received
        .map((request) => ({ request, event: verifiedEvent(secret, request) as Delivered }))
        .filter(({ event }) => event.data.phone_number_id === FIRST && event.created_time >= since);
    const ids = (events: Delivered[]) => [...new Set(events.map((event) => event.id))].sort();
    const allIds = ids(feed);
    await all.waitFor(
      (r) => ids(ofNumber(r, endpoints.all.secret).map((x) => x.event)).length >= allIds.length,
      30_000,
    );
    await both.waitFor(
      (r) => ids(ofNumber(r, endpoints.both.secret).map((x) => x.event)).length >= allIds.length,
      30_000,
    );
    await outsideOnly.waitFor(
      (r) => ids(ofNumber(r, endpoints.outsideOnly.secret).map((x) => x.event)).length >= outside.length,
      30_000,
    );

    // Exactly the outside changes, typed as subscribed; every copy of one event carries its id.
    const toOutside = ofNumber(outsideOnly.received(), endpoints.outsideOnly.secret);
    expect(ids(toOutside.map((x) => x.event))).toEqual(ids(outside));
    for (const { request, event } of toOutside) {
      expect(event.type).toBe("username.changed_outside");
      expect(event.data.origin).toBe("outside");
      expect(request.headers["webhook-id"]).toBe(event.id);
    }
    // Every change, as username.updated: for the default endpoint and for one subscribed to both.
    for (const [receiver, secret] of [
      [all, endpoints.all.secret],
      [both, endpoints.both.secret],
    ] as const) {
      const delivered = ofNumber(receiver.received(), secret);
      expect(ids(delivered.map((x) => x.event))).toEqual(allIds);
      for (const { request, event } of delivered) {
        expect(event.type).toBe("username.updated");
        expect(request.headers["webhook-id"]).toBe(event.id);
      }
    }
    // The outside-only endpoint's log says why it got none of ours, and ours cannot be redelivered to it.
    const log = await api("GET", `/v1/webhook_endpoints/${endpoints.outsideOnly.id}/deliveries?limit=100`);
    const statuses = new Map(
      (log.json.data as { event_id: string; status: string; event_type: string }[]).map((row) => [
        row.event_id,
        row,
      ]),
    );
    for (const event of feed) {
      const row = statuses.get(event.id);
      if (event.data.origin === "outside")
        expect(row).toMatchObject({ status: "delivered", event_type: "username.changed_outside" });
      else expect(row).toMatchObject({ status: "not_subscribed" });
    }
    const ourEvent = feed.find((event) => event.data.origin !== "outside") as Delivered;
    const refused = await api(
      "POST",
      `/v1/webhook_endpoints/${endpoints.outsideOnly.id}/deliveries/${ourEvent.id}/redeliver`,
    );
    expect(refused.status).toBe(400);
    expect((refused.json.error as { code: number }).code).toBe(100);

    // Subscribing it to every change from now on: the next change of ours reaches it.
    const updated = await api("POST", `/v1/webhook_endpoints/${endpoints.outsideOnly.id}`, {
      event_types: ["username.updated"],
    });
    expect(updated.json).toMatchObject({ event_types: ["username.updated"] });
    const next = uniqueUsername("mixed_next");
    expect((await claim(FIRST, next)).status).toBe(200);
    await outsideOnly.waitFor((r) =>
      ofNumber(r, endpoints.outsideOnly.secret).some(
        ({ event }) => event.type === "username.updated" && event.data.origin === "this_service",
      ),
    );
    await Promise.all([all.close(), outsideOnly.close(), both.close()]);
    for (const endpoint of Object.values(endpoints)) {
      expect((await api("DELETE", `/v1/webhook_endpoints/${endpoint.id}`)).status).toBe(200);
    }
  }, 120_000);
});
