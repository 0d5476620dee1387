import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { setDynamoClient } from "../../functions/core/store/client.ts";
import { buildWebhookPayload, type WebhookEvent } from "../../meta-sandbox/index.ts";
import { shuffled } from "../support/randomness.ts";
import { injectStorageFaults, storageError } from "../support/storage-faults.ts";
import { callUsernameApi } from "../support/username-client.ts";
import {
  APP_SECRET,
  configureWebhookSecrets,
  postEvents,
  postWebhook,
  startWebhookReceiver,
  verifyWebhook,
  webhookEvent,
} from "../support/webhook-client.ts";
import { type SeededPhone, seedPhone, seedTenant, storedState, useWorld } from "../support/world.ts";

const world = useWorld();
beforeAll(configureWebhookSecrets);

async function seedNumber(overrides: Record<string, unknown> = {}): Promise<SeededPhone> {
  return seedPhone(world, await seedTenant(), overrides);
}

describe("GET /meta/whatsapp/webhook (verification)", () => {
  it("answers the challenge byte for byte as text/plain when the verify token matches", async () => {
    const challenge = "1158201444 ñ 🌵 <b>";
    const answer = await verifyWebhook({
      "hub.mode": "subscribe",
      "hub.verify_token": "test-verify-token",
      "hub.challenge": challenge,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(challenge);
    expect(answer.headers["content-type"]).toMatch(/^text\/plain/);
  });

  it.each([
    ["a wrong token", { "hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1" }],
    [
      "a longer token",
      { "hub.mode": "subscribe", "hub.verify_token": "test-verify-token!", "hub.challenge": "1" },
    ],
    [
      "a wrong mode",
      { "hub.mode": "unsubscribe", "hub.verify_token": "test-verify-token", "hub.challenge": "1" },
    ],
    ["no challenge", { "hub.mode": "subscribe", "hub.verify_token": "test-verify-token" }],
    ["nothing", {}],
  ])("answers 403 to %s", async (_, query) => {
    const answer = await verifyWebhook(query as Record<string, string>);
    expect(answer.status).toBe(403);
    expect(answer.body).not.toContain("test-verify-token");
  });
});

describe("POST /meta/whatsapp/webhook", () => {
  it("applies an approval: state, status, event time and a webhook history event", async () => {
    const phone = await seedNumber();
    const answer = await postEvents([webhookEvent(phone, 1_700_000_000, "approved", "lucky_shrub_1")]);

    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ applied: 1, changes: 1 });
    const { phone: stored, history } = await storedState(phone.phoneNumberId);
    expect(stored).toMatchObject({
      username: "lucky_shrub_1",
      status: "approved",
      source: "webhook",
      stateEpoch: 1_700_000_000,
    });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      source: "webhook",
      username: "lucky_shrub_1",
      status: "approved",
      eventTime: 1_700_000_000,
    });
  });

  it("accepts the older field spelling and a base64-encoded body, and stores context", async () => {
    const phone = await seedNumber();
    await postEvents([webhookEvent(phone, 100, "approved", "old_spelling")], "business_username_update");
    expect((await storedState(phone.phoneNumberId)).phone?.username).toBe("old_spelling");

    const { buildWebhookPayload } = await import("../../meta-sandbox/index.ts");
    const body = JSON.stringify(
      buildWebhookPayload([webhookEvent(phone, 200, "deleted", undefined, "revoked")]),
    );
    const answer = await postWebhook(body, { base64: true });
    expect(answer.status).toBe(200);
    const { phone: stored, history } = await storedState(phone.phoneNumberId);
    expect(stored?.username).toBeUndefined();
    expect(stored).toMatchObject({ status: "deleted", context: "revoked" });
    expect(history.at(-1)).toMatchObject({
      previousUsername: "old_spelling",
      status: "deleted",
      context: "revoked",
    });
  });

  it("tolerates unknown properties and compares display numbers by digits only", async () => {
    const phone = await seedNumber();
    const body = JSON.stringify({
      object: "whatsapp_business_account",
      future: { anything: true },
      entry: [
        {
          id: phone.wabaId,
          time: 500,
          extra: 1,
          changes: [
            {
              field: "business_username_updates",
              value: {
                display_phone_number: `+${phone.displayPhoneNumber.slice(0, 1)} ${phone.displayPhoneNumber.slice(1, 4)}-${phone.displayPhoneNumber.slice(4)}`,
                username: "digits_only",
                status: "reserved",
                brand_new_property: [1, 2],
              },
            },
          ],
        },
      ],
    });
    const answer = await postWebhook(body);
    expect(answer.status).toBe(200);
    expect((await storedState(phone.phoneNumberId)).phone).toMatchObject({
      username: "digits_only",
      status: "reserved",
    });
  });

  it("acknowledges and ignores other fields", async () => {
    const phone = await seedNumber();
    const body = JSON.stringify({
      object: "whatsapp_business_account",
      entry: [
        {
          id: phone.wabaId,
          changes: [
            { field: "messages", value: { messaging_product: "whatsapp", messages: [{ id: "wamid.1" }] } },
            { field: "account_update", value: { event: "VERIFIED_ACCOUNT" } },
          ],
        },
      ],
    });
    const answer = await postWebhook(body);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ changes: 2, ignored: 2, applied: 0 });
    expect((await storedState(phone.phoneNumberId)).history).toEqual([]);
  });

  it("acknowledges an unknown number with 200 so Meta does not retry it", async () => {
    const answer = await postEvents([
      {
        wabaId: "999000111",
        displayPhoneNumber: "15550000000",
        time: 1,
        status: "approved",
        username: "nobody_here",
      },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ unknownNumber: 1, applied: 0 });
  });

  it.each([
    ["malformed JSON", "{not json"],
    ["an object that is not a string", JSON.stringify({ object: 42, entry: [] })],
    ["no entry array", JSON.stringify({ object: "whatsapp_business_account" })],
    ["a JSON array", "[]"],
  ])("answers 400 to %s", async (_, body) => {
    const answer = await postWebhook(body);
    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe(100);
  });

  it.each([
    ["no signature", null],
    ["a wrong signature", `sha256=${"ab".repeat(32)}`],
    ["no prefix", "ab".repeat(32)],
    ["a short signature", "sha256=abcd"],
    ["non-hex", `sha256=${"zz".repeat(32)}`],
  ])("answers 401 to %s and stores nothing", async (_, signature) => {
    const phone = await seedNumber();
    const { buildWebhookPayload } = await import("../../meta-sandbox/index.ts");
    const body = JSON.stringify(buildWebhookPayload([webhookEvent(phone, 10, "approved", "unsigned_name")]));
    const answer = await postWebhook(body, { signature });
    expect(answer.status).toBe(401);
    expect((await storedState(phone.phoneNumberId)).history).toEqual([]);
  });

  it("answers 401 to a body signed with another secret, and accepts the previous secret during rotation", async () => {
    const phone = await seedNumber();
    const { buildWebhookPayload } = await import("../../meta-sandbox/index.ts");
    const body = JSON.stringify(buildWebhookPayload([webhookEvent(phone, 10, "approved", "rotated_name")]));
    expect((await postWebhook(body, { secret: "old-secret" })).status).toBe(401);
    process.env.META_APP_SECRET_PREVIOUS = "old-secret";
    try {
      expect((await postWebhook(body, { secret: "old-secret" })).status).toBe(200);
      expect((await postWebhook(body, { secret: APP_SECRET })).status).toBe(200);
    } finally {
      delete process.env.META_APP_SECRET_PREVIOUS;
    }
    expect((await storedState(phone.phoneNumberId)).history).toHaveLength(1);
  });

  it("applies a batch across WABAs and numbers", async () => {
    const phones = await Promise.all([seedNumber(), seedNumber(), seedNumber()]);
    const events = phones.flatMap((phone, i) => [
      webhookEvent(phone, 1000 + i, "reserved", `batch_name_${i}`),
      webhookEvent(phone, 2000 + i, "approved", `batch_name_${i}`),
    ]);
    const answer = await postEvents(events);
    expect(answer.json).toMatchObject({ changes: 6, applied: 6 });
    for (const [i, phone] of phones.entries()) {
      const { phone: stored, history } = await storedState(phone.phoneNumberId);
      expect(stored).toMatchObject({ username: `batch_name_${i}`, status: "approved", stateEpoch: 2000 + i });
      expect(history.map((h) => h.status)).toEqual(["reserved", "approved"]);
    }
  });
});

