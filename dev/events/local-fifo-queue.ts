/**
 * An in-process stand-in for the SQS FIFO feed queue and the Lambda consuming it, with their
 * per-group semantics, so `npm start` and the tests sequence feeds as AWS does
 * (functions/core/tenant-webhooks/feed-queue.ts):
 *  - each message belongs to a message group (its tenant); a group's messages are handed over in
 *    the order they were sent, and while any of them is in flight (an invocation holds it) or
 *    waiting out its visibility timeout after a failure, none of the group's later messages is
 *    handed over: one consumer per group at a time;
 *  - messages go to the consumer as Lambda's SQSEvent, up to `batchSize` a batch, a group's first,
 *    then other groups' to fill it (SQS returns as many of one group as it can); batches of
 *    different groups run side by side, as Lambda scales out over groups;
 *  - the consumer's partial batch response is read as Lambda reads it: the messages it reports
 *    come back at the head of their group after `retryDelayMs` (the visibility timeout), the others
 *    are deleted; a thrown invocation, or one not answered within `invocationTimeoutMs`, fails its
 *    whole batch; a message failing its `maxReceives`-th receive goes to the dead-letter queue
 *    (`onDeadLetter`) and its group goes on;
 *  - a message whose de-duplication id was accepted within `deduplicationWindowMs` (SQS: 5
 *    minutes) is accepted and dropped.
 * As with the local delivery queue, an invocation that timed out cannot be stopped here (Lambda
 * would stop it): what it does later is not waited for.
 */
import { randomUUID } from "node:crypto";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import {
  deduplicationIdOf,
  type FeedMessage,
  type FeedQueue,
  feedMessageBody,
  messageGroupIdOf,
} from "../../functions/core/tenant-webhooks/feed-queue.ts";
import { failedMessageIds } from "./sqs-invocation.ts";

export interface LocalFifoQueueOptions {
  /** Messages per invocation (Lambda takes at most 10 from a FIFO queue). */
  batchSize: number;
  maxReceives: number;
  /** How long failed messages stay invisible, holding their group (the visibility timeout). */
  retryDelayMs: number;
  /** The consumer's timeout (the appender function's); none: it never times out. */
  invocationTimeoutMs?: number;
  /** SQS's de-duplication interval (default 5 minutes). */
  deduplicationWindowMs?: number;
  consume(event: SQSEvent): Promise<SQSBatchResponse>;
  onDeadLetter(message: FeedMessage, receives: number): void;
  onError(error: unknown): void;
}

export interface LocalFifoQueue extends FeedQueue {
  /** Resolves when no message is waiting, in flight or due back after a failure. */
  drained(): Promise<void>;
  /** Stops handing messages over, forgets the waiting ones and waits for invocations in progress. */
  close(): Promise<void>;
}

interface Envelope {
  message: FeedMessage;
  body: string;
  group: string;
  deduplicationId: string;
  sequenceNumber: number;
  receives: number;
  sentAt: number;
  firstReceivedAt?: number;
}

interface Group {
  waiting: Envelope[];
  /** In flight, or its failed messages waiting out their visibility timeout. */
  held: boolean;
}

const QUEUE_ARN = "arn:aws:sqs:local:123456789012:FeedQueue.fifo";
const DEDUPLICATION_WINDOW_MS = 5 * 60_000;

function sqsRecord(envelope: Envelope): SQSRecord {
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body: envelope.body,
    attributes: {
      ApproximateReceiveCount: String(envelope.receives),
      SentTimestamp: String(envelope.sentAt),
      SenderId: "local",
      ApproximateFirstReceiveTimestamp: String(envelope.firstReceivedAt ?? Date.now()),
      MessageGroupId: envelope.group,
      MessageDeduplicationId: envelope.deduplicationId,
      SequenceNumber: String(envelope.sequenceNumber).padStart(20, "0"),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: QUEUE_ARN,
    awsRegion: "local",
  };
}

