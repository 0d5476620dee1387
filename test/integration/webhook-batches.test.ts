/**
 * A delivery of many numbers (store/username-change-batches.ts, store/phones.ts
 * findPhonesByWabaDisplay): batched reads, many numbers per transaction, and the same outcome as
 * applying the changes one by one, including duplicates found only when a transaction is
 * cancelled, transfers, and numbers registered before WABA-phone lookup items existed.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { dynamo, setDynamoClient } from "../../functions/core/store/client.ts";
import { keys } from "../../functions/core/store/keys.ts";
import { injectStorageFaults } from "../support/storage-faults.ts";
import { callUsernameApi } from "../support/username-client.ts";
import { configureWebhookSecrets, postEvents, webhookEvent } from "../support/webhook-client.ts";
import {
  type SeededPhone,
  type SeededTenant,
  seedPhone,
  seedTenant,
  storedState,
  uniqueDigits,
  useWorld,
} from "../support/world.ts";

const world = useWorld();
beforeAll(configureWebhookSecrets);
afterEach(() => setDynamoClient(undefined));

/** Numbers of one tenant; more than two, so a delivery about all of them takes the batch path. */
async function numbers(count: number, tenant?: SeededTenant): Promise<SeededPhone[]> {
  const owner = tenant ?? (await seedTenant());
  return Promise.all(Array.from({ length: count }, () => seedPhone(world, owner)));
}

let names = 0;
const name = () => `batch_${uniqueDigits(6)}_${++names}`;

describe("a delivery of many numbers", { timeout: 120_000 }, () => {
  it("reads them in batches and writes many numbers per transaction", async () => {
    const phones = await numbers(30);
    const counting = injectStorageFaults(() => undefined);
    try {
      const answer = await postEvents(phones.map((p) => webhookEvent(p, 1_000, "approved", name())));
      expect(answer.json).toMatchObject({ applied: 30, failed: 0 });
      const calls = Object.fromEntries(counting.attempts);
      // One BatchGetItem of lookup items, one of the records.
      expect(calls.BatchGetItemCommand).toBe(2);
      expect(calls.QueryCommand).toBeUndefined();
      expect(calls.TransactWriteItemsCommand).toBeLessThan(phones.length);
    } finally {
      counting();
    }
    for (const phone of phones) {
      const { phone: stored, history } = await storedState(phone.phoneNumberId);
      expect(stored).toMatchObject({ status: "approved", stateEpoch: 1_000, source: "webhook" });
      expect(history).toHaveLength(1);
    }
  });

  it("applies a number's changes in event-time order, with a history event each", async () => {
    const phones = await numbers(3);
    const [a] = phones as [SeededPhone];
    const first = name();
    const second = name();
    const answer = await postEvents([
      webhookEvent(a, 2_003, "approved", second),
      webhookEvent(a, 2_001, "reserved", first),
      webhookEvent(a, 2_002, "reserved", second),
      ...phones.slice(1).map((p) => webhookEvent(p, 2_000, "reserved", name())),
    ]);
    expect(answer.json).toMatchObject({ applied: 5, failed: 0 });
    const { phone, history } = await storedState(a.phoneNumberId);
    expect(phone).toMatchObject({ username: second, status: "approved", stateEpoch: 2_003, version: 3 });
    expect(history.map((h) => [h.eventTime, h.username, h.status])).toEqual([
      [2_001, first, "reserved"],
      [2_002, second, "reserved"],
      [2_003, second, "approved"],
    ]);
  });

  it("treats an event seen again within the same second, with another state between, as a duplicate", async () => {
    // 41 numbers: enough changes that a transaction carries more than one number.
    const phones = await numbers(41);
    const [a] = phones as [SeededPhone];
    const once = webhookEvent(a, 3_000, "approved", name());
    const answer = await postEvents([
      once,
      webhookEvent(a, 3_000, "deleted"),
      once,
      ...phones.slice(1).map((p) => webhookEvent(p, 3_000, "reserved", name())),
    ]);
    expect(answer.json).toMatchObject({ applied: 42, duplicate: 1 });
    expect((await storedState(a.phoneNumberId)).phone?.status).toBe("deleted");

    // Redelivered later, in a transaction with another number's change: its marker cancels the
    // transaction, and it alone is dropped; the rest is written.
    const again = await postEvents([
      once,
      ...phones.slice(1).map((p) => webhookEvent(p, 3_001, "approved", name())),
    ]);
    expect(again.json).toMatchObject({ applied: 40, duplicate: 1, failed: 0 });
    const { phone, history } = await storedState(a.phoneNumberId);
    expect(phone?.status).toBe("deleted");
    expect(history).toHaveLength(2);
    for (const other of phones.slice(1)) {
      expect((await storedState(other.phoneNumberId)).phone?.status).toBe("approved");
    }
  });

  it("skips stale events and moves the as-of time of a repeated state without a history event", async () => {
    const phones = await numbers(3);
    const [a, b, c] = phones as [SeededPhone, SeededPhone, SeededPhone];
    const held = name();
    await postEvents(phones.map((p) => webhookEvent(p, 4_000, "approved", p === a ? held : name())));
    const answer = await postEvents([
      webhookEvent(a, 4_005, "approved", held),
      webhookEvent(b, 3_999, "deleted"),
      webhookEvent(c, 4_005, "deleted"),
    ]);
    expect(answer.json).toMatchObject({ applied: 1, unchanged: 1, stale: 1 });
    const stored = await storedState(a.phoneNumberId);
    expect(stored.phone?.stateEpoch).toBe(4_005);
    expect(stored.history).toHaveLength(1);
    expect((await storedState(b.phoneNumberId)).phone?.status).toBe("approved");
  });

  it("moves a name Meta gave to another number of the portfolio one change at a time (transfer)", async () => {
    const tenant = await seedTenant();
    const businessId = uniqueDigits(15);
    const a = await seedPhone(world, tenant, { businessId });
    const b = await seedPhone(world, tenant, { businessId });
    const others = await numbers(2, tenant);
    const shared = name();
    await postEvents([
      webhookEvent(a, 5_000, "approved", shared),
      ...others.map((p) => webhookEvent(p, 5_000, "reserved", name())),
    ]);

    const answer = await postEvents([
      webhookEvent(b, 5_001, "approved", shared),
      ...others.map((p) => webhookEvent(p, 5_001, "approved", name())),
    ]);
    expect(answer.json).toMatchObject({ applied: 3, failed: 0 });
    expect((await storedState(b.phoneNumberId)).phone).toMatchObject({
      username: shared,
      status: "approved",
    });
    const lost = await storedState(a.phoneNumberId);
    expect(lost.phone?.username).toBeUndefined();
    expect(lost.history.at(-1)).toMatchObject({ transferredTo: b.phoneNumberId });
    const { Item } = await dynamo().send(
      new GetCommand({
        TableName: process.env.TABLE_NAME,
        Key: keys.usernameHolder(businessId, shared),
        ConsistentRead: true,
      }),
    );
    expect(Item?.phoneNumberId).toBe(b.phoneNumberId);
  });
});

