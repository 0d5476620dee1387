/**
 * The per-tenant feed ceiling: how many events a second one tenant's change feed takes in, and
 * what each event costs the tenant's feed partition (`FEED#<t>`), against the same events spread
 * over many tenants.
 *
 * The sequencer's handler (functions/tenant-webhooks/sequence-changes.ts) is driven with history
 * items as the stream hands them over: a number's items always on one shard (they share a
 * partition key), the shards' batches (up to 1000 records) side by side, each shard's one after the
 * other, as Lambda's event source mapping invokes one batch per shard at a time (parallelization
 * factor 1, as deployed). Every event of a tenant is appended to its one feed: transactions of up
 * to 49 events conditional on the head (store/event-feed.ts).
 *
 * Two designs side by side:
 *  - `fifo` (deployed): the sequencer sends each tenant's events to the FIFO feed queue, here the
 *    in-process one (dev/events/local-fifo-queue.ts, batches of 10 as deployed) invoking the feed
 *    appender's handler (functions/tenant-webhooks/append-to-feed.ts): one appender per tenant, so
 *    no append races; the wall time runs until the queue is drained;
 *  - `racing` (before issue 23): each shard's batch appends its own tenants' events
 *    (feed-appender.ts `appendTenantEvents`, what the sequencer did itself, 8 tenants of a batch at
 *    once), so concurrent batches of one tenant race for its head and a lost race (head moved,
 *    transaction conflict) is tried again.
 *
 * The history items are copies of a real one (the template: a webhook change's item as the
 * committer wrote it) with their own event id, number and tenant. The tenants have no endpoint,
 * so nothing is handed to the delivery queue (the bench's queue records it anyway); what is
 * measured is the feed.
 *
 * DynamoDB Local is one process (it runs transactions one at a time), so its events a second are
 * its own, not AWS's: what carries over is counted, not timed: transactions per event, writes and
 * write units per event on `FEED#<t>`, and races lost. docs/scale.md turns them into AWS's
 * ceiling with DynamoDB's per-partition limit.
 */

import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import type { Context, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createLocalFifoQueue } from "../dev/events/local-fifo-queue.ts";
import { mapWithConcurrency } from "../functions/core/concurrency.ts";
import { newEventId } from "../functions/core/event-id.ts";
import { readFeedHead } from "../functions/core/store/event-feed.ts";
import { historyItemsOf } from "../functions/core/store/stream-records.ts";
import { appendTenantEvents } from "../functions/core/tenant-webhooks/feed-appender.ts";
import { setLocalFeedQueue } from "../functions/core/tenant-webhooks/feed-queue.ts";
import {
  isEventSource,
  usernameChangeEvent,
} from "../functions/core/tenant-webhooks/username-change-event.ts";
import type { UsernameChangeEvent } from "../functions/core/validation/tenant-api.ts";
import { eventPipeline } from "../infra/event-functions.ts";
import { type CallRecord, type Item, installMeter, itemSize } from "./capacity-meter.ts";
import type { BenchEnvironment } from "./environment.ts";
import { load } from "./machine.ts";
import { table } from "./section.ts";
import { streamEvent } from "./stream-event.ts";

export type FeedDesign = "fifo" | "racing";

export interface CeilingRun {
  /** `fifo`: one appender per tenant through the FIFO feed queue (deployed); `racing`: the shards append. */
  design: FeedDesign;
  tenants: number;
  shards: number;
  events: number;
  wallMs: number;
  eventsPerSecond: number;
  appends: number;
  cancelled: number;
  /** Per event, on the tenants' FEED#<t> partitions (committed appends only). */
  feedWritesPerEvent: number;
  feedWcuPerEvent: number;
  /** Per event, counting the cancelled appends' items as written too (an upper bound). */
  feedWcuPerEventWithCancelled: number;
  headReadsPerEvent: number;
  /** Bytes of one feed item (the event as tenants get it, with its keys). */
  feedItemBytes: number;
  /** Local time per committed append of one tenant (wall ÷ appends; the feed's turns are serial). */
  msPerAppend: number;
}

export interface Ceiling {
  runs: CeilingRun[];
  lines: string[];
}

const NUMBERS_PER_RUN = 1000;
/** DynamoDB's write units a second per partition (docs/scale.md, sources). */
const PARTITION_WCU = 1000;
const BATCH = 1000;

type SequencerHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<unknown>;
type AppenderHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
/** Tenants of one stream batch appended at once by the racing design (the former sequencer's). */
const RACING_PARALLEL_TENANTS = 8;
const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

