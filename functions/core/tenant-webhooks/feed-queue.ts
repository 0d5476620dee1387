/**
 * The hand-off between the stream sequencer and the feed appender: each tenant's new events, in
 * stream order, as messages of an SQS FIFO queue (`FeedQueue`) whose message group is the tenant.
 * SQS hands a group's messages to the appender one batch at a time and in the order they were
 * sent, so each tenant's feed has one appender at a time and its appends never race; different
 * tenants' groups are appended side by side. Under `npm start` and in tests an in-process FIFO
 * queue with the same per-group semantics invokes the same appender handler
 * (dev/events/local-fifo-queue.ts, installed by dev/local-events.ts).
 *
 * De-duplication: each message's `MessageDeduplicationId` is derived from its tenant and its
 * events, so a stream batch sent again within SQS's 5-minute window is dropped by SQS. Nothing
 * relies on it: exactly-once is the appender's `EVENT#` items (store/event-feed.ts).
 */
import { createHash } from "node:crypto";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import * as z from "zod/mini";
import { mapWithConcurrency } from "../concurrency.ts";
import { ConfigurationError, config } from "../config.ts";
import { type UsernameChangeEvent, usernameChangeEventSchema } from "../validation/tenant-api.ts";

/** SQS's largest message (256 KiB, body and attributes; these messages have no attributes). */
export const FEED_MESSAGE_MAX_BYTES = 256 * 1024;
/** SQS's most entries in a SendMessageBatch, whose bodies together take at most 256 KiB too. */
const ENTRIES_PER_BATCH = 10;
/** SendMessageBatch calls of one round in flight at once (each round's groups are all different). */
const PARALLEL_BATCHES = 4;

export const feedMessageSchema = z.object({
  tenantId: z.string(),
  /** In stream order: a number's events in the order its history items were written. */
  events: z.array(usernameChangeEventSchema),
});
/** One FIFO message: new events of one tenant, in stream order, at most FEED_MESSAGE_MAX_BYTES as JSON. */
export type FeedMessage = z.infer<typeof feedMessageSchema>;

export interface FeedQueue {
  /**
   * Enqueues the messages; messages of one tenant are enqueued in the order given (each after the
   * one before it was accepted). Rejects when SQS did not accept all of them: the caller fails
   * and is retried (a stream batch), and the copies it sends again are dropped by SQS's
   * de-duplication or, past it, by the appender's `EVENT#` items.
   */
  send(messages: readonly FeedMessage[]): Promise<void>;
}

/** SQS accepts 1 to 128 characters from ASCII's printable punctuation and alphanumerics. */
const VALID_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The message's `MessageGroupId`: its tenant id (tenant ids are `[A-Za-z0-9._-]`, at most 64
 * characters: cli/validate.ts), or a SHA-256 of it for one SQS would refuse. One group per tenant.
 */
export function messageGroupIdOf(message: Pick<FeedMessage, "tenantId">): string {
  return VALID_ID.test(message.tenantId)
    ? message.tenantId
    : `t-${createHash("sha256").update(message.tenantId).digest("hex")}`;
}

/**
 * The message's `MessageDeduplicationId` (64 hex characters): SHA-256 of its tenant and its
 * events' ids in order, so the same stream batch, split the same way, gives the same ids.
 */
export function deduplicationIdOf(message: { tenantId: string; events: readonly { id: string }[] }): string {
  const hash = createHash("sha256").update(message.tenantId);
  for (const event of message.events) hash.update("\n").update(event.id);
  return hash.digest("hex");
}

/** The message body SQS carries (JSON, UTF-8). */
export function feedMessageBody(message: FeedMessage): string {
  return JSON.stringify(message);
}

/**
 * The tenant's events as FIFO messages, in order, each at most FEED_MESSAGE_MAX_BYTES of JSON
 * (≈ 500 events of ≈ 450 bytes). Throws for an event that alone would not fit (none comes near:
 * an event is under 1 KB).
 */
