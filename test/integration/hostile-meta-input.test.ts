/**
 * What Meta sends is checked like what a client sends (docs/reliability.md, "Deliveries"): every
 * field taken from a delivery has a charset and a length, a change with a malformed field is
 * malformed (counted, the rest applied) and never fails the whole delivery; a delivery for many
 * unknown numbers writes one line, not one per number; an entry without time stays a duplicate
 * for as long as the number exists, not only while a marker's TTL lasts; and a business
 * portfolio belongs to one tenant.
 */
import { DeleteCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { BusinessTakenError, registerPhone } from "../../functions/core/admin/numbers.ts";
import { logger } from "../../functions/core/logger.ts";
import { dynamo, tableName } from "../../functions/core/store/client.ts";
import { expectConsistent } from "../reliability/helpers/store-snapshot.ts";
import { captureMetrics } from "../support/metric-lines.ts";
import { callUsernameApi } from "../support/username-client.ts";
import { configureWebhookSecrets, postEvents, postWebhook, webhookEvent } from "../support/webhook-client.ts";
import { seedPhone, seedTenant, uniqueDigits, uniqueUsername, useWorld } from "../support/world.ts";

const world = useWorld();
beforeAll(configureWebhookSecrets);
const now = () => Math.floor(Date.now() / 1000);

function delivery(wabaId: string, time: number | undefined, values: readonly unknown[]): string {
  return JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: wabaId,
        ...(time !== undefined ? { time } : {}),
        changes: values.map((value) => ({ field: "business_username_updates", value })),
      },
    ],
  });
}

describe("fields taken from Meta", () => {
  it("a status or context with control characters, or too long, makes its change malformed; the rest applies", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const good = uniqueUsername("fields");
    const display = phone.displayPhoneNumber;
    const answer = await postWebhook(
      delivery(phone.wabaId, now() - 60, [
        { display_phone_number: display, username: uniqueUsername("esc"), status: "approved\u001b[31m" },
        { display_phone_number: display, username: uniqueUsername("long"), status: "x".repeat(200) },
        { display_phone_number: display, status: "deleted", context: "r".repeat(450_000) },
        { display_phone_number: display, status: "deleted", context: "revoked\u0007" },
        { display_phone_number: display, username: "bidi\u202Ename", status: "approved" },
        { display_phone_number: `${"1".repeat(40)}`, username: uniqueUsername("num"), status: "approved" },
        { display_phone_number: display, username: good, status: "reserved" },
      ]),
    );
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ applied: 1, malformed: 6, failed: 0 });
    const { phone: stored, history } = await expectConsistent(phone.phoneNumberId);
    expect(stored).toMatchObject({ username: good, status: "reserved" });
    expect(history).toHaveLength(1);
  });

  it("a future status Meta adds is stored as given", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const answer = await postEvents([
      webhookEvent(phone, now() - 5, "pending_review", uniqueUsername("future")),
    ]);
    expect(answer.json).toMatchObject({ applied: 1, malformed: 0 });
    expect((await expectConsistent(phone.phoneNumberId)).phone?.status).toBe("pending_review");
  });

  it("many unknown numbers in one delivery: one line for all of them", async () => {
    const metrics = captureMetrics();
    const warned = vi.spyOn(logger, "warn");
    try {
      const wabas = Array.from({ length: 30 }, () => uniqueDigits(15));
      const events = Array.from({ length: 300 }, (_, i) =>
        webhookEvent(
          { wabaId: wabas[i % wabas.length] as string, displayPhoneNumber: `1555${uniqueDigits(7)}` },
          now() - 5,
          "approved",
          `nobody_${i}`,
        ),
      );
      const answer = await postEvents(events);
      expect(answer.json).toMatchObject({ unknownNumber: 300 });
      expect(metrics.linesOf("UnknownPhoneNumber")).toEqual([
        expect.objectContaining({ UnknownPhoneNumber: 300, numbers: "300", wabas: "30" }),
      ]);
      // The metric line is the summary: no log line per unknown number beside it.
      expect(
        warned.mock.calls.filter(([message]) => String(message).includes("unknown phone number")),
      ).toEqual([]);
    } finally {
      metrics.stop();
      warned.mockRestore();
    }
  });
});

