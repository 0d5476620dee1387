/**
 * The recorded state converges to Meta's truth, for the right number, in the right order
 * (docs/reliability.md, "Ordering" and "No change lost after Meta acted"): one record per Meta
 * number, one order for every change to a name (across numbers too), answers that never regress
 * a newer webhook, entries without time that never apply twice, malformed entries that never
 * block a delivery, and deliveries too large for the deadline that finish on redelivery.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { registerPhone } from "../../functions/core/admin/numbers.ts";
import { mapWithConcurrency } from "../../functions/core/concurrency.ts";
import { runReconciler } from "../../functions/core/reconcile/reconciler.ts";
import { getIntent } from "../../functions/core/store/number-line.ts";
import { getPhones, MetaNumberTakenError } from "../../functions/core/store/phones.ts";
import { buildWebhookPayload } from "../../meta-sandbox/index.ts";
import { expectConsistent } from "../reliability/helpers/store-snapshot.ts";
import { injectStorageFaults } from "../support/storage-faults.ts";
import { callUsernameApi } from "../support/username-client.ts";
import { configureWebhookSecrets, postEvents, postWebhook, webhookEvent } from "../support/webhook-client.ts";
import { seedPhone, seedTenant, storedState, uniqueDigits, useWorld } from "../support/world.ts";

const world = useWorld();
beforeAll(configureWebhookSecrets);

let counter = 0;
const name = (prefix = "order") => `${prefix}_${++counter}_${uniqueDigits(5)}`;
const now = () => Math.floor(Date.now() / 1000);

describe("one Meta number, one record", () => {
  it("refuses a WABA id + display number already registered, under any tenant, without naming it", async () => {
    const [first, second] = [await seedTenant(), await seedTenant()];
    const wabaId = uniqueDigits(15);
    const displayPhoneNumber = `1555${uniqueDigits(7)}`;
    const owner = await seedPhone(world, first, { wabaId, displayPhoneNumber });
    for (const tenant of [second, first]) {
      const attempt = registerPhone({
        tenantId: tenant.tenantId,
        phoneNumberId: uniqueDigits(15),
        wabaId,
        businessId: uniqueDigits(15),
        // Formatting does not make it another number: digits are compared.
        displayPhoneNumber,
        accessToken: "EAAG-second",
      });
      await expect(attempt).rejects.toBeInstanceOf(MetaNumberTakenError);
      await expect(attempt).rejects.not.toThrow(first.tenantId);
      await expect(attempt).rejects.not.toThrow(owner.phoneNumberId);
    }

    // A 1-change and a 3-change delivery both update the one record.
    const small = await postEvents([webhookEvent(owner, now() - 30, "reserved", name("one"))]);
    expect(small.json).toMatchObject({ applied: 1, unknownNumber: 0 });
    const other = await seedPhone(world, first);
    const last = name("three");
    const large = await postEvents([
      webhookEvent(owner, now() - 20, "approved", name("three")),
      webhookEvent(other, now() - 20, "reserved", name("other")),
      webhookEvent(owner, now() - 10, "approved", last),
    ]);
    expect(large.json).toMatchObject({ applied: 3, unknownNumber: 0 });
    const { phone, history } = await expectConsistent(owner.phoneNumberId);
    expect(phone).toMatchObject({ username: last, status: "approved" });
    expect(history).toHaveLength(3);
  });

  it("finds a number registered a moment ago (strongly consistent lookup)", async () => {
    const tenant = await seedTenant();
    const phones = await Promise.all(Array.from({ length: 5 }, () => seedPhone(world, tenant)));
    const answer = await postEvents(phones.map((p) => webhookEvent(p, now(), "reserved", name("fresh"))));
    expect(answer.json).toMatchObject({ applied: 5, unknownNumber: 0 });
  });
});

describe("one order for every change to a name", () => {
  it("a late event never takes a name back from the number that holds it by a newer event", async () => {
    const tenant = await seedTenant();
    const businessId = uniqueDigits(15);
    const wabaId = uniqueDigits(15);
    const a = await seedPhone(world, tenant, { businessId, wabaId });
    const b = await seedPhone(world, tenant, { businessId, wabaId });
    const T = now() - 60;
    const steal = name("steal_me");
    expect((await postEvents([webhookEvent(b, T, "approved", steal)])).json).toMatchObject({ applied: 1 });

    // The late event, alone and batched with another number's change.
    const late = await postEvents([webhookEvent(a, T - 600, "approved", steal)]);
    expect(late.json).toMatchObject({ applied: 0, stale: 1 });
    const batched = await postEvents([
      webhookEvent(a, T - 600, "approved", steal),
      webhookEvent(a, T - 900, "reserved", steal),
    ]);
    expect(batched.json).toMatchObject({ applied: 0, stale: 2 });

    const [stateA, stateB] = [
      await expectConsistent(a.phoneNumberId),
      await expectConsistent(b.phoneNumberId),
    ];
    expect(stateB.phone).toMatchObject({ username: steal, status: "approved", version: 1 });
    expect(stateA.phone?.username).toBeUndefined();
    expect(stateA.history).toEqual([]);

    // A newer event moves it: the transfer bookkeeping follows the newest event.
    const moved = await postEvents([webhookEvent(a, T + 5, "approved", steal)]);
    expect(moved.json).toMatchObject({ applied: 1 });
    expect((await storedState(b.phoneNumberId)).phone?.username).toBeUndefined();
    expect((await storedState(a.phoneNumberId)).history.at(-1)).toMatchObject({
      username: steal,
      transferredFrom: b.phoneNumberId,
    });
  });

  it("an API answer never regresses a newer webhook state for the same name", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const raceName = name("race_name");
    // Meta is slow to answer the POST; its approval webhook lands first.
    world.sandbox.injectFault({ mode: "slow", delayMs: 1_500, path: phone.phoneNumberId });
    const claim = callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      body: { username: raceName },
    });
    await waitForMetaCall(phone.phoneNumberId);
    const approval = webhookEvent(phone, now(), "approved", raceName);
    expect((await postEvents([approval])).json).toMatchObject({ applied: 1 });

    const answer = await claim;
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: "reserved" });
    const { phone: stored, history } = await expectConsistent(phone.phoneNumberId);
    expect(stored).toMatchObject({ username: raceName, status: "approved", source: "webhook" });
    expect(history.map((e) => e.status)).toEqual(["approved"]);

    // Meta's redeliveries of the approval change nothing, and the number is not left unresolved.
    expect((await postEvents([approval])).json).toMatchObject({ applied: 0 });
    expect((await storedState(phone.phoneNumberId)).phone).toMatchObject({ status: "approved" });
    expect((await getIntent(phone.phoneNumberId))?.unresolved).toBeUndefined();
  });

  it("a POST answer that disagrees with a webhook of the same moment leaves the number to the reconciler", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    world.sandbox.injectFault({ mode: "slow", delayMs: 1_500, path: phone.phoneNumberId });
    const claim = callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      body: { username: name("mine") },
    });
    await waitForMetaCall(phone.phoneNumberId);
    // While the POST is in flight, Meta says the number has another name: which came last is unknown.
    const other = name("theirs");
    expect((await postEvents([webhookEvent(phone, now(), "approved", other)])).json).toMatchObject({
      applied: 1,
    });
    expect((await claim).status).toBe(200);
    expect((await storedState(phone.phoneNumberId)).phone).toMatchObject({ username: other });
    expect(await getIntent(phone.phoneNumberId)).toMatchObject({ unresolved: true });
  });

  it("a webhook of the same second as an answer, naming another username, leaves the number to the reconciler", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const claimed = name("claimed");
    const claim = await callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      body: { username: claimed },
    });
    expect(claim.status).toBe(200);
    const { phone: record } = await storedState(phone.phoneNumberId);
    // Meta's late webhook for a deletion of that same second: which came last is unknown.
    const second = Math.floor((record?.stateSentAt ?? 0) / 1000);
    expect((await postEvents([webhookEvent(phone, second, "deleted")])).json).toMatchObject({ applied: 1 });
    expect(await getIntent(phone.phoneNumberId)).toMatchObject({ unresolved: true });
    // The reconciler reads Meta, which holds the claimed name.
    await runReconciler({ deadline: Date.now() + 60_000 });
    expect((await storedState(phone.phoneNumberId)).phone).toMatchObject({
      username: claimed,
      source: "reconcile",
    });
  });

  it("an entry without time applies once: its replay after a newer change changes nothing", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const untimed = JSON.stringify({
      object: "whatsapp_business_account",
      entry: [
        {
          id: phone.wabaId,
          changes: [
            {
              field: "business_username_updates",
              value: {
                display_phone_number: phone.displayPhoneNumber,
                username: name("untimed"),
                status: "approved",
              },
            },
          ],
        },
      ],
    });
    expect((await postWebhook(untimed)).json).toMatchObject({ applied: 1 });
    expect((await postEvents([webhookEvent(phone, now() + 5, "deleted")])).json).toMatchObject({
      applied: 1,
    });

    for (let replay = 0; replay < 2; replay++) {
      expect((await postWebhook(untimed)).json).toMatchObject({ applied: 0, duplicate: 1 });
    }
    const { phone: stored, history } = await expectConsistent(phone.phoneNumberId);
    expect(stored).toMatchObject({ status: "deleted" });
    expect(stored?.username).toBeUndefined();
    expect(history.map((e) => e.status)).toEqual(["approved", "deleted"]);
    // It never dated the state: a timed event older than the deletion is still stale.
    expect((await postEvents([webhookEvent(phone, now() - 30, "approved", name("old"))])).json).toMatchObject(
      {
        stale: 1,
      },
    );
  });
});

describe("deliveries", () => {
  it("applies the valid entries of a delivery with a malformed one, and acknowledges it", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const good = name("good");
    const body = JSON.stringify({
      object: "whatsapp_business_account",
      entry: [
        {
          id: phone.wabaId,
          time: now(),
          changes: [
            {
              field: "business_username_updates",
              value: { display_phone_number: phone.displayPhoneNumber, username: good, status: "reserved" },
            },
            // Malformed changes in a valid entry: counted as malformed, never stored.
            { field: "business_username_updates", value: 5 },
            {
              field: "business_username_updates",
              value: {
                display_phone_number: phone.displayPhoneNumber,
                username: "nul\u0000name",
                status: "approved",
              },
            },
          ],
        },
        {
          id: 12345,
          time: "yesterday",
          changes: [
            {
              field: "business_username_updates",
              value: {
                display_phone_number: phone.displayPhoneNumber,
                username: name("bad"),
                status: "approved",
              },
            },
          ],
        },
        "not an entry",
      ],
    });
    for (let delivery = 0; delivery < 2; delivery++) {
      const answer = await postWebhook(body);
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ applied: delivery === 0 ? 1 : 0, malformed: 4, ignored: 0 });
    }
    const { phone: stored, history } = await expectConsistent(phone.phoneNumberId);
    expect(stored).toMatchObject({ username: good, status: "reserved" });
    expect(history).toHaveLength(1);
  });

  it("acknowledges a signed delivery for another object and applies nothing", async () => {
    for (const object of ["page", "instagram"]) {
      const answer = await postWebhook(
        JSON.stringify({ object, entry: [{ id: "1", time: now(), changes: [] }] }),
      );
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ received: true, changes: 0, applied: 0 });
    }
  });

  it("a delivery too large for the deadline answers 503 in time, and the redelivery completes it once", async () => {
    const tenant = await seedTenant();
    // 500 numbers: five read rounds of 100, four at a time, so the fifth starts only after the
    // first ones finished, when the deadline is near.
    const phones = await mapWithConcurrency(Array.from({ length: 500 }), 25, () =>
      registerNumber(tenant.tenantId),
    ).then((settled) => settled.map((s) => (s as PromiseFulfilledResult<Registered>).value));
    const time = now() - 5;
    const body = JSON.stringify(
      buildWebhookPayload(
        phones.map((p, i) => webhookEvent(p, time, "reserved", `deadline_${i}_${counter}`)),
      ),
    );
    // DynamoDB slowed down (each read 2 s, each transaction 3 s): the first read rounds take most
    // of the time left, so the fifth is not started; what started is written well before the
    // invocation's end.
    const restore = injectStorageFaults((command) =>
      command === "TransactWriteItemsCommand" ? 3_000 : command === "BatchGetItemCommand" ? 2_000 : undefined,
    );
    let cut: Awaited<ReturnType<typeof postWebhook>>;
    let applied: number;
    try {
      cut = await postWebhook(body, { remainingMs: 9_000 });
      // Rounds that started may still be committing (a slow machine can overrun the estimate):
      // what they commit counts as applied, so wait until nothing moves.
      applied = await settledCount(() => countApplied(phones));
    } finally {
      restore();
    }
    // Our own answer before the deadline (a Lambda cut at its deadline answers 504 instead).
    expect(cut.status).toBe(503);
    expect(cut.json.error).toMatchObject({ code: 2, is_transient: true });
    expect(applied, "what started was applied and kept").toBeGreaterThan(0);
    expect(applied).toBeLessThan(phones.length);

    const redelivery = await postWebhook(body);
    expect(redelivery.status).toBe(200);
    expect(redelivery.json).toMatchObject({ applied: phones.length - applied, deferred: 0 });
    expect(await countApplied(phones)).toBe(phones.length);
    for (const phone of phones.slice(0, 20))
      expect((await expectConsistent(phone.phoneNumberId)).history).toHaveLength(1);
    expect((await postWebhook(body)).json).toMatchObject({ applied: 0 });
  }, 120_000);

  it("a round that started in time but overruns still answers 503 by the deadline; the redelivery finds it applied", async () => {
    const tenant = await seedTenant();
    const phones = await Promise.all([1, 2, 3].map(() => registerNumber(tenant.tenantId)));
    const time = now() - 5;
    const body = JSON.stringify(
      buildWebhookPayload(phones.map((p, i) => webhookEvent(p, time, "approved", `overrun_${i}_${counter}`))),
    );
    // The round starts at once (3 s left, it keeps 1.5 s), then DynamoDB takes 6 s to commit.
    const restore = injectStorageFaults((command) =>
      command === "TransactWriteItemsCommand" ? 6_000 : undefined,
    );
    try {
      const cut = await postWebhook(body, { remainingMs: 4_000 });
      // A 200 could only come after the write, past the deadline.
      expect(cut.status).toBe(503);
      expect(cut.json.error).toMatchObject({ code: 2, is_transient: true });
      // The write goes on and commits (in Lambda: when the frozen container thaws, or not at all).
      await expect.poll(() => countApplied(phones), { timeout: 20_000, interval: 250 }).toBe(phones.length);
    } finally {
      restore();
    }
    const redelivery = await postWebhook(body);
    expect(redelivery.status).toBe(200);
    expect(redelivery.json).toMatchObject({ applied: 0, failed: 0, deferred: 0 });
    for (const phone of phones) expect((await expectConsistent(phone.phoneNumberId)).history).toHaveLength(1);
  }, 60_000);
});

interface Registered {
  phoneNumberId: string;
  wabaId: string;
  displayPhoneNumber: string;
}

async function registerNumber(tenantId: string): Promise<Registered> {
  const number = {
    phoneNumberId: uniqueDigits(15),
    wabaId: uniqueDigits(15),
    displayPhoneNumber: `1555${uniqueDigits(7)}`,
  };
  await registerPhone({ tenantId, businessId: uniqueDigits(15), accessToken: "EAAG-deadline", ...number });
  return number;
}

/** Polls `count` until two reads 1 s apart agree (at most 60 s), and returns that count. */
async function settledCount(count: () => Promise<number>): Promise<number> {
  let last = await count();
  for (let i = 0; i < 60; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const next = await count();
    if (next === last) return next;
    last = next;
  }
  throw new Error(`still changing after 60 s (${last})`);
}

async function countApplied(phones: readonly Registered[]): Promise<number> {
  const records = await getPhones(
    phones.map((p) => p.phoneNumberId),
    true,
  );
  return [...records.values()].filter((p) => p.version === 1).length;
}

async function waitForMetaCall(phoneNumberId: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (world.sandbox.requests().some((r) => r.path.includes(phoneNumberId))) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("Meta was never called");
}
