import type { Context, DynamoDBStreamEvent } from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamEvent } from "../../bench/stream-event.ts";
import { type LocalEvents, startLocalEvents } from "../../dev/local-events.ts";
import { readFeed, readFeedHead } from "../../functions/core/store/event-feed.ts";
import { handler as sequencer } from "../../functions/tenant-webhooks/sequence-changes.ts";
import { historyItem, type Item } from "../support/history-item.ts";
import { lambdaContext } from "../support/lambda.ts";
import { isCancelledTransaction, recordStoreCalls } from "../support/store-calls.ts";
import { uniqueDigits, useWorld } from "../support/world.ts";

const world = useWorld({ stream: true });
let events: LocalEvents;

beforeAll(async () => {
  events = await startLocalEvents({
    dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT as string,
    tableName: world.tableName,
    pollIntervalMs: 25,
    sweepIntervalMs: 60_000,
    retryDelayMs: 200,
    log: () => undefined,
  });
});
afterAll(async () => {
  await events?.stop();
});

const plan = fc.record({
  tenants: fc.integer({ min: 1, max: 3 }),
  shards: fc.integer({ min: 2, max: 8 }),
  numbers: fc.integer({ min: 4, max: 40 }),
  eventsPerNumber: fc.integer({ min: 1, max: 8 }),
  /** Records per stream batch (Lambda's batch size is up to 1000; smaller batches race more often). */
  batchSize: fc.integer({ min: 5, max: 120 }),
});
type Plan = typeof plan extends fc.Arbitrary<infer T> ? T : never;

const invokeSequencer = (event: DynamoDBStreamEvent) =>
  (sequencer as (e: DynamoDBStreamEvent, c: Context) => Promise<unknown>)(
    event,
    lambdaContext(60_000, "EventSequencer"),
  );

async function run(p: Plan) {
  const tag = uniqueDigits(6);
  const tenants = Array.from({ length: p.tenants }, (_, i) => `tenant-race-${tag}-${i}`);
  const numbers = Array.from({ length: p.numbers }, () => uniqueDigits(15));
  // A number's items share a partition key, hence a shard; its versions in order on that shard.
  const shards: Item[][] = Array.from({ length: p.shards }, () => []);
  const byNumber = new Map<string, string[]>();
  for (let version = 1; version <= p.eventsPerNumber; version++) {
    numbers.forEach((number, n) => {
      const item = historyItem({
        tenantId: tenants[n % tenants.length] as string,
        phoneNumberId: number,
        version,
        username: `feed_${version}`,
        status: version % 2 === 0 ? "approved" : "reserved",
        origin: "outside",
      });
      shards[n % p.shards]?.push(item);
      byNumber.set(number, [...(byNumber.get(number) ?? []), item.eventId?.S as string]);
    });
  }
  const total = p.numbers * p.eventsPerNumber;

  const recorded = recordStoreCalls();
  try {
    // Each shard's batches one after the other (parallelization factor 1), the shards at once.
    await Promise.all(
      shards.map(async (records) => {
        for (let i = 0; i < records.length; i += p.batchSize) {
          await invokeSequencer(streamEvent(records.slice(i, i + p.batchSize)));
        }
      }),
    );
    await expect
      .poll(async () => (await Promise.all(tenants.map((t) => readFeedHead(t)))).reduce((s, h) => s + h, 0), {
        timeout: 60_000,
        interval: 100,
      })
      .toBe(total);

    const seen = new Map<string, number>();
    const order = new Map<string, string[]>();
    for (const tenantId of tenants) {
      const head = await readFeedHead(tenantId);
      const page = await readFeed(tenantId, { after: 0, limit: Math.max(1, head) });
      // Dense: 1..head, nothing missing, nothing after the head.
      expect(page.complete).toBe(true);
      expect(page.entries.map((e) => e.sequence)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      for (const { event } of page.entries) {
        seen.set(event.id, (seen.get(event.id) ?? 0) + 1);
        const number = event.data.phone_number_id;
        order.set(number, [...(order.get(number) ?? []), event.id]);
      }
    }
    // Every event exactly once, in its number's order.
    expect(seen.size).toBe(total);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    for (const [number, ids] of byNumber) expect(order.get(number), number).toEqual(ids);

    const appends = recorded.calls.filter((c) => c.command === "TransactWriteItemsCommand");
    expect(appends.length).toBeGreaterThan(0);
    // No append lost a race for a head: none was cancelled and tried again.
    const cancelled = appends.filter(isCancelledTransaction).length;
    expect(cancelled, `${cancelled} of ${appends.length} appends cancelled`).toBe(0);
  } finally {
    recorded.restore();
  }
}

describe("one tenant's events on many stream shards at once", { timeout: 300_000 }, () => {
  it("end in dense feeds, every event once and in its number's order, with no cancelled append", async () => {
    await fc.assert(fc.asyncProperty(plan, run), {
      numRuns: 4,
      endOnFailure: true,
      // The measured case of docs/scale.md: one tenant, 16 shards, batches side by side.
      examples: [[{ tenants: 1, shards: 16, numbers: 64, eventsPerNumber: 8, batchSize: 40 }]],
    });
  });
});
