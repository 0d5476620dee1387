/**
 * The change feed (`GET /v1/username_changes`) as an outbox: every recorded change becomes exactly
 * one event, with the fields of its source, and a client that follows the cursor sees each once.
 *
 * The concurrent test drives one tenant's numbers from several writers at once (API claims with
 * and without force_transfer, deletes, Meta webhook deliveries, and extra sequencer runs over the
 * same history items, as a redelivered or concurrently processed stream batch would be) while a
 * reader follows the cursor over HTTP with random page sizes. The oracle is the store's own
 * history: whatever the random operations came to, the feed must hold each history item's event
 * exactly once, in per-number order. The plan is random (fast-check); a failure prints its seed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addEndpoint } from "../../functions/core/admin/endpoint-registration.ts";
import { listHistory } from "../../functions/core/store/phones.ts";
import { commitUsernameChange } from "../../functions/core/store/state-committer.ts";
import { sequenceHistory } from "../../functions/core/tenant-webhooks/feed-sequencer.ts";
import { useEventPipeline } from "../support/event-pipeline.ts";
import { startTenantEndpoint, verifiedEvent } from "../support/tenant-endpoint.ts";
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

const NAMES = ["feed_alpha", "feed_bravo", "feed_charlie", "feed_delta"];

type Operation =
  | { kind: "claim"; phone: number; name: number; force: boolean }
  | { kind: "delete"; phone: number }
  | {
      kind: "webhook";
      changes: { phone: number; status: "approved" | "reserved" | "deleted"; name: number }[];
    }
  | { kind: "resequence" };

const phoneIndex = fc.integer({ min: 0, max: 5 });
const nameIndex = fc.integer({ min: 0, max: NAMES.length - 1 });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("claim" as const),
      phone: phoneIndex,
      name: nameIndex,
      force: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), phone: phoneIndex }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("webhook" as const),
      changes: fc.array(
        fc.record({
          phone: phoneIndex,
          status: fc.constantFrom("approved" as const, "reserved" as const, "deleted" as const),
          name: nameIndex,
        }),
        { minLength: 1, maxLength: 6 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "resequence" as const }) },
);
/** Three writers, each a sequence of operations run one after the other; the writers run at once. */
const plan = fc.tuple(
  fc.array(fc.array(operation, { minLength: 3, maxLength: 8 }), { minLength: 3, maxLength: 3 }),
  fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 4, maxLength: 4 }),
);

/** Six numbers of one tenant, in two business portfolios (transfers happen within each). */
async function sixNumbers(): Promise<{ tenant: SeededTenant; phones: SeededPhone[] }> {
  const tenant = await seedTenant();
  const portfolios = [uniqueDigits(15), uniqueDigits(15)];
  const phones: SeededPhone[] = [];
  for (let i = 0; i < 6; i++)
    phones.push(await seedPhone(world, tenant, { businessId: portfolios[i % 2] as string }));
  return { tenant, phones };
}

async function tenantHistoryIds(phones: readonly SeededPhone[]) {
  const byPhone = new Map<string, string[]>();
  for (const phone of phones)
    byPhone.set(
      phone.phoneNumberId,
      (await listHistory(phone.phoneNumberId)).map((h) => h.eventId),
    );
  return byPhone;
}