describe("ordering and duplicates", () => {
  it("a duplicate delivery changes nothing and adds no history", async () => {
    const phone = await seedNumber();
    const events = [webhookEvent(phone, 3000, "approved", "dup_name")];
    await postEvents(events);
    const again = await postEvents(events);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ applied: 0 });
    expect((await storedState(phone.phoneNumberId)).history).toHaveLength(1);
  });

  it("a duplicate of an older event never re-applies it, even at the same second", async () => {
    const phone = await seedNumber();
    await postEvents([webhookEvent(phone, 4000, "approved", "same_second")]);
    await postEvents([webhookEvent(phone, 4000, "deleted")]);
    const replay = await postEvents([webhookEvent(phone, 4000, "approved", "same_second")]);
    expect(replay.json).toMatchObject({ applied: 0, duplicate: 1 });
    const { phone: stored } = await storedState(phone.phoneNumberId);
    expect(stored?.status).toBe("deleted");
  });

  it("an event older than the stored state does not overwrite it", async () => {
    const phone = await seedNumber();
    await postEvents([webhookEvent(phone, 5000, "deleted")]);
    const older = await postEvents([webhookEvent(phone, 4999, "approved", "too_late")]);
    expect(older.json).toMatchObject({ applied: 0, stale: 1 });
    const { phone: stored, history } = await storedState(phone.phoneNumberId);
    expect(stored?.status).toBe("deleted");
    expect(stored?.username).toBeUndefined();
    expect(history).toHaveLength(1);
  });

  it("concurrent, duplicated, shuffled deliveries end in exactly the newest event's state", async () => {
    const phone = await seedNumber();
    const events = Array.from({ length: 12 }, (_, i) =>
      i % 3 === 2
        ? webhookEvent(phone, 6000 + i, "deleted")
        : webhookEvent(phone, 6000 + i, i % 2 ? "approved" : "reserved", `conc_${i}`),
    );
    const newest = events.at(-1) as WebhookEvent;
    const deliveries = shuffled([...events, ...events]);
    const answers = await Promise.all(deliveries.map((e) => postEvents([e])));

    expect(answers.every((a) => a.status === 200)).toBe(true);
    const { phone: stored, history } = await storedState(phone.phoneNumberId);
    expect(stored?.status).toBe(newest.status);
    expect(stored?.username).toBe(newest.username);
    expect(stored?.stateEpoch).toBe(newest.time);
    const times = history.map((h) => h.eventTime ?? 0);
    expect(times).toEqual([...new Set(times)].sort((a, b) => a - b));
    // The newest event may repeat the state an earlier one already set: then it only moves the
    // as-of time (no history event), so the last event holds the newest state, not always its time.
    expect(history.at(-1)?.status).toBe(newest.status);
    expect(history.at(-1)?.username).toBe(newest.username);
    expect(history.at(-1)?.eventTime ?? 0).toBeLessThanOrEqual(newest.time);
    expect(history.map((h) => h.version)).toEqual(history.map((_, i) => i + 1));
  });
});

