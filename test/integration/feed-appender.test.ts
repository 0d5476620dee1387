import type { Context, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { streamEvent } from "../../bench/stream-event.ts";
import { addEndpoint } from "../../functions/core/admin/endpoint-registration.ts";
import { readFeed, readFeedHead } from "../../functions/core/store/event-feed.ts";
import {
  type DeliveryMessage,
  FIRST_AGAIN_DELAY_SECONDS,
  setLocalDeliveryQueue,
} from "../../functions/core/tenant-webhooks/delivery-queue.ts";
import {
  deduplicationIdOf,
  type FeedMessage,
  messageGroupIdOf,
  setLocalFeedQueue,
} from "../../functions/core/tenant-webhooks/feed-queue.ts";
import { handler as appender } from "../../functions/tenant-webhooks/append-to-feed.ts";
import { handler as sequencer } from "../../functions/tenant-webhooks/sequence-changes.ts";
import { historyItem, type Item } from "../support/history-item.ts";
import { lambdaContext } from "../support/lambda.ts";
import { injectStorageFaults, storageError } from "../support/storage-faults.ts";
import { recordStoreCalls } from "../support/store-calls.ts";
import { uniqueDigits, useWorld } from "../support/world.ts";

useWorld();

let fifo: FeedMessage[];
let deliveries: { messages: DeliveryMessage[]; delaySeconds: number }[];

beforeEach(() => {
  fifo = [];
  deliveries = [];
  setLocalFeedQueue({
    async send(messages) {
      fifo.push(...messages);
    },
  });
  setLocalDeliveryQueue({
    async send(messages, delaySeconds = 0) {
      deliveries.push({ messages: [...messages], delaySeconds });
    },
  });
});
afterEach(() => {
  setLocalFeedQueue(undefined);
  setLocalDeliveryQueue(undefined);
});

/** `count` events of the tenant over `numbers` numbers, each number's in version order; every third from outside. */
function historyItems(tenantId: string, count: number, numbers = 5): Item[] {
  const ids = Array.from({ length: numbers }, () => uniqueDigits(15));
  return Array.from({ length: count }, (_, i) =>
    historyItem({
      tenantId,
      phoneNumberId: ids[i % numbers] as string,
      version: Math.floor(i / numbers) + 1,
      username: `appender_${Math.floor(i / numbers) + 1}`,
      status: "reserved",
      origin: i % 3 === 0 ? "outside" : "this_service",
    }),
  );
}

const invokeSequencer = (event: DynamoDBStreamEvent) =>
  (sequencer as (e: DynamoDBStreamEvent, c: Context) => Promise<unknown>)(
    event,
    lambdaContext(60_000, "EventSequencer"),
  );

let messageCounter = 0;
/** Lambda's SQSEvent for FIFO messages, as the event source mapping hands them over. */
function fifoEvent(messages: readonly (FeedMessage | string)[], receives = 1): SQSEvent {
  return {
    Records: messages.map((message) => {
      messageCounter += 1;
      const body = typeof message === "string" ? message : JSON.stringify(message);
      const attributes = typeof message === "string" ? { tenantId: "malformed", events: [] } : message;
      return {
        messageId: `msg-${messageCounter}`,
        receiptHandle: `receipt-${messageCounter}`,
        body,
        attributes: {
          ApproximateReceiveCount: String(receives),
          SentTimestamp: String(Date.now()),
          SenderId: "test",
          ApproximateFirstReceiveTimestamp: String(Date.now()),
          MessageGroupId: messageGroupIdOf(attributes),
          MessageDeduplicationId: deduplicationIdOf(attributes),
          SequenceNumber: String(messageCounter).padStart(20, "0"),
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:local:123456789012:FeedQueue.fifo",
        awsRegion: "local",
      };
    }),
  };
}

const invokeAppender = (event: SQSEvent) =>
  (appender as (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>)(
    event,
    lambdaContext(60_000, "FeedAppender"),
  );

async function feedIds(tenantId: string): Promise<string[]> {
  const head = await readFeedHead(tenantId);
  const page = await readFeed(tenantId, { after: 0, limit: Math.max(1, head) });
  expect(page.complete).toBe(true);
  return page.entries.map((entry) => entry.event.id);
}

const idsOf = (items: readonly Item[]) => items.map((item) => item.eventId?.S as string);

describe("the stream sequencer", { timeout: 60_000 }, () => {
  it("sends each tenant's events to the FIFO queue in stream order, grouped by tenant, and appends nothing", async () => {
    const [a, b] = [`tenant-fifo-${uniqueDigits(6)}`, `tenant-fifo-${uniqueDigits(6)}`];
    const itemsA = historyItems(a, 30);
    const itemsB = historyItems(b, 7);
    const interleaved = itemsA.flatMap((item, i) => (itemsB[i] ? [item, itemsB[i] as Item] : [item]));
    const recorded = recordStoreCalls();
    try {
      await invokeSequencer(streamEvent(interleaved));
    } finally {
      recorded.restore();
    }
    expect(recorded.calls).toEqual([]);
    expect(await readFeedHead(a)).toBe(0);
    expect(fifo.map(messageGroupIdOf).sort()).toEqual([a, b].sort());
    expect(fifo.find((m) => m.tenantId === a)?.events.map((e) => e.id)).toEqual(idsOf(itemsA));
    expect(fifo.find((m) => m.tenantId === b)?.events.map((e) => e.id)).toEqual(idsOf(itemsB));
  });
});

describe("exactly once, whatever is delivered twice", { timeout: 60_000 }, () => {
  it("a redelivered stream batch adds nothing; its events go out again as first-again only", async () => {
    const tenant = `tenant-again-${uniqueDigits(6)}`;
    const every = await addEndpoint(tenant, "http://127.0.0.1:9/every");
    const outside = await addEndpoint(tenant, "http://127.0.0.1:9/outside", {
      eventTypes: ["username.changed_outside"],
    });
    const items = historyItems(tenant, 60);
    const batch = streamEvent(items);

    await invokeSequencer(batch);
    const first = [...fifo];
    expect(first.length).toBeGreaterThan(0);
    expect(await invokeAppender(fifoEvent(first))).toEqual({ batchItemFailures: [] });
    expect(await feedIds(tenant)).toEqual(idsOf(items));
    const outsideIds = items.filter((item) => item.origin?.S === "outside").map((item) => item.eventId?.S);
    const handed = (kind: DeliveryMessage["kind"], endpointId: string) =>
      deliveries
        .flatMap((d) => d.messages)
        .filter((m) => m.kind === kind && m.endpointId === endpointId)
        .flatMap((m) => m.deliveries.map((x) => x.eventId));
    expect(handed("first", every.id)).toEqual(idsOf(items));
    expect(handed("first", outside.id)).toEqual(outsideIds);

    // The same stream batch again (Lambda retries a batch, or a shard is read twice): the same
    // messages, with the same de-duplication ids (SQS drops them within 5 minutes).
    fifo.length = 0;
    deliveries.length = 0;
    await invokeSequencer(batch);
    expect(fifo).toEqual(first);
    expect(fifo.map(deduplicationIdOf)).toEqual(first.map(deduplicationIdOf));
    // Past SQS's 5 minutes they reach the appender again: nothing is appended.
    const recorded = recordStoreCalls();
    try {
      expect(await invokeAppender(fifoEvent(fifo))).toEqual({ batchItemFailures: [] });
    } finally {
      recorded.restore();
    }
    expect(recorded.calls.filter((c) => c.command === "TransactWriteItemsCommand")).toEqual([]);
    expect(await feedIds(tenant)).toEqual(idsOf(items));
    expect(handed("first", every.id)).toEqual([]);
    expect(handed("first-again", every.id)).toEqual(idsOf(items));
    expect(handed("first-again", outside.id)).toEqual(outsideIds);
    expect(deliveries.every((d) => d.delaySeconds === FIRST_AGAIN_DELAY_SECONDS)).toBe(true);
  });

  it("a FIFO message received again adds nothing", async () => {
    const tenant = `tenant-again-${uniqueDigits(6)}`;
    const items = historyItems(tenant, 120);
    await invokeSequencer(streamEvent(items));
    expect(await invokeAppender(fifoEvent(fifo))).toEqual({ batchItemFailures: [] });
    expect(await feedIds(tenant)).toEqual(idsOf(items));
    // The same messages again (a receive after the visibility timeout, an invocation that timed out).
    expect(await invokeAppender(fifoEvent(fifo, 2))).toEqual({ batchItemFailures: [] });
    expect(await feedIds(tenant)).toEqual(idsOf(items));
    // Half of one message is new: only that half is appended, after the rest.
    const [message] = fifo as [FeedMessage];
    const more = historyItems(tenant, 10);
    fifo.length = 0;
    await invokeSequencer(streamEvent(more));
    const mixed: FeedMessage = {
      tenantId: tenant,
      events: [...message.events.slice(0, 10), ...fifo.flatMap((m) => m.events)],
    };
    expect(await invokeAppender(fifoEvent([mixed], 2))).toEqual({ batchItemFailures: [] });
    expect(await feedIds(tenant)).toEqual([...idsOf(items), ...idsOf(more)]);
  });
});

describe("partial batch responses", { timeout: 60_000 }, () => {
  it("one tenant's failure holds only its own group: the failed message and its group's later ones are reported", async () => {
    const [a, b] = [`tenant-fails-${uniqueDigits(6)}`, `tenant-goes-${uniqueDigits(6)}`];
    const a1 = historyItems(a, 20);
    const a2 = historyItems(a, 20);
    const b1 = historyItems(b, 15);
    const b2 = historyItems(b, 15);
    await invokeSequencer(streamEvent(a1));
    await invokeSequencer(streamEvent(b1));
    await invokeSequencer(streamEvent(a2));
    await invokeSequencer(streamEvent(b2));
    const [ma1, mb1, ma2, mb2] = fifo as [FeedMessage, FeedMessage, FeedMessage, FeedMessage];
    const event = fifoEvent([ma1, mb1, ma2, mb2]);
    const [ida1, , ida2] = event.Records.map((r) => r.messageId);

    // Tenant a's feed is unreachable (its head cannot be read); tenant b's is fine.
    const restore = injectStorageFaults((_command, _n, input) =>
      JSON.stringify(input).includes(`FEED#${a}`) ? storageError("InternalServerError") : undefined,
    );
    let answer: SQSBatchResponse;
    try {
      answer = await invokeAppender(event);
    } finally {
      restore();
    }
    expect(answer.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([ida1, ida2]);
    expect(await readFeedHead(a)).toBe(0);
    expect(await feedIds(b)).toEqual([...idsOf(b1), ...idsOf(b2)]);

    // SQS hands a's messages back, in their order: both appended, a1's events first.
    expect(await invokeAppender(fifoEvent([ma1, ma2], 2))).toEqual({ batchItemFailures: [] });
    expect(await feedIds(a)).toEqual([...idsOf(a1), ...idsOf(a2)]);
  });

  it("a message that cannot be read fails alone with the later messages of its group; the earlier ones stay done", async () => {
    const [a, b] = [`tenant-bad-${uniqueDigits(6)}`, `tenant-good-${uniqueDigits(6)}`];
    const a1 = historyItems(a, 5);
    const a3 = historyItems(a, 5);
    const b1 = historyItems(b, 5);
    await invokeSequencer(streamEvent(a1));
    await invokeSequencer(streamEvent(a3));
    await invokeSequencer(streamEvent(b1));
    const [ma1, ma3, mb1] = fifo as [FeedMessage, FeedMessage, FeedMessage];
    const malformed = JSON.stringify({ tenantId: a, events: [{ id: "not an event" }] });
    const event = fifoEvent([ma1, malformed, mb1, ma3]);
    // The malformed message carries a's group, as it would on the queue.
    const records = event.Records as [SQSEvent["Records"][number], ...SQSEvent["Records"]];
    (records[1] as SQSEvent["Records"][number]).attributes.MessageGroupId = a;
    const answer = await invokeAppender(event);
    expect(answer.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      records[1]?.messageId,
      records[3]?.messageId,
    ]);
    expect(await feedIds(a)).toEqual(idsOf(a1));
    expect(await feedIds(b)).toEqual(idsOf(b1));
  });
});
