/**
 * The webhook delivery queue and its dead-letter queue (docs/architecture.md, "Change feed and
 * tenant webhooks"). Linking the queue gives a function its URL (`Resource.WebhookQueue.url`)
 * and no permission: SST's own link would grant `sqs:*`. Each function gets the actions it
 * declares instead (infra/function-access.ts, infra/lambda.ts).
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
