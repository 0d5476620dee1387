/**
 * The change feed and tenant webhooks on AWS-managed parts (docs/architecture.md, "Change feed
 * and tenant webhooks"):
 *  - the table's stream → EventSequencer (filtered to history inserts, from the stream's oldest
 *    record on the first deploy so none is missed; a failing batch is retried until it succeeds);
 *  - EventSequencer → the FeedQueue (SQS FIFO, one message group per tenant, infra/queues.ts) →
 *    FeedAppender (batches of 10, partial batch responses: a failed message and its group's later
 *    ones come back in order; a message that keeps failing moves to the FIFO dead-letter queue
 *    after 10 receives);
 *  - FeedAppender → the WebhookQueue (SQS, infra/queues.ts) → WebhookDispatcher (partial batch
 *    responses; a message that keeps failing moves to the dead-letter queue after 5 receives);
 *  - every minute WebhookRetrySweep puts due retries back onto the queue.
 * The functions are described as plain data in infra/event-functions.ts (the local runtime runs
 * the same handlers); each gets exactly the access it declares (infra/lambda.ts).
 */
import {
  type EventFunctionDefinition,
  eventFunction,
  eventPipeline,
  HISTORY_INSERT_FILTER,
} from "./event-functions.ts";
import { lambdaArgs } from "./lambda.ts";
import { feedQueue, webhookQueue } from "./queues.ts";
import { table } from "./storage.ts";

function functionArgs(fn: EventFunctionDefinition) {
  return lambdaArgs({
    handler: fn.handler,
    description: fn.description,
    sizing: fn.sizing,
    access: fn.access,
  });
}

const sequencer = eventFunction("table-stream");
/** The event functions as deployed (infra/alarms.ts watches each one's errors and throttles). */
export const sequencerSubscriber = table.subscribe(sequencer.functionName, functionArgs(sequencer), {
  filters: [HISTORY_INSERT_FILTER],
  transform: {
    eventSourceMapping: {
      batchSize: eventPipeline.streamBatchSize,
      // SST's default is LATEST: records written before the mapping exists would be skipped.
      startingPosition: "TRIM_HORIZON",
    },
  },
});

export const appenderSubscriber = feedQueue.subscribe(functionArgs(eventFunction("feed-queue")), {
  // FIFO: no batching window; the handler reports a failed message with its group's later ones.
  batch: { size: eventPipeline.feedBatchSize, partialResponses: true },
});

export const dispatcherSubscriber = webhookQueue.subscribe(functionArgs(eventFunction("delivery-queue")), {
  batch: { size: eventPipeline.queueBatchSize, partialResponses: true },
});

const sweep = eventFunction("schedule");
export const retrySweep = new sst.aws.Cron(sweep.functionName, {
  schedule: eventPipeline.sweepSchedule,
  function: functionArgs(sweep),
});
