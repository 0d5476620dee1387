/**
 * One planner, one committer: a number's changes applied one by one and as batches end in the
 * same records and histories. Property (fast-check, seeded; a failure prints its seed): random
 * interleavings of Meta's answers (POST, DELETE, a GET's or the reconciler's read; read before the
 * call or with a write in flight), webhook deliveries (duplicates, reordering, late and untimed
 * entries, malformed entries, revocations) and transfers between the numbers of one portfolio are
 * applied to two identical portfolios: in one, each webhook change is its own delivery (in the
 * order the batch path applies them: event time, stable); in the other, each delivery is one
 * batch. Both end with the same records and histories (origins and requesters included), and
 * each keeps the invariants: version =
 * number of history items, the newest item is the state, every holder marker names the number
 * holding the name.
 */
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyUsernameUpdates } from "../../functions/core/meta-webhook/username-updates.ts";
import { dynamo, tableName } from "../../functions/core/store/client.ts";
import { keys } from "../../functions/core/store/keys.ts";
import { getIntent } from "../../functions/core/store/number-line.ts";
import { commitUsernameChange } from "../../functions/core/store/state-committer.ts";
import { webhookEnvelopeSchema } from "../../functions/core/validation/webhook.ts";
import { expectConsistent } from "../reliability/helpers/store-snapshot.ts";
import { type SeededPhone, seedPhone, seedTenant, uniqueDigits, useWorld } from "../support/world.ts";

const world = useWorld();

const NUMBERS = 3;
/** Names differing only in case are one name; period and underscore are significant. */
const NAMES = ["lucky_shrub", "Lucky_Shrub", "lucky.shrub", "kapso_ai"] as const;
const STATUSES = ["reserved", "approved", "deleted", "under_review"] as const;
/** Every event lies in these few seconds (past, so none counts as dated ahead of its delivery). */
const BASE = Math.floor(Date.now() / 1000) - 600;

const entry = fc.record({
  /** Seconds after BASE; undefined: the entry has no `time`. */
  second: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined, freq: 6 }),
  status: fc.constantFrom(...STATUSES),
  name: fc.option(fc.constantFrom(...NAMES), { nil: undefined, freq: 5 }),
  revoked: fc.boolean(),
  malformed: fc.constantFrom(false, false, false, false, "entry" as const, "value" as const),
});
type Entry = ReturnType<typeof entry.generate>["value"];

const step = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("delivery" as const),
      number: fc.integer({ min: 0, max: NUMBERS - 1 }),
      entries: fc.array(entry, { minLength: 1, maxLength: 5 }),
      /** Repeat some of this delivery's entries (Meta redelivers). */
      repeat: fc.array(fc.nat(), { maxLength: 2 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("answer" as const),
      number: fc.integer({ min: 0, max: NUMBERS - 1 }),
      operation: fc.constantFrom("claim" as const, "delete" as const, "read" as const),
      name: fc.constantFrom(...NAMES),
      status: fc.constantFrom("reserved" as const, "approved" as const),
      /** Milliseconds after BASE the call was sent, and how long it took. */
      sentMs: fc.integer({ min: 0, max: 4_999 }),
      tookMs: fc.integer({ min: 1, max: 1_500 }),
      /** The record was written while the call was in flight (the answer is judged by the rule). */
      writtenMeanwhile: fc.boolean(),
      source: fc.constantFrom("api" as const, "reconcile" as const),
    }),
  },
);
type Step = ReturnType<typeof step.generate>["value"];

interface Portfolio {
  phones: SeededPhone[];
  label: (phoneNumberId: string | undefined) => string | undefined;
}

async function portfolio(): Promise<Portfolio> {
  const tenant = await seedTenant();
  const businessId = uniqueDigits(15);
  const wabaId = uniqueDigits(15);
  const phones: SeededPhone[] = [];
  for (let i = 0; i < NUMBERS; i++) phones.push(await seedPhone(world, tenant, { businessId, wabaId }));
  return {
    phones,
    label: (id) => (id === undefined ? undefined : `#${phones.findIndex((p) => p.phoneNumberId === id)}`),
  };
}

/** A delivery's entries as Meta sends them; a malformed entry or value is skipped and counted by the service. */
function payload(phone: SeededPhone, entries: readonly Entry[]) {
  return webhookEnvelopeSchema.parse({
    object: "whatsapp_business_account",
    entry: entries.map((e) =>
      e.malformed === "entry"
        ? { id: 12345, changes: [] }
        : {
            id: phone.wabaId,
            ...(e.second !== undefined ? { time: BASE + e.second } : {}),
            changes: [
              {
                field: "business_username_updates",
                value:
                  e.malformed === "value"
                    ? { display_phone_number: phone.displayPhoneNumber, status: 42 }
                    : {
                        display_phone_number: phone.displayPhoneNumber,
                        status: e.status,
                        ...(e.status !== "deleted" && e.name ? { username: e.name } : {}),
                        ...(e.revoked ? { context: "revoked" } : {}),
                      },
              },
            ],
          },
    ),
  });
}