export function feedMessagesFor(tenantId: string, events: readonly UsernameChangeEvent[]): FeedMessage[] {
  const envelope = Buffer.byteLength(feedMessageBody({ tenantId, events: [] }));
  const messages: FeedMessage[] = [];
  let current: UsernameChangeEvent[] = [];
  let bytes = envelope;
  for (const event of events) {
    // Its JSON and the comma before it.
    const size = Buffer.byteLength(JSON.stringify(event)) + 1;
    if (envelope + size > FEED_MESSAGE_MAX_BYTES)
      throw new Error(`event ${event.id} alone exceeds an SQS message`);
    if (bytes + size > FEED_MESSAGE_MAX_BYTES) {
      messages.push({ tenantId, events: current });
      current = [];
      bytes = envelope;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) messages.push({ tenantId, events: current });
  return messages;
}

let localQueue: FeedQueue | undefined;
let sqs: SQSClient | undefined;

/** Installs the in-process FIFO queue of `npm start` and tests (undefined removes it). */
export function setLocalFeedQueue(queue: FeedQueue | undefined): void {
  localQueue = queue;
}

/**
 * Rounds of messages: round k holds the k-th message of each group, so a group's messages go out
 * one round after the other and never two of one group in one SendMessageBatch (a batch can
 * fail entry by entry: a later message of a group must not be accepted before an earlier one).
 */
function rounds(messages: readonly FeedMessage[]): FeedMessage[][] {
  const byGroup = new Map<string, FeedMessage[]>();
  for (const message of messages) {
    const group = messageGroupIdOf(message);
    byGroup.set(group, [...(byGroup.get(group) ?? []), message]);
  }
  const result: FeedMessage[][] = [];
  for (const list of byGroup.values()) {
    list.forEach((message, k) => {
      result[k] ??= [];
      result[k].push(message);
    });
  }
  return result;
}

/** SendMessageBatch requests of one round: at most 10 entries and 256 KiB of bodies each. */
function batchesOf(round: readonly FeedMessage[]): { message: FeedMessage; body: string }[][] {
  const batches: { message: FeedMessage; body: string }[][] = [];
  let batch: { message: FeedMessage; body: string }[] = [];
  let bytes = 0;
  for (const message of round) {
    const body = feedMessageBody(message);
    const size = Buffer.byteLength(body);
    if (batch.length === ENTRIES_PER_BATCH || (batch.length > 0 && bytes + size > FEED_MESSAGE_MAX_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ message, body });
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

function sqsFifoQueue(queueUrl: string): FeedQueue {
  sqs ??= new SQSClient({});
  const client = sqs;
  return {
    async send(messages) {
      for (const round of rounds(messages)) {
        const settled = await mapWithConcurrency(batchesOf(round), PARALLEL_BATCHES, async (batch) => {
          const answer = await client.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: batch.map(({ message, body }, n) => ({
                Id: String(n),
                MessageBody: body,
                MessageGroupId: messageGroupIdOf(message),
                MessageDeduplicationId: deduplicationIdOf(message),
              })),
            }),
          );
          if ((answer.Failed ?? []).length > 0) {
            const codes = [...new Set((answer.Failed ?? []).map((f) => f.Code))].join(", ");
            throw new Error(
              `SQS refused ${answer.Failed?.length} of ${batch.length} feed messages (${codes})`,
            );
          }
        });
        // The next round holds later messages of these groups: not before this one is all in.
        const failed = settled.find((result) => result.status === "rejected");
        if (failed) throw (failed as PromiseRejectedResult).reason;
      }
    },
  };
}

/** The feed queue: the in-process one when installed, else the stage's SQS FIFO queue. */
export function feedQueue(): FeedQueue {
  if (localQueue) return localQueue;
  const url = config.feedQueueUrl();
  if (!url) throw new ConfigurationError("FEED_QUEUE_URL (or the linked FeedQueue) is not configured");
  return sqsFifoQueue(url);
}