describe("many malformed changes in one delivery", () => {
  it("one log line for all of them, with counts and a few examples; the valid change applied", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const warned = vi.spyOn(logger, "warn");
    try {
      const bad = Array.from({ length: 400 }, (_, i) => ({
        display_phone_number: phone.displayPhoneNumber,
        username: `bad_${i}`,
        status: "a b",
      }));
      const good = {
        display_phone_number: phone.displayPhoneNumber,
        username: uniqueUsername("good"),
        status: "approved",
      };
      const payload = JSON.parse(delivery(phone.wabaId, now() - 5, [...bad, good]));
      // Entries that are not a WhatsApp Business Account entry at all.
      payload.entry.push(...Array.from({ length: 50 }, () => ({ id: 42, changes: "none" })));
      const answer = await postWebhook(JSON.stringify(payload));
      expect(answer.json).toMatchObject({ applied: 1, malformed: 450 });
      const lines = warned.mock.calls.filter(([message]) => String(message).includes("malformed"));
      expect(lines).toHaveLength(1);
      expect(lines[0]?.[1]).toMatchObject({ malformedEntries: 50, malformedUpdates: 400 });
      expect((lines[0]?.[1] as { firstUpdates?: unknown[] } | undefined)?.firstUpdates).toHaveLength(5);
    } finally {
      warned.mockRestore();
    }
  });
});

describe("an entry without time", () => {
  it("stays a duplicate after every marker with a lifetime is gone (8 days later)", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const untimed = delivery(phone.wabaId, undefined, [
      {
        display_phone_number: phone.displayPhoneNumber,
        username: uniqueUsername("untimed"),
        status: "approved",
      },
    ]);
    expect((await postWebhook(untimed)).json).toMatchObject({ applied: 1 });
    expect((await postEvents([webhookEvent(phone, now() - 1, "deleted")])).json).toMatchObject({
      applied: 1,
    });

    // DynamoDB's TTL, 8 days on: every item whose expiresAt has passed is gone.
    const inEightDays = now() + 8 * 24 * 3600 + 60;
    const { Items = [] } = await dynamo().send(
      new ScanCommand({
        TableName: tableName(),
        FilterExpression: "begins_with(pk, :pk) AND expiresAt < :then",
        ExpressionAttributeValues: { ":pk": `PHONE#${phone.phoneNumberId}`, ":then": inEightDays },
        ConsistentRead: true,
      }),
    );
    for (const item of Items) {
      await dynamo().send(new DeleteCommand({ TableName: tableName(), Key: { pk: item.pk, sk: item.sk } }));
    }

    expect((await postWebhook(untimed)).json).toMatchObject({ applied: 0, duplicate: 1 });
    const { phone: stored } = await expectConsistent(phone.phoneNumberId);
    expect(stored).toMatchObject({ status: "deleted" });
  });
});

describe("a business portfolio belongs to one tenant", () => {
  it("another tenant cannot register a number under it, and so never takes names from its numbers", async () => {
    const [mine, theirs] = [await seedTenant(), await seedTenant()];
    const businessId = uniqueDigits(15);
    const phone = await seedPhone(world, mine, { businessId });
    const name = uniqueUsername("portfolio");
    expect(
      (await callUsernameApi("claim", phone.phoneNumberId, { apiKey: mine.apiKey, body: { username: name } }))
        .status,
    ).toBe(200);

    const attempt = registerPhone({
      tenantId: theirs.tenantId,
      phoneNumberId: uniqueDigits(15),
      wabaId: uniqueDigits(15),
      businessId,
      displayPhoneNumber: `1555${uniqueDigits(7)}`,
      accessToken: "EAAG-other-tenant",
    });
    await expect(attempt).rejects.toBeInstanceOf(BusinessTakenError);
    await expect(attempt).rejects.not.toThrow(mine.tenantId);
    // The same tenant adds more numbers to its portfolio as before.
    await seedPhone(world, mine, { businessId });
    expect((await expectConsistent(phone.phoneNumberId)).phone?.username).toBe(name);
  });
});
