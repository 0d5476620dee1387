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
  /** What invokes it: the table's stream, the delivery queue, or a schedule. */
  trigger: "table-stream" | "delivery-queue" | "schedule";
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
    // History items' tenants and event ids (BatchGetItem, GetItem), the feed head and pages
    // (Query), feed transactions (PutItem, UpdateItem); each chunk onto the queue.
    access: {
      table: { actions: ["BatchGetItem", "GetItem", "Query", "PutItem", "UpdateItem"] },
      webhookQueue: ["SendMessage"],
    },
    // A batch of up to 1000 history items: ~21 feed transactions per tenant, then the queue.
    sizing: { memory: "512 MB", timeout: "60 seconds" },
    description: "history items from the table's stream into each tenant's change feed",
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
  sweepSchedule: "rate(1 minute)",
} as const;

export function eventFunction(trigger: EventFunctionDefinition["trigger"]): EventFunctionDefinition {
  const found = eventFunctions.find((fn) => fn.trigger === trigger);
  if (!found) throw new Error(`no event function for ${trigger}`);
  return found;
}