/** A stream batch handled as before issue 23: the batch's tenants' events appended by the batch itself. */
async function appendBatchRacing(event: DynamoDBStreamEvent): Promise<void> {
  const byTenant = new Map<string, UsernameChangeEvent[]>();
  for (const item of historyItemsOf(event.Records)) {
    if (!isEventSource(item)) continue;
    byTenant.set(item.tenantId, [...(byTenant.get(item.tenantId) ?? []), usernameChangeEvent(item)]);
  }
  const settled = await mapWithConcurrency([...byTenant], RACING_PARALLEL_TENANTS, ([tenantId, events]) =>
    appendTenantEvents(tenantId, events),
  );
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

export async function feedCeiling(
  _env: BenchEnvironment,
  options: { quick: boolean; template: Item },
): Promise<Ceiling> {
  const { handler: sequencer } = (await import(
    resolve(import.meta.dirname, "..", "functions/tenant-webhooks/sequence-changes.ts")
  )) as { handler: SequencerHandler };
  const { handler: appender } = (await import(
    resolve(import.meta.dirname, "..", "functions/tenant-webhooks/append-to-feed.ts")
  )) as { handler: AppenderHandler };
  const events = options.quick ? 1000 : 2000;
  const configs = [
    { tenants: 1, shards: 1 },
    { tenants: 1, shards: 4 },
    { tenants: 1, shards: 16 },
    { tenants: 20, shards: 4 },
    { tenants: 20, shards: 16 },
  ];
  const loadBefore = load();
  const runs: CeilingRun[] = [];
  for (const config of configs) {
    runs.push(await run({ design: "fifo", sequencer, appender }, options.template, events, config));
    runs.push(await run({ design: "racing" }, options.template, events, config));
  }
  const loadAfter = load();

  const rows = runs.map((r) => [
    r.design === "fifo" ? "FIFO appender" : "racing shards (before)",
    String(r.tenants),
    String(r.shards),
    String(r.events),
    r.wallMs.toFixed(0),
    r.eventsPerSecond.toFixed(0),
    `${r.appends} / ${r.cancelled}`,
    (r.events / r.appends).toFixed(1),
    r.feedWritesPerEvent.toFixed(3),
    `${r.feedWcuPerEvent.toFixed(3)} (${r.feedWcuPerEventWithCancelled.toFixed(3)})`,
    r.headReadsPerEvent.toFixed(3),
    r.msPerAppend.toFixed(1),
    `${(PARTITION_WCU / r.feedWcuPerEvent).toFixed(0)} (${(PARTITION_WCU / r.feedWcuPerEventWithCancelled).toFixed(0)})`,
  ]);
  return {
    runs,
    lines: [
      "**Per-tenant feed ceiling.** History items as the stream hands them over " +
        "(a number's items on one shard; the shards' batches of up to 1000 side by side, each shard's in turn), " +
        "appended by each design: *FIFO appender* (deployed) — the sequencer's handler sends them to the FIFO feed " +
        "queue (in-process, batches of 10, one invocation per tenant's group at a time) and the appender's handler " +
        "appends them, wall time until the queue is drained; *racing shards* (before issue 23) — each batch appends " +
        "its own tenants' events, concurrent batches of a tenant racing for its head. " +
        `${events} events a run, ${NUMBERS_PER_RUN} numbers spread over the tenants; copies of a real webhook ` +
        `change's history item (${runs[0]?.feedItemBytes ?? 0}-byte feed items). Load ${loadBefore} before, ${loadAfter} after. ` +
        "*FEED#<t>* columns: per event, on the tenants' feed partitions, committed appends (with the cancelled " +
        "ones' items counted as written too, an upper bound). *ms per append*: wall time ÷ committed appends " +
        "(DynamoDB Local's, one process; not AWS's). *AWS ceiling*: DynamoDB's 1,000 WCU a second per partition ÷ the " +
        "WCU on `FEED#<t>` per event (÷ the upper bound), the events a second one tenant's feed takes in AWS.",
      "",
      ...table(
        [
          "design",
          "tenants",
          "concurrent batches (shards)",
          "events",
          "wall ms",
          "events/s (Local)",
          "appends committed / cancelled",
          "events per append",
          "writes on FEED#<t> per event",
          "WCU on FEED#<t> per event",
          "head reads per event",
          "ms per append",
          "AWS ceiling, events/s per tenant",
        ],
        rows,
      ),
    ],
  };
}

/** `n` copies of the template: fresh event ids, numbers and tenants, in each number's order. */
function historyItems(template: Item, events: number, tenants: string[], numbers: string[]): Item[] {
  const versions = new Map<string, number>();
  return Array.from({ length: events }, (_, i) => {
    const number = numbers[i % numbers.length] as string;
    const tenantId = tenants[(i % numbers.length) % tenants.length] as string;
    const version = (versions.get(number) ?? 0) + 1;
    versions.set(number, version);
    return {
      ...template,
      pk: { S: `PHONE#${number}` },
      sk: { S: `HISTORY#${String(version).padStart(12, "0")}` },
      eventId: { S: newEventId() },
      tenantId: { S: tenantId },
      phoneNumberId: { S: number },
      version: { N: String(version) },
    };
  });
}

type Driver =
  | { design: "fifo"; sequencer: SequencerHandler; appender: AppenderHandler }
  | { design: "racing" };

async function run(
  driver: Driver,
  template: Item,
  events: number,
  config: { tenants: number; shards: number },
): Promise<CeilingRun> {
  const prefix = randomBytes(3).toString("hex");
  const tenants = Array.from({ length: config.tenants }, (_, i) => `ceiling-${prefix}-${i}`);
  const numbers = Array.from({ length: NUMBERS_PER_RUN }, (_, i) =>
    `9${prefix.replace(/[a-f]/g, "7")}${String(i).padStart(8, "0")}`.slice(0, 15).padEnd(15, "0"),
  );
  const items = historyItems(template, events, tenants, numbers);
  const shardOf = new Map(numbers.map((number, i) => [number, i % config.shards]));
  const shards: Item[][] = Array.from({ length: config.shards }, () => []);
  for (const item of items) shards[shardOf.get(item.phoneNumberId?.S ?? "") ?? 0]?.push(item);

  const failures: unknown[] = [];
  const queue =
    driver.design === "fifo"
      ? createLocalFifoQueue({
          batchSize: eventPipeline.feedBatchSize,
          maxReceives: eventPipeline.feedDeadLetterAfterReceives,
          retryDelayMs: 100,
          consume: (event) => driver.appender(event, context),
          onDeadLetter: (message) => failures.push(new Error(`dead-lettered: ${message.tenantId}`)),
          onError: (error) => failures.push(error),
        })
      : undefined;
  setLocalFeedQueue(queue);
  const handle = (event: DynamoDBStreamEvent) =>
    driver.design === "fifo" ? driver.sequencer(event, context) : appendBatchRacing(event);

  const meter = installMeter({ images: false, table: "" });
  let calls: CallRecord[];
  const started = performance.now();
  try {
    await Promise.all(
      shards.map(async (records) => {
        for (let i = 0; i < records.length; i += BATCH)
          await handle(streamEvent(records.slice(i, i + BATCH)));
      }),
    );
    await queue?.drained();
    calls = [...meter.calls];
  } finally {
    meter.stop();
    await queue?.close();
    setLocalFeedQueue(undefined);
  }
  const wallMs = performance.now() - started;
  if (failures.length > 0) throw failures[0];
  let sequenced = 0;
  for (const tenantId of tenants) sequenced += await readFeedHead(tenantId);
  if (sequenced !== events) throw new Error(`feeds hold ${sequenced} events, ${events} were streamed`);

  const isFeed = (pk: string) => pk.startsWith("FEED#");
  const appendsOk = calls.filter((c) => c.command === "TransactWriteItems" && c.ok);
  const appendsFailed = calls.filter((c) => c.command === "TransactWriteItems" && !c.ok);
  const feedWrites = (list: CallRecord[]) =>
    list.flatMap((c) => c.writes.filter((w) => w.on === "table" && isFeed(w.pk)));
  const committed = feedWrites(appendsOk);
  const cancelled = feedWrites(appendsFailed);
  const feedItem = appendsOk.flatMap((c) => c.puts).find((item) => item.sk?.S?.startsWith("SEQ#"));
  return {
    design: driver.design,
    tenants: config.tenants,
    shards: config.shards,
    events,
    wallMs,
    eventsPerSecond: events / (wallMs / 1000),
    appends: appendsOk.length,
    cancelled: appendsFailed.length,
    feedWritesPerEvent: committed.length / events,
    feedWcuPerEvent: committed.reduce((s, w) => s + w.wcu, 0) / events,
    feedWcuPerEventWithCancelled: [...committed, ...cancelled].reduce((s, w) => s + w.wcu, 0) / events,
    headReadsPerEvent:
      calls.filter((c) => c.command === "GetItem" && c.reads.some((r) => isFeed(r.pk))).length / events,
    feedItemBytes: itemSize(feedItem),
    msPerAppend: wallMs / Math.max(1, appendsOk.length / config.tenants),
  };
}
