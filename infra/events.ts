/**
 * The change feed and tenant webhooks on AWS-managed parts (docs/architecture.md, "Change feed
 * and tenant webhooks"):
 *  - the table's stream → EventSequencer (filtered to history inserts, from the stream's oldest
 *    record on the first deploy so none is missed; a failing batch is retried until it succeeds);
 *  - EventSequencer → the WebhookQueue (SQS) → WebhookDispatcher (partial batch responses; a
 *    message that keeps failing moves to the dead-letter queue after 5 receives);
 *  - every minute WebhookRetrySweep puts due retries back onto the queue.
 * The functions are described as plain data in infra/event-functions.ts (the local runtime runs
 * the same handlers); each is linked only to what it uses.
 */
import { LOG_RETENTION } from "./api.ts";
import {
  type EventFunctionDefinition,
  eventFunction,
  eventPipeline,
  HISTORY_INSERT_FILTER,
} from "./event-functions.ts";
import { tokenEncryptionKey, tokenEncryptionKeyPrevious } from "./secrets.ts";
import { table } from "./storage.ts";

/** 14 days, SQS's longest: time to look at a message that could not be dispatched, and redrive it. */
const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;

export const webhookDeadLetterQueue = new sst.aws.Queue("WebhookDeadLetterQueue", {
  transform: { queue: { messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS } },
});

export const webhookQueue = new sst.aws.Queue("WebhookQueue", {
  visibilityTimeout: eventPipeline.queueVisibilityTimeout,
  dlq: { queue: webhookDeadLetterQueue.arn, retry: eventPipeline.deadLetterAfterReceives },
});

const linkable = {
  Table: table,
  TokenEncryptionKey: tokenEncryptionKey,
  TokenEncryptionKeyPrevious: tokenEncryptionKeyPrevious,
  WebhookQueue: webhookQueue,
} satisfies Record<EventFunctionDefinition["links"][number], SstLinkable>;

function functionArgs(fn: EventFunctionDefinition): SstFunctionArgs {
  return {
    handler: `${fn.handler.replace(/\.ts$/, "")}.handler`,
    description: fn.description,
    runtime: "nodejs24.x",
    architecture: "arm64",
    ...fn.sizing,
    logging: { format: "json", retention: LOG_RETENTION },
    link: fn.links.map((link) => linkable[link]),
  };
}

const sequencer = eventFunction("table-stream");
table.subscribe(sequencer.functionName, functionArgs(sequencer), {
  filters: [HISTORY_INSERT_FILTER],
  transform: {
    eventSourceMapping: {
      batchSize: eventPipeline.streamBatchSize,
      // SST's default is LATEST: records written before the mapping exists would be skipped.
      startingPosition: "TRIM_HORIZON",
    },
  },
});

webhookQueue.subscribe(functionArgs(eventFunction("delivery-queue")), {
  batch: { size: eventPipeline.queueBatchSize, partialResponses: true },
});

const sweep = eventFunction("schedule");
new sst.aws.Cron(sweep.functionName, {
  schedule: eventPipeline.sweepSchedule,
  function: functionArgs(sweep),
});