describe("the change feed under concurrent writers", { timeout: 120_000 }, () => {
  it("gives a cursor-following reader every change exactly once, in per-number order", async () => {
    let clock = Math.floor(Date.now() / 1000) + 100;
    await fc.assert(
      fc.asyncProperty(plan, async ([writers, pageSizes]) => {
        const { tenant, phones } = await sixNumbers();
        const phone = (i: number) => phones[i] as SeededPhone;
        const run = async (op: Operation) => {
          if (op.kind === "claim") {
            await callUsernameApi("claim", phone(op.phone).phoneNumberId, {
              apiKey: tenant.apiKey,
              body: { username: NAMES[op.name], ...(op.force ? { transfer_action: "force_transfer" } : {}) },
            });
          } else if (op.kind === "delete") {
            await callUsernameApi("delete", phone(op.phone).phoneNumberId, { apiKey: tenant.apiKey });
          } else if (op.kind === "webhook") {
            clock += 1;
            const time = clock;
            const answer = await postEvents(
              op.changes.map((c) =>
                webhookEvent(
                  phone(c.phone),
                  time,
                  c.status,
                  c.status === "deleted" ? undefined : NAMES[c.name],
                ),
              ),
            );
            expect(answer.status).toBe(200);
          } else {
            // A stream batch seen again (or by two consumers at once): nothing may be sequenced twice.
            const items = (await Promise.all(phones.map((p) => listHistory(p.phoneNumberId)))).flat();
            await sequenceHistory(items);
          }
        };

        const seen: Json[] = [];
        const ids = new Set<string>();
        let cursor: string | undefined;
        let reads = 0;
        const readOnce = async () => {
          const limit = pageSizes[reads++ % pageSizes.length] as number;
          const query = `limit=${limit}${cursor ? `&after=${cursor}` : ""}`;
          const page = await pipeline.get(`/v1/username_changes?${query}`, tenant.apiKey);
          expect(page.status).toBe(200);
          for (const event of page.json.data) {
            expect(ids.has(event.id), `event ${event.id} seen twice`).toBe(false);
            ids.add(event.id);
            seen.push(event);
          }
          cursor = page.json.paging.cursors.after;
        };

        let writing = true;
        const reader = (async () => {
          while (writing) await readOnce();
        })();
        await Promise.all(
          writers.map(async (ops) => {
            for (const op of ops) await run(op);
          }),
        );
        writing = false;
        await reader;

        const history = await tenantHistoryIds(phones);
        const expected = [...history.values()].flat();
        const deadline = Date.now() + 20_000;
        while (ids.size < expected.length && Date.now() < deadline) await readOnce();
        await readOnce();

        // None missing, none twice, nothing that is not a recorded change.
        expect([...ids].sort()).toEqual([...expected].sort());
        expect(seen).toHaveLength(expected.length);
        // Each number's changes in the order they were recorded.
        for (const [phoneNumberId, eventIds] of history) {
          expect(seen.filter((e) => e.data.phone_number_id === phoneNumberId).map((e) => e.id)).toEqual(
            eventIds,
          );
        }
        // The feed is stable: read again from the start, it is the same sequence.
        const fromStart = await pipeline.get("/v1/username_changes?limit=100", tenant.apiKey);
        expect(fromStart.json.data.map((e: Json) => e.id)).toEqual(seen.slice(0, 100).map((e) => e.id));
      }),
      { numRuns: 2, endOnFailure: true },
    );
  });
});

