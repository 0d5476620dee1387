/**
 * The FIFO feed queue, the webhook delivery queue and their dead-letter queues
 * (docs/architecture.md, "Change feed and tenant webhooks"). Linking a queue gives a function its
 * URL (`Resource.WebhookQueue.url`, `Resource.FeedQueue.url`) and no permission: SST's own link
 * would grant `sqs:*`. Each function gets the actions it declares instead
 * (infra/function-access.ts, infra/lambda.ts).
 */
import { eventPipeline } from "./event-functions.ts";

sst.Linkable.wrap(sst.aws.Queue, (queue) => ({ properties: { url: queue.url } }));

/** 14 days, SQS's longest: time to look at a message that could not be dispatched, and redrive it. */
const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;

export const webhookDeadLetterQueue = new sst.aws.Queue("WebhookDeadLetterQueue", {
  transform: { queue: { messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS } },
});

export const webhookQueue = new sst.aws.Queue("WebhookQueue", {
  visibilityTimeout: eventPipeline.queueVisibilityTimeout,
  dlq: { queue: webhookDeadLetterQueue.arn, retry: eventPipeline.deadLetterAfterReceives },
});

/**
 * Feed messages the appender failed on `feedDeadLetterAfterReceives` times: their events are not
 * in their feeds until redriven (the appender takes them again; docs/runbook.md,
 * UnappendedEvents). A FIFO queue's dead-letter queue must be FIFO too.
 */
export const feedDeadLetterQueue = new sst.aws.Queue("FeedDeadLetterQueue", {
  fifo: true,
  transform: { queue: { messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS } },
});

/**
 * Each tenant's new events, from the stream sequencer to the feed appender: SQS FIFO, one message
 * group per tenant, so a tenant's messages are appended one at a time and in order
 * (functions/core/tenant-webhooks/feed-queue.ts). The sequencer sets each message's
 * de-duplication id itself (from its events): content-based de-duplication is off.
 */
export const feedQueue = new sst.aws.Queue("FeedQueue", {
  fifo: { contentBasedDeduplication: false },
  visibilityTimeout: eventPipeline.feedVisibilityTimeout,
  dlq: { queue: feedDeadLetterQueue.arn, retry: eventPipeline.feedDeadLetterAfterReceives },
});
