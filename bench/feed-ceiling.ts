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
 * to 49 events conditional on the head (store/event-feed.ts), so concurrent batches of one tenant
 * take turns, and a lost race (head moved, transaction conflict) is tried again.
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
import type { Context, DynamoDBStreamEvent } from "aws-lambda";
import { newEventId } from "../functions/core/event-id.ts";
import { readFeedHead } from "../functions/core/store/event-feed.ts";
import { type CallRecord, type Item, installMeter, itemSize } from "./capacity-meter.ts";
import type { BenchEnvironment } from "./environment.ts";
import { load } from "./machine.ts";
import { table } from "./section.ts";
import { streamEvent } from "./stream-event.ts";

export interface CeilingRun {
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

export async function feedCeiling(
  _env: BenchEnvironment,
  options: { quick: boolean; template: Item },
): Promise<Ceiling> {
  const { handler } = (await import(
    resolve(import.meta.dirname, "..", "functions/tenant-webhooks/sequence-changes.ts")
  )) as { handler: SequencerHandler };
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
  for (const config of configs) runs.push(await run(handler, options.template, events, config));
  const loadAfter = load();

  const rows = runs.map((r) => [
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
      "**Per-tenant feed ceiling.** The sequencer's handler fed history items as the stream hands them over " +
        "(a number's items on one shard; the shards' batches of up to 1000 side by side, each shard's in turn), " +
        `${events} events a run, ${NUMBERS_PER_RUN} numbers spread over the tenants; copies of a real webhook ` +
        `change's history item (${runs[0]?.feedItemBytes ?? 0}-byte feed items). Load ${loadBefore} before, ${loadAfter} after. ` +
        "*FEED#<t>* columns: per event, on the tenants' feed partitions, committed appends (with the cancelled " +
        "ones' items counted as written too, an upper bound). *ms per append*: wall time ÷ committed appends " +
        "(DynamoDB Local's, one process; not AWS's). *AWS ceiling*: DynamoDB's 1,000 WCU a second per partition ÷ the " +
        "WCU on `FEED#<t>` per event (÷ the upper bound), the events a second one tenant's feed takes in AWS.",
      "",
      ...table(
        [
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

async function run(
  handler: SequencerHandler,
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

  const meter = installMeter({ images: false, table: "" });
  let calls: CallRecord[];
  const started = performance.now();
  try {
    await Promise.all(
      shards.map(async (records) => {
        for (let i = 0; i < records.length; i += BATCH) {
          await handler(streamEvent(records.slice(i, i + BATCH)), {
            getRemainingTimeInMillis: () => 60_000,
          } as Context);
        }
      }),
    );
    calls = [...meter.calls];
  } finally {
    meter.stop();
  }
  const wallMs = performance.now() - started;
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