describe("event fields for each source", { timeout: 120_000 }, () => {
  const feedLength = async (tenant: SeededTenant) =>
    (await pipeline.get("/v1/username_changes?limit=100", tenant.apiKey)).json.data.length;

  /**
   * The `count` events `act` makes, as the feed, the number's history and a webhook endpoint each
   * show them; `before` events of the tenant are awaited in the feed first.
   */
  async function observe(tenant: SeededTenant, count: number, act: () => Promise<void>, before = 0) {
    await expect.poll(() => feedLength(tenant), { timeout: 15_000 }).toBe(before);
    const receiver = await startTenantEndpoint();
    const endpoint = await addEndpoint(tenant.tenantId, receiver.url);
    await act();
    await expect.poll(() => feedLength(tenant), { timeout: 15_000 }).toBe(before + count);
    const feed: Json[] = (
      await pipeline.get("/v1/username_changes?limit=100", tenant.apiKey)
    ).json.data.slice(before);
    const received = await receiver.waitFor((r) => r.length >= count);
    await receiver.close();
    const webhooks = received.map((request) => verifiedEvent(endpoint.secret, request) as Json);
    for (const event of feed) {
      expect(webhooks.find((w) => w.id === event.id)).toEqual(event);
      const history = await pipeline.get(
        `/v1/phone_numbers/${event.data.phone_number_id}/username_history?limit=100`,
        tenant.apiKey,
      );
      expect(history.json.data.find((h: Json) => h.id === event.id)).toEqual(event);
      expect(received.find((r) => JSON.parse(r.body).id === event.id)?.headers["webhook-id"]).toBe(event.id);
    }
    return feed;
  }

  it("api: a claim through the proxy", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const [event] = await observe(tenant, 1, async () => {
      await callUsernameApi("claim", phone.phoneNumberId, {
        apiKey: tenant.apiKey,
        body: { username: "source_api" },
      });
    });
    expect(event).toEqual({
      id: expect.stringMatching(/^evt_[0-9A-Z]{26}$/),
      type: "username.updated",
      created_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: {
        phone_number_id: phone.phoneNumberId,
        waba_id: phone.wabaId,
        display_phone_number: phone.displayPhoneNumber,
        username: "source_api",
        status: "reserved",
        previous: {},
        source: "api",
        origin: "this_service",
        requested_by: tenant.keyId,
      },
    });
  });

  it("webhook: Meta's approval, then its revocation with context", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const time = Math.floor(Date.now() / 1000) + 1000;
    const events = await observe(tenant, 2, async () => {
      await postEvents([webhookEvent(phone, time, "approved", "source_webhook")]);
      await postEvents([webhookEvent(phone, time + 1, "deleted", undefined, "revoked")]);
    });
    expect(events.map((e) => e.data)).toEqual([
      {
        phone_number_id: phone.phoneNumberId,
        waba_id: phone.wabaId,
        display_phone_number: phone.displayPhoneNumber,
        username: "source_webhook",
        status: "approved",
        previous: {},
        source: "webhook",
        // Nobody asked this service for the name.
        origin: "outside",
      },
      {
        phone_number_id: phone.phoneNumberId,
        waba_id: phone.wabaId,
        display_phone_number: phone.displayPhoneNumber,
        status: "deleted",
        previous: { username: "source_webhook", status: "approved" },
        source: "webhook",
        origin: "outside",
        context: "revoked",
      },
    ]);
  });

  it("reconcile: a state read back from Meta", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const [event] = await observe(tenant, 1, async () => {
      const outcome = await commitUsernameChange({
        phoneNumberId: phone.phoneNumberId,
        changes: [
          {
            kind: "answer",
            source: "reconcile",
            state: { username: "source_reconcile", status: "approved" },
            observation: { kind: "read", sentAt: Date.now(), receivedAt: Date.now() },
          },
        ],
      });
      expect(outcome.applied).toBe(true);
    });
    expect(event?.data).toEqual({
      phone_number_id: phone.phoneNumberId,
      waba_id: phone.wabaId,
      display_phone_number: phone.displayPhoneNumber,
      username: "source_reconcile",
      status: "approved",
      previous: {},
      source: "reconcile",
      // Drift: no request of this service explains it.
      origin: "outside",
    });
  });

  it("transfer: both sides, the number that takes the name and the one that loses it", async () => {
    const tenant = await seedTenant();
    const businessId = uniqueDigits(15);
    const a = await seedPhone(world, tenant, { businessId });
    const b = await seedPhone(world, tenant, { businessId });
    const claim = (phone: SeededPhone, transfer?: string) =>
      callUsernameApi("claim", phone.phoneNumberId, {
        apiKey: tenant.apiKey,
        body: { username: "source_transfer", ...(transfer ? { transfer_action: transfer } : {}) },
      });
    expect((await claim(a)).status).toBe(200);
    const events = await observe(
      tenant,
      2,
      async () => {
        expect((await claim(b, "force_transfer")).status).toBe(200);
      },
      1,
    );
    const taker = events.find((e) => e.data.phone_number_id === b.phoneNumberId);
    const loser = events.find((e) => e.data.phone_number_id === a.phoneNumberId);
    expect(taker?.data).toEqual({
      phone_number_id: b.phoneNumberId,
      waba_id: b.wabaId,
      display_phone_number: b.displayPhoneNumber,
      username: "source_transfer",
      status: "reserved",
      previous: {},
      source: "api",
      origin: "this_service",
      requested_by: tenant.keyId,
      transferred_from: a.phoneNumberId,
    });
    expect(loser?.data).toEqual({
      phone_number_id: a.phoneNumberId,
      waba_id: a.wabaId,
      display_phone_number: a.displayPhoneNumber,
      previous: { username: "source_transfer", status: "reserved" },
      source: "transfer",
      // Our force_transfer on the other number took it: ours too, by the same key.
      origin: "this_service",
      requested_by: tenant.keyId,
      transferred_to: b.phoneNumberId,
    });
  });
});
