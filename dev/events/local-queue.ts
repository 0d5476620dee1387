/**
 * An in-process stand-in for the SQS delivery queue: messages are handed to the consumer as
 * Lambda's SQSEvent, in batches of `batchSize`, each batch an invocation of its own running
 * alongside the others (as Lambda scales out on a queue). A delay holds a message back like
 * SQS's DelaySeconds. Messages the consumer reports as failed come back after `retryDelayMs`,
 * and after `maxReceives` receives they are dropped with a dead-letter notice. An invocation
 * that has not answered within `invocationTimeoutMs` timed out, as Lambda would say: every
 * message of its batch comes back (its work in this process cannot be stopped, as Lambda would
 * stop it; what it does later is not waited for).
 */
import { randomUUID } from "node:crypto";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { DeliveryMessage, DeliveryQueue } from "../../functions/core/tenant-webhooks/delivery-queue.ts";
import { failedMessageIds } from "./sqs-invocation.ts";

export interface LocalQueueOptions {
  batchSize: number;
  maxReceives: number;
  retryDelayMs: number;
  /** The consumer's timeout (the dispatcher function's); none: it never times out. */
  invocationTimeoutMs?: number;
  consume(event: SQSEvent): Promise<SQSBatchResponse>;
  onDeadLetter(message: DeliveryMessage, receives: number): void;
  onError(error: unknown): void;
}

export interface LocalQueue extends DeliveryQueue {
  /** Stops taking messages, forgets delayed ones and waits for invocations in progress. */
  close(): Promise<void>;
}

interface Envelope {
  message: DeliveryMessage;
  receives: number;
  sentAt: number;
}

const QUEUE_ARN = "arn:aws:sqs:local:123456789012:WebhookQueue";

function sqsRecord(envelope: Envelope): SQSRecord {
  const now = String(Date.now());
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body: JSON.stringify(envelope.message),
    attributes: {
      ApproximateReceiveCount: String(envelope.receives),
      SentTimestamp: String(envelope.sentAt),
      SenderId: "local",
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: QUEUE_ARN,
    awsRegion: "local",
  };
}

export function createLocalQueue(options: LocalQueueOptions): LocalQueue {
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let closed = false;

  function later(ms: number, envelopes: Envelope[]): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      deliver(envelopes);
    }, ms);
    timers.add(timer);
  }

  function deliver(envelopes: Envelope[]): void {
    if (closed) return;
    for (let i = 0; i < envelopes.length; i += options.batchSize) {
      const batch = envelopes
        .slice(i, i + options.batchSize)
        .map((e) => ({ ...e, receives: e.receives + 1 }));
      const records = batch.map(sqsRecord);
      const invocation = (async () => {
        const failedIds = await failedMessageIds(
          options.consume,
          records,
          options.invocationTimeoutMs,
          options.onError,
        );
        const again: Envelope[] = [];
        batch.forEach((envelope, n) => {
          if (!failedIds.has(records[n]?.messageId ?? "")) return;
          if (envelope.receives >= options.maxReceives)
            options.onDeadLetter(envelope.message, envelope.receives);
          else again.push(envelope);
        });
        if (again.length > 0 && !closed) later(options.retryDelayMs, again);
      })();
      running.add(invocation);
      void invocation.finally(() => running.delete(invocation));
    }
  }

  return {
    async send(messages, delaySeconds = 0) {
      if (closed) return;
      const envelopes = messages.map((message) => ({ message, receives: 0, sentAt: Date.now() }));
      if (delaySeconds > 0) later(delaySeconds * 1000, envelopes);
      // Not in the sender's call stack: SQS hands messages over asynchronously too.
      else setImmediate(() => deliver(envelopes));
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...running]);
    },
  };
}
