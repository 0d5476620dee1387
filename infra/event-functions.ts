/**
 * The event pipeline's functions (change feed and tenant webhooks), as plain data like the route
 * table: `infra/events.ts` deploys them, the local runtime (`dev/local-events.ts`) invokes the
 * same handler files with events of the same shapes, and the bundle test and benchmarks bundle
 * them. No SST import.
 */
import type { FunctionAccess } from "./function-access.ts";
import type { FunctionSizing } from "./function-sizing.ts";

export interface EventFunctionDefinition {
  /** Logical name of the function (SST component name). */
  functionName: string;
  /** Entry point, relative to the repository root; it exports `handler`. */
  handler: string;
  /** What invokes it: the table's stream, the FIFO feed queue, the delivery queue, or a schedule. */
  trigger: "table-stream" | "feed-queue" | "delivery-queue" | "schedule";
  /** What it may touch (infra/function-access.ts); its triggers' own grants come from SST. */
  access: FunctionAccess;
  sizing: FunctionSizing;
  description: string;
}

export const eventFunctions: readonly EventFunctionDefinition[] = [
  {
    functionName: "EventSequencer",
    handler: "functions/tenant-webhooks/sequence-changes.ts",
    trigger: "table-stream",
    // History items become events, sent to the FIFO feed queue (one message group per tenant); no
    // table access: the stream record carries everything, and the appender writes the feed.
    access: { feedQueue: ["SendMessage"] },
    // A batch of up to 1000 history items: a few SendMessageBatch calls (256 KiB each).
    sizing: { memory: "512 MB", timeout: "60 seconds" },
    description: "history items from the table's stream onto the FIFO feed queue, one group per tenant",
  },
  {
    functionName: "FeedAppender",
    handler: "functions/tenant-webhooks/append-to-feed.ts",
    trigger: "feed-queue",
    // Event ids already sequenced (BatchGetItem on EVENT#), the feed head (GetItem), the tenant's
    // endpoints (Query); feed transactions (PutItem, UpdateItem) on the feed's and the events'
    // items only; each appended chunk's first attempts onto the delivery queue.
    access: {
      table: {
        actions: ["BatchGetItem", "GetItem", "Query"],
        scoped: [{ actions: ["PutItem", "UpdateItem"], partitionKeys: ["FEED#*", "EVENT#*"] }],
      },
      webhookQueue: ["SendMessage"],
    },
    // Up to 10 messages of ≈ 500 events: ~11 feed transactions each, a tenant's one after the other.
    sizing: { memory: "512 MB", timeout: "60 seconds" },
    description:
      "each tenant's events from the FIFO feed queue into its change feed, one appender per tenant",
  },
  {
    functionName: "WebhookDispatcher",
    handler: "functions/tenant-webhooks/deliver-webhooks.ts",
    trigger: "delivery-queue",
    // Endpoints and deliveries (GetItem, BatchGetItem), first attempts recorded in batches
    // (BatchWriteItem), retries claimed and recorded (PutItem, UpdateItem); endpoint secrets are
    // sealed with the token key; short retries back onto the queue.
    access: {
      table: { actions: ["GetItem", "BatchGetItem", "BatchWriteItem", "PutItem", "UpdateItem"] },
      secrets: ["TokenEncryptionKey", "TokenEncryptionKeyPrevious"],
      webhookQueue: ["SendMessage"],
    },
    // No attempt starts that could not end before the timeout (less a 5 s reserve, read from the
    // Lambda context); what does not fit goes back on the queue (webhook-dispatch.ts).
    sizing: { memory: "512 MB", timeout: "60 seconds" },
    description: "signed webhook attempts to tenant endpoints",
  },
  {
    functionName: "WebhookRetrySweep",
    handler: "functions/tenant-webhooks/retry-webhooks.ts",
    trigger: "schedule",
    // Due retries (Query on byDueTime) onto the queue.
    access: { table: { actions: [], queries: ["byDueTime"] }, webhookQueue: ["SendMessage"] },
    sizing: { memory: "256 MB", timeout: "30 seconds" },
    description: "due webhook retries back onto the delivery queue",
  },
];

/**
 * The stream records the sequencer is invoked for (Lambda event filtering): inserts of history
 * items. The handler checks the same itself (functions/core/store/stream-records.ts), so this
 * filter only spares invocations for the table's other writes.
 */
export const HISTORY_INSERT_FILTER = {
  eventName: ["INSERT"],
  dynamodb: { Keys: { sk: { S: [{ prefix: "HISTORY#" }] } } },
} as const;

/** How the triggers are set up (infra/events.ts), and the local runtime's stand-ins for them. */
export const eventPipeline = {
  /** Stream records per sequencer invocation: larger batches, fewer feed transactions. */
  streamBatchSize: 1000,
  /** Queue messages per dispatcher invocation (each up to 50 deliveries to one endpoint). */
  queueBatchSize: 10,
  /** Six times the dispatcher's timeout, as AWS advises for an SQS-triggered function. */
  queueVisibilityTimeout: "6 minutes",
  /** Receives of a message before it moves to the dead-letter queue. */
  deadLetterAfterReceives: 5,
  /**
   * Feed queue messages per appender invocation: SQS FIFO's and Lambda's most (10), of one or more
   * tenants (message groups), each group's in order.
   */
  feedBatchSize: 10,
  /** Six times the appender's timeout, as for the delivery queue. */
  feedVisibilityTimeout: "6 minutes",
  /**
   * Receives of a feed message before it moves to the feed's dead-letter queue: ten (an hour of
   * failures at the visibility timeout), since an event there is not in its feed until redriven.
   */
  feedDeadLetterAfterReceives: 10,
  sweepSchedule: "rate(1 minute)",
} as const;

export function eventFunction(trigger: EventFunctionDefinition["trigger"]): EventFunctionDefinition {
  const found = eventFunctions.find((fn) => fn.trigger === trigger);
  if (!found) throw new Error(`no event function for ${trigger}`);
  return found;
}