/** The order the batch path applies a delivery's changes in: by event time, stable (untimed: its receipt). */
function appliedOrder(entries: readonly Entry[]): Entry[] {
  const now = Math.floor(Date.now() / 1000);
  return [...entries].sort(
    (a, b) =>
      (a.second === undefined ? now : BASE + a.second) - (b.second === undefined ? now : BASE + b.second),
  );
}

async function apply(target: Portfolio, steps: readonly Step[], oneByOne: boolean): Promise<void> {
  for (const s of steps) {
    const phone = target.phones[s.number] as SeededPhone;
    if (s.kind === "delivery") {
      const entries = [...s.entries, ...s.repeat.map((i) => s.entries[i % s.entries.length] as Entry)];
      if (!oneByOne) await applyUsernameUpdates(payload(phone, entries), "batch");
      else for (const e of appliedOrder(entries)) await applyUsernameUpdates(payload(phone, [e]), "one");
      continue;
    }
    const { phone: record } = await expectConsistent(phone.phoneNumberId);
    const sentAt = BASE * 1000 + s.sentMs;
    await commitUsernameChange({
      phoneNumberId: phone.phoneNumberId,
      changes: [
        {
          kind: "answer",
          source: s.source,
          state: s.operation === "delete" ? { status: "deleted" } : { username: s.name, status: s.status },
          observation: {
            kind: s.operation === "read" ? "read" : "write",
            sentAt,
            receivedAt: sentAt + s.tookMs,
          },
          readBeforeSent: (record?.version ?? 0) - (s.writtenMeanwhile ? 1 : 0),
          requestId: "answer",
          ...(s.source === "api" ? { requestedBy: `key_${s.number}` } : {}),
        },
      ],
    });
  }
}

/** What the two portfolios must agree on: each number's record, history and line, by label. */
async function snapshot(target: Portfolio) {
  const numbers = [];
  for (const phone of target.phones) {
    const { phone: record, history } = await expectConsistent(phone.phoneNumberId);
    numbers.push({
      record: {
        username: record?.username,
        status: record?.status,
        context: record?.context,
        source: record?.source,
        version: record?.version,
        stateEpoch: record?.stateEpoch,
        stateSentAt: record?.stateSentAt,
        stateReceivedAt: record?.stateReceivedAt,
        stateEvent: record?.stateEvent,
        requestedOperation: record?.requestedOperation,
        requestedUsername: record?.requestedUsername,
        requestedBy: record?.requestedBy,
      },
      history: history.map((h) => ({
        version: h.version,
        source: h.source,
        username: h.username,
        status: h.status,
        previousUsername: h.previousUsername,
        previousStatus: h.previousStatus,
        context: h.context,
        eventTime: h.eventTime,
        transferredTo: target.label(h.transferredTo),
        transferredFrom: target.label(h.transferredFrom),
        origin: h.origin,
        requestedBy: h.requestedBy,
      })),
      unresolved: (await getIntent(phone.phoneNumberId))?.unresolved === true,
    });
  }
  return numbers;
}

/** Every holder marker of the portfolio names the number whose record holds that name, and each held name has one. */
async function expectHolderMarkersRight(target: Portfolio): Promise<void> {
  const businessId = (target.phones[0] as SeededPhone).businessId;
  const { Items = [] } = await dynamo().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :names)",
      ExpressionAttributeValues: { ":pk": keys.usernameHolder(businessId, "x").pk, ":names": "USERNAME#" },
      ConsistentRead: true,
    }),
  );
  const markers = Object.fromEntries(
    Items.map((item) => [
      String(item.sk).slice("USERNAME#".length),
      target.label(String(item.phoneNumberId)),
    ]),
  );
  const held: Record<string, string | undefined> = {};
  for (const phone of target.phones) {
    const { phone: record } = await expectConsistent(phone.phoneNumberId);
    if (record?.username) held[record.username.toLowerCase()] = target.label(phone.phoneNumberId);
  }
  expect(markers).toEqual(held);
}

describe("the planner and the committer", () => {
  it("apply a number's changes one by one and as batches to the same records and histories", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        const [one, batch] = [await portfolio(), await portfolio()];
        await apply(one, steps, true);
        await apply(batch, steps, false);
        expect(await snapshot(batch)).toEqual(await snapshot(one));
        await expectHolderMarkersRight(one);
        await expectHolderMarkersRight(batch);
        // Every change says who made it.
        for (const number of await snapshot(batch)) {
          for (const change of number.history) {
            expect(["this_service", "outside"]).toContain(change.origin);
            if (change.origin === "outside") expect(change.requestedBy).toBeUndefined();
          }
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 30) },
    );
  }, 240_000);
});