export function createLocalFifoQueue(options: LocalFifoQueueOptions): LocalFifoQueue {
  const window = options.deduplicationWindowMs ?? DEDUPLICATION_WINDOW_MS;
  const groups = new Map<string, Group>();
  const deduplicated = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let sequence = 0;
  let inFlight = 0;
  let pumping = false;
  let closed = false;

  const later = (ms: number, work: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      work();
    }, ms);
    timers.add(timer);
  };

  /** Groups that may hand a message over, the one with the oldest waiting message first. */
  const available = () =>
    [...groups.values()]
      .filter((group) => !group.held && group.waiting.length > 0)
      .sort((a, b) => (a.waiting[0]?.sequenceNumber ?? 0) - (b.waiting[0]?.sequenceNumber ?? 0));

  function pump(): void {
    if (pumping || closed) return;
    pumping = true;
    try {
      for (let ready = available(); ready.length > 0; ready = available()) {
        const batch: Envelope[] = [];
        const taken: Group[] = [];
        for (const group of ready) {
          if (batch.length >= options.batchSize) break;
          const take = group.waiting.splice(0, options.batchSize - batch.length);
          group.held = true;
          taken.push(group);
          batch.push(...take);
        }
        invoke(batch, taken);
      }
    } finally {
      pumping = false;
    }
  }

  function invoke(batch: Envelope[], taken: Group[]): void {
    const now = Date.now();
    for (const envelope of batch) {
      envelope.receives += 1;
      envelope.firstReceivedAt ??= now;
    }
    const records = batch.map(sqsRecord);
    inFlight += 1;
    const invocation = (async () => {
      const failedIds = await failedMessageIds(
        options.consume,
        records,
        options.invocationTimeoutMs,
        options.onError,
      );
      settle(batch, records, failedIds, taken);
    })();
    running.add(invocation);
    void invocation.finally(() => {
      running.delete(invocation);
      inFlight -= 1;
    });
  }

  function settle(batch: Envelope[], records: SQSRecord[], failedIds: Set<string>, taken: Group[]): void {
    const back = new Map<Group, Envelope[]>();
    batch.forEach((envelope, n) => {
      // Reported as done: SQS deletes it.
      if (!failedIds.has(records[n]?.messageId ?? "")) return;
      if (envelope.receives >= options.maxReceives) {
        options.onDeadLetter(envelope.message, envelope.receives);
        return;
      }
      const group = groups.get(envelope.group) as Group;
      back.set(group, [...(back.get(group) ?? []), envelope]);
    });
    for (const group of taken) {
      const failed = back.get(group);
      if (!failed) {
        group.held = false;
        continue;
      }
      // Back at the head of their group, in their order, once their visibility timeout ends.
      group.waiting.unshift(...failed);
      later(options.retryDelayMs, () => {
        group.held = false;
        pump();
      });
    }
    pump();
  }

  return {
    async send(messages) {
      if (closed) return;
      const now = Date.now();
      for (const message of messages) {
        const deduplicationId = deduplicationIdOf(message);
        const seenUntil = deduplicated.get(deduplicationId);
        // Accepted, not delivered: SQS's de-duplication interval.
        if (seenUntil !== undefined && seenUntil > now) continue;
        deduplicated.set(deduplicationId, now + window);
        const group = messageGroupIdOf(message);
        const entry = groups.get(group) ?? { waiting: [], held: false };
        groups.set(group, entry);
        sequence += 1;
        entry.waiting.push({
          message,
          body: feedMessageBody(message),
          group,
          deduplicationId,
          sequenceNumber: sequence,
          receives: 0,
          sentAt: now,
        });
      }
      for (const [id, until] of deduplicated) if (until <= now) deduplicated.delete(id);
      // Not in the sender's call stack: SQS hands messages over asynchronously too.
      setImmediate(pump);
    },
    async drained() {
      const empty = () => inFlight === 0 && [...groups.values()].every((group) => group.waiting.length === 0);
      // A sender's messages are picked up on the next turn of the event loop: look after it.
      await new Promise((resolve) => setImmediate(resolve));
      while (!empty() && !closed) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...running]);
    },
  };
}
