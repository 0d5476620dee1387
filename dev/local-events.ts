/**
 * The event pipeline on one machine (`npm start`, tests, benchmarks), running the very handler
 * files AWS runs (infra/event-functions.ts) with events of the same shapes:
 *  - a poller of the table's stream in DynamoDB Local → the sequencer (as Lambda's event source
 *    mapping: in order, a failing batch retried);
 *  - an in-process FIFO feed queue → the feed appender (as SQS FIFO + Lambda: one invocation per
 *    tenant's message group at a time, in order, groups side by side; a failed message and its
 *    group's later ones come back in order, then are dead-lettered: events/local-fifo-queue.ts);
 *  - an in-process delivery queue → the dispatcher (as SQS + Lambda: batches side by side,
 *    partial failures retried, then dead-lettered);
 *  - a timer → the retry sweep (as the one-minute schedule, every `sweepIntervalMs`).
 * No AWS account is needed. The process environment must already point the service at the
 * table (DYNAMODB_ENDPOINT, TABLE_NAME, TOKEN_ENCRYPTION_KEY), as for the local gateway.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Context } from "aws-lambda";
import type { EventFunctionDefinition } from "../infra/event-functions.ts";
import { eventFunction, eventPipeline } from "../infra/event-functions.ts";
import { timeoutMs } from "../infra/function-sizing.ts";
import { createLocalFifoQueue, type LocalFifoQueue } from "./events/local-fifo-queue.ts";
import { createLocalQueue, type LocalQueue } from "./events/local-queue.ts";
import { type StreamPoller, startStreamPoller } from "./events/stream-poller.ts";
import { inInvocationContext } from "./gateway/concurrent-invocations.ts";
import { lambdaContext } from "./gateway/lambda-context.ts";
import { REPO_ROOT } from "./local-defaults.ts";

export interface LocalEventsOptions {
  dynamodbEndpoint: string;
  tableName: string;
  /** Pause of the stream poller when nothing is new (default 100 ms). */
  pollIntervalMs?: number;
  /** How often the retry sweep runs (default 1 s; a minute in AWS). */
  sweepIntervalMs?: number;
  /**
   * The dispatcher's timeout (default its sizing's, 60 s): its Lambda context counts down from
   * it, and an invocation still running then is treated as timed out (its messages come back).
   */
  dispatcherTimeoutMs?: number;
  /**
   * The feed appender's timeout (default its sizing's, 60 s), as the dispatcher's: its Lambda
   * context counts down from it, and the local FIFO queue treats an invocation still running then
   * as timed out.
   */
  appenderTimeoutMs?: number;
  /** Delay before a failed stream batch or queue message is tried again (default 1 s). */
  retryDelayMs?: number;
  /** One line per problem (default: stderr). */
  log?: (line: string) => void;
}

export interface LocalEvents {
  /**
   * Resolves once the feed queue has nothing waiting or in flight (what the stream poller has
   * handed the sequencer so far is in the feeds, and its first deliveries on the delivery queue).
   */
  feedDrained(): Promise<void>;
  /** Stops the poller, the sweep and the queues (delayed messages are dropped: the sweep finds them again). */
  stop(): Promise<void>;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

async function loadHandler(
  fn: EventFunctionDefinition,
  functionTimeoutMs = timeoutMs(fn.sizing),
): Promise<(event: unknown) => Promise<unknown>> {
  const module = (await import(pathToFileURL(join(REPO_ROOT, fn.handler)).href)) as { handler?: Handler };
  const handler = module.handler;
  if (typeof handler !== "function") throw new Error(`${fn.handler} does not export a handler function`);
  return (event) => {
    const context = lambdaContext(fn.functionName, functionTimeoutMs);
    // Its own invoke context: its log keys never mix with an overlapping invocation's.
    return inInvocationContext(context, () => handler(event, context));
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export async function startLocalEvents(options: LocalEventsOptions): Promise<LocalEvents> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  const dispatcher = eventFunction("delivery-queue");
  const dispatcherTimeoutMs = options.dispatcherTimeoutMs ?? timeoutMs(dispatcher.sizing);
  const appender = eventFunction("feed-queue");
  const appenderTimeoutMs = options.appenderTimeoutMs ?? timeoutMs(appender.sizing);
  const [sequence, append, dispatch, sweep] = await Promise.all([
    loadHandler(eventFunction("table-stream")),
    loadHandler(appender, appenderTimeoutMs),
    loadHandler(dispatcher, dispatcherTimeoutMs),
    loadHandler(eventFunction("schedule")),
  ]);
  const { setLocalDeliveryQueue } = await import("../functions/core/tenant-webhooks/delivery-queue.ts");
  const { setLocalFeedQueue } = await import("../functions/core/tenant-webhooks/feed-queue.ts");

  const queue: LocalQueue = createLocalQueue({
    batchSize: eventPipeline.queueBatchSize,
    maxReceives: eventPipeline.deadLetterAfterReceives,
    retryDelayMs,
    invocationTimeoutMs: dispatcherTimeoutMs,
    consume: (event) => (dispatch as (e: unknown) => Promise<never>)(event),
    onDeadLetter: (message, receives) =>
      log(
        `webhook delivery message dead-lettered after ${receives} receives (tenant ${message.tenantId}, endpoint ${message.endpointId})`,
      ),
    onError: (error) => log(`webhook dispatcher: ${describe(error)}`),
  });
  setLocalDeliveryQueue(queue);

  const feedQueue: LocalFifoQueue = createLocalFifoQueue({
    batchSize: eventPipeline.feedBatchSize,
    maxReceives: eventPipeline.feedDeadLetterAfterReceives,
    retryDelayMs,
    invocationTimeoutMs: appenderTimeoutMs,
    consume: (event) => (append as (e: unknown) => Promise<never>)(event),
    onDeadLetter: (message, receives) =>
      log(
        `feed message dead-lettered after ${receives} receives (tenant ${message.tenantId}, ${message.events.length} events not in its feed)`,
      ),
    onError: (error) => log(`feed appender: ${describe(error)}`),
  });
  setLocalFeedQueue(feedQueue);

  let poller: StreamPoller | undefined;
  try {
    poller = await startStreamPoller({
      endpoint: options.dynamodbEndpoint,
      tableName: options.tableName,
      batchSize: eventPipeline.streamBatchSize,
      idleMs: options.pollIntervalMs ?? 100,
      retryDelayMs,
      onBatch: (event) => (sequence as (e: unknown) => Promise<unknown>)(event),
      onError: (error) => log(`event sequencer: ${describe(error)}; the batch is retried`),
    });
  } catch (error) {
    setLocalFeedQueue(undefined);
    setLocalDeliveryQueue(undefined);
    await feedQueue.close();
    await queue.close();
    throw error;
  }

  let sweeping: Promise<unknown> | undefined;
  const sweepTimer = setInterval(() => {
    sweeping ??= (sweep as (e: unknown) => Promise<unknown>)({ source: "local.schedule" })
      .catch((error: unknown) => log(`webhook retry sweep: ${describe(error)}`))
      .finally(() => {
        sweeping = undefined;
      });
  }, options.sweepIntervalMs ?? 1_000);

  let stopping: Promise<void> | undefined;
  return {
    feedDrained: () => feedQueue.drained(),
    stop() {
      stopping ??= (async () => {
        clearInterval(sweepTimer);
        await poller?.stop();
        await sweeping;
        // The appender hands deliveries to the delivery queue: close it first.
        await feedQueue.close();
        setLocalFeedQueue(undefined);
        await queue.close();
        setLocalDeliveryQueue(undefined);
      })();
      return stopping;
    },
  };
}