describe("large batches and storage faults", () => {
  afterEach(() => setDynamoClient(undefined));

  it("applies a 1000-change delivery (200 numbers × 5 changes)", async () => {
    const tenant = await seedTenant();
    const phones = await Promise.all(Array.from({ length: 200 }, () => seedPhone(world, tenant)));
    const events = phones.flatMap((phone, n) =>
      Array.from({ length: 5 }, (_, i) =>
        webhookEvent(phone, 10_000 + i, i === 4 ? "approved" : "reserved", `big_${n}_${i}`),
      ),
    );
    // What is checked is the batch's result, not its speed: the invocation gets the webhook
    // function's 20 s in AWS, and here as long as the shared machine needs (the deadline's own
    // behaviour is in state-integrity.test.ts, "deliveries").
    const answer = await postWebhook(JSON.stringify(buildWebhookPayload(shuffled(events))), {
      remainingMs: 110_000,
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ changes: 1000, applied: 1000 });
    for (const [n, phone] of phones.entries()) {
      const { phone: stored, history } = await storedState(phone.phoneNumberId);
      expect(stored).toMatchObject({ username: `big_${n}_4`, status: "approved" });
      expect(history).toHaveLength(5);
    }
  }, 120_000);

  it("answers 500 when storage fails part way, and the redelivery applies only what is missing", async () => {
    const tenant = await seedTenant();
    const phones = await Promise.all(Array.from({ length: 6 }, () => seedPhone(world, tenant)));
    const events = phones.map((phone, i) => webhookEvent(phone, 20_000, "approved", `fault_${i}`));

    // Fail the 3rd and 4th state writes as DynamoDB would when it is unavailable.
    const restore = injectStorageFaults((command, n) =>
      command.startsWith("TransactWrite") && (n === 3 || n === 4)
        ? storageError("ServiceUnavailable")
        : undefined,
    );

    const first = await postEvents(events);
    expect(first.status).toBe(500);
    const appliedFirst = (await Promise.all(phones.map((p) => storedState(p.phoneNumberId)))).filter(
      (s) => s.history.length === 1,
    ).length;
    expect(appliedFirst).toBe(4);

    restore();
    const redelivery = await postEvents(events);
    expect(redelivery.status).toBe(200);
    expect(redelivery.json).toMatchObject({ applied: 2, failed: 0 });
    // The four stored before the fault are recognised (same state, or the same delivery seen before).
    expect(redelivery.json.duplicate + redelivery.json.unchanged).toBe(4);
    for (const [i, phone] of phones.entries()) {
      const { phone: stored, history } = await storedState(phone.phoneNumberId);
      expect(stored?.username).toBe(`fault_${i}`);
      expect(history).toHaveLength(1);
    }
  });
});

