/**
 * The in-process stand-in for the SQS FIFO feed queue (dev/events/local-fifo-queue.ts) behaves
 * as SQS FIFO with a Lambda consumer does, so `npm start` and the tests sequence feeds as AWS
 * would: a message group's messages reach the consumer in the order they were sent, one
 * invocation of a group at a time (its later messages wait while one is in flight or waiting out
 * its visibility timeout), groups side by side; failed messages come back in their order, then
 * go to the dead-letter queue after `maxReceives`; a message whose de-duplication id was seen in
 * the last 5 minutes is accepted and dropped.
 */
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLocalFifoQueue } from "../../dev/events/local-fifo-queue.ts";
import {
  deduplicationIdOf,
  type FeedMessage,
  messageGroupIdOf,
} from "../../functions/core/tenant-webhooks/feed-queue.ts";

type Event = FeedMessage["events"][number];

/** A message of the group with one event per id (only ids matter to the queue). */
const message = (group: string, ...ids: string[]): FeedMessage => ({
  tenantId: group,
  events: ids.map((id) => ({ id }) as unknown as Event),
});
const idOf = (body: string) => (JSON.parse(body) as FeedMessage).events.map((e) => e.id).join("+");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await sleep(5);
  }
}

describe("the local FIFO feed queue", () => {
  it("hands each group's messages over in order, one invocation of a group at a time, groups side by side; failures come back in order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 10 }),
        // Per message: how many of its receives fail before one succeeds (0 to 2).
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 24, maxLength: 24 }),
        fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 24, maxLength: 24 }),
        async (sendsPerGroup, groupSizes, batchSize, failTimes, delays) => {
          const groups = groupSizes.map((_, g) => `group-${g}`);
          const inFlight = new Map<string, number>();
          let concurrent = 0;
          let maxConcurrent = 0;
          const done: string[] = [];
          const receives = new Map<string, number>();
          const fails = (id: string) => failTimes[Number(id.split("-")[2]) % failTimes.length] as number;
          const queue = createLocalFifoQueue({
            batchSize,
            // A message handed back unprocessed behind a failed one of its group counts a receive too.
            maxReceives: 1_000,
            retryDelayMs: 5,
            async consume(event: SQSEvent): Promise<SQSBatchResponse> {
              const mine = [...new Set(event.Records.map((r) => r.attributes.MessageGroupId as string))];
              for (const group of mine) {
                expect(inFlight.get(group) ?? 0, `${group} in two invocations`).toBe(0);
                inFlight.set(group, 1);
              }
              concurrent += 1;
              maxConcurrent = Math.max(maxConcurrent, concurrent);
              await sleep(delays[done.length % delays.length] as number);
              const failures: string[] = [];
              const failedGroups = new Set<string>();
              for (const record of event.Records) {
                const id = idOf(record.body);
                const group = record.attributes.MessageGroupId as string;
                // Within a group, a consumer stops at its first failure (as the appender does).
                if (failedGroups.has(group)) {
                  failures.push(record.messageId);
                  continue;
                }
                const seen = (receives.get(id) ?? 0) + 1;
                receives.set(id, seen);
                if (seen <= fails(id)) {
                  failures.push(record.messageId);
                  failedGroups.add(group);
                } else done.push(id);
              }
              concurrent -= 1;
              for (const group of mine) inFlight.set(group, 0);
              return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
            },
            onDeadLetter: () => undefined,
            onError: (error) => {
              throw error;
            },
          });
          const sent = new Map<string, string[]>();
          let n = 0;
          for (let round = 0; round < sendsPerGroup; round++) {
            await queue.send(
              groups.flatMap((group, g) =>
                Array.from({ length: groupSizes[g] as number }, () => {
                  const id = `${group}-m-${n++}`;
                  sent.set(group, [...(sent.get(group) ?? []), id]);
                  return message(group, id);
                }),
              ),
            );
          }
          await queue.drained();
          await queue.close();
          // Each message consumed once, each group's in the order sent.
          for (const group of groups) {
            expect(done.filter((id) => id.startsWith(`${group}-`))).toEqual(sent.get(group));
          }
          if (groups.length > 1 && batchSize === 1) expect(maxConcurrent).toBeGreaterThan(1);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("a group whose message fails waits for it; the other groups do not", async () => {
    const order: string[] = [];
    let failing = true;
    const queue = createLocalFifoQueue({
      batchSize: 10,
      maxReceives: 5,
      retryDelayMs: 200,
      async consume(event) {
        const failures = [];
        let stopped = false;
        for (const record of event.Records) {
          const id = idOf(record.body);
          if (id.startsWith("a") && (failing || stopped)) {
            failing = false;
            stopped = true;
            failures.push({ itemIdentifier: record.messageId });
          } else order.push(id);
        }
        return { batchItemFailures: failures };
      },
      onDeadLetter: () => undefined,
      onError: () => undefined,
    });
    await queue.send([message("a", "a1"), message("b", "b1"), message("a", "a2")]);
    await until(() => order.includes("b1"));
    await queue.send([message("b", "b2")]);
    await until(() => order.includes("b2"));
    // a1 is waiting out its visibility timeout: a2 waits behind it.
    expect(order).toEqual(["b1", "b2"]);
    await queue.drained();
    expect(order).toEqual(["b1", "b2", "a1", "a2"]);
    await queue.close();
  });

  it("drops a message whose de-duplication id it saw in the window, and moves one failing maxReceives times to the dead-letter queue", async () => {
    const consumed: string[] = [];
    const dead: [string, number][] = [];
    const queue = createLocalFifoQueue({
      batchSize: 10,
      maxReceives: 3,
      retryDelayMs: 5,
      deduplicationWindowMs: 300,
      async consume(event) {
        const failures = [];
        for (const record of event.Records) {
          const id = idOf(record.body);
          expect(record.eventSourceARN).toMatch(/\.fifo$/);
          expect(record.attributes.MessageDeduplicationId).toBe(
            deduplicationIdOf(JSON.parse(record.body) as FeedMessage),
          );
          expect(record.attributes.MessageGroupId).toBe(messageGroupIdOf(JSON.parse(record.body)));
          expect(record.attributes.SequenceNumber).toMatch(/^\d+$/);
          if (id === "poison") failures.push({ itemIdentifier: record.messageId });
          else consumed.push(id);
        }
        return { batchItemFailures: failures };
      },
      onDeadLetter: (m, receives) => dead.push([m.events.map((e) => e.id).join("+"), receives]),
      onError: () => undefined,
    });
    await queue.send([message("g", "x1")]);
    await queue.send([message("g", "x1")]);
    await queue.drained();
    expect(consumed).toEqual(["x1"]);
    await sleep(350);
    await queue.send([message("g", "x1")]);
    await queue.drained();
    expect(consumed).toEqual(["x1", "x1"]);

    await queue.send([message("g", "poison"), message("g", "after")]);
    await queue.drained();
    // After the dead-letter queue took it, the group goes on.
    expect(dead).toEqual([["poison", 3]]);
    expect(consumed).toEqual(["x1", "x1", "after"]);
    await queue.close();
  });
});