describe("the as-of time never moves back", () => {
  it("an event dated after its own delivery (Meta's clock ahead) applies once and dates nothing: a later answer applies", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const future = Math.floor(Date.now() / 1000) + 3_600;
    const approval = webhookEvent(phone, future, "approved", name());
    expect((await postEvents([approval])).json).toMatchObject({ applied: 1 });
    const afterWebhook = await storedState(phone.phoneNumberId);
    expect(afterWebhook.phone?.stateEpoch ?? 0).toBeLessThan(future);

    // A claim a moment later is newer than the event as received: it is recorded.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const claimed = name();
    const claim = await callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      body: { username: claimed },
    });
    expect(claim.status).toBe(200);
    expect((await storedState(phone.phoneNumberId)).phone).toMatchObject({
      source: "api",
      username: claimed,
    });

    // Its redelivery is the same event (its content), whenever it comes: a duplicate.
    expect((await postEvents([approval])).json).toMatchObject({ applied: 0, duplicate: 1 });
    expect((await storedState(phone.phoneNumberId)).history).toHaveLength(2);

    // Another event of the same content, dated otherwise, is another event: it applies.
    const again = webhookEvent(phone, future + 100, "approved", approval.username);
    expect((await postEvents([again])).json).toMatchObject({ applied: 1 });
    expect((await storedState(phone.phoneNumberId)).phone).toMatchObject({
      source: "webhook",
      username: approval.username,
    });
  });

  it("an API answer older than a webhook's event never regresses it", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const approved = name();
    // Meta's approval while the claim is in flight (slow Meta): the approval is the newer event.
    world.sandbox.injectFault({ mode: "slow", delayMs: 1_500, path: phone.phoneNumberId });
    const claim = callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      body: { username: name() },
    });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(
      (await postEvents([webhookEvent(phone, Math.floor(Date.now() / 1000), "approved", approved)])).json,
    ).toMatchObject({
      applied: 1,
    });
    expect((await claim).status).toBe(200);
    // Recorded after the claim's answer? Then the webhook (dated after the answer arrived) is newer.
    expect((await storedState(phone.phoneNumberId)).phone).toMatchObject({
      username: approved,
      source: "webhook",
    });
  });
});