describe("end to end through the sandbox", () => {
  it("a name claimed through the API (reserved) becomes approved when Meta's webhook arrives", async () => {
    const receiver = await startWebhookReceiver();
    world.sandbox.configureWebhook({ callbackUrl: receiver.url, appSecret: APP_SECRET });
    try {
      const tenant = await seedTenant();
      const phone = await seedPhone(world, tenant);
      const claim = await callUsernameApi("claim", phone.phoneNumberId, {
        apiKey: tenant.apiKey,
        body: { username: "e2e_approved" },
      });
      expect(claim.json).toEqual({ status: "reserved" });
      expect((await storedState(phone.phoneNumberId)).phone?.status).toBe("reserved");

      const deliveries = await world.sandbox.approve(phone.phoneNumberId, {
        time: Math.floor(Date.now() / 1000) + 1,
      });
      expect(deliveries.map((d) => d.status)).toEqual([200]);

      const { phone: stored, history } = await storedState(phone.phoneNumberId);
      expect(stored).toMatchObject({ username: "e2e_approved", status: "approved", source: "webhook" });
      expect(history.map((h) => [h.source, h.status])).toEqual([
        ["api", "reserved"],
        ["webhook", "approved"],
      ]);
    } finally {
      world.sandbox.configureWebhook(null);
      await receiver.close();
    }
  });
});
