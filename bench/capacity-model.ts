/**
 * The capacity model of docs/scale.md, as arithmetic on the figures this run measured (the
 * per-path costs of bench/capacity.ts and the feed runs of bench/feed-ceiling.ts): a stated
 * workload, each path's cost at that workload, the busiest key of each kind against DynamoDB's
 * per-partition limits, the AWS quotas and our own settings, and the scale (× the workload) at
 * which each limit is reached. Nothing here is measured; everything is multiplied from what was.
 *
 * Scaling: × k multiplies every count and rate of the workload (tenants, numbers, requests,
 * changes); the largest tenant keeps its share, so its own rates grow k-fold too (the case for
 * per-tenant keys: a provider whose largest customer grows with it).
 */
import type { PathCost } from "./capacity.ts";
import type { Ceiling } from "./feed-ceiling.ts";
import { table } from "./section.ts";

/** The workload at 1×: inputs of the model, not measurements. */
export const WORKLOAD = {
  tenants: 300,
  numbers: 300_000,
  /** The largest tenant's share of numbers and of every rate below. */
  largestShare: 0.1,
  /** Graph username routes, requests a second, the whole service. */
  graph: { get: 6, suggestions: 1, post: 2.4, delete: 0.6 },
  /** Meta's answer to a Graph call (the username routes wait for it), ms. */
  metaAnswerMs: 500,
  /** Every tenant polls its change feed this often (seconds); a page holds up to 100 events. */
  feedPollSeconds: 10,
  /** GET /v1/phone_numbers pages a second, the whole service. */
  numberPagesPerSecond: 3,
  /** Meta's webhook changes a second, the whole service, on average; changes per delivery on average. */
  webhookChangesPerSecond: 10,
  changesPerDelivery: 10,
  /** The burst: the largest tenant's changes a second while Meta sends it deliveries of 1000 at once. */
  burstChangesPerSecond: 1000,
  burstSeconds: 10,
  /** Tenant endpoints: one per tenant; their answer time (ms); share of first attempts that fail (each retried once, then delivered). */
  endpointAnswerMs: 200,
  failingShare: 0.01,
  /** Numbers the reconciler finds due (unresolved), a second. */
  dueNumbersPerSecond: 0.01,
  /** As deployed (infra/reconciler.ts, functions/core/config.ts). */
  driftSweepHours: 24,
  reconcileBatchPerRun: 100,
  /** META_SYNC_RATE_PER_SECOND: the sweep's pace, which bounds a run's batch (× 50 s: reconcile/sweep-plan.ts). */
  metaSyncRatePerSecond: 5,
  reconcilerRunsPerSecond: 1 / 60,
} as const;

/** Limits as deployed or documented (sources in docs/scale.md). */
const LIMITS = {
  partitionWcu: 1000,
  partitionRcu: 3000,
  lambdaConcurrency: 1000,
  tableUnits: 40_000,
  apiAccountRps: 10_000,
  routeRps: 100,
  tenantMetaPerMinute: 120,
  tenantReadPerMinute: 600,
  dispatcherParallel: 8,
  dueQueryConcurrency: 8,
  reconcilerScheduleSeconds: 60,
};

export interface CapacityModelInput {
  costs: PathCost[];
  ceiling: Ceiling;
}

type Kind = "setting" | "quota" | "partition";

export interface ModelLimit {
  name: string;
  kind: Kind;
  /** The demand at 1× and the capacity, in `unit`. */
  demand: number;
  capacity: number;
  unit: string;
  /** Scale (× the workload) at which the demand reaches the capacity. */
  reachedAt: number;
  /** Bench rows and arithmetic the demand comes from. */
  from: string;
  /** A demand of the largest tenant's burst, not of its sustained rates. */
  burst?: boolean;
}

export interface ModelResult {
  limits: ModelLimit[];
  /** First limit reached by each scale (sustained rates): of any kind, AWS's (settings raised), per-partition; in the burst. */
  first: Array<{
    scale: number;
    any?: ModelLimit;
    quota?: ModelLimit;
    partition?: ModelLimit;
    burst?: ModelLimit;
  }>;
  lines: string[];
}

const f = (value: number, digits = 2) => {
  if (value === 0) return "0";
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  if (Math.abs(value) >= 0.01) return value.toFixed(digits);
  return value.toPrecision(2);
};

export function capacityModel(input: CapacityModelInput): ModelResult {
  const w = WORKLOAD;
  const cost = (id: string): PathCost => {
    const found = input.costs.find((c) => c.id === id);
    if (!found) throw new Error(`capacity model: no measured path '${id}'`);
    return found;
  };
  /** Units of the busiest value of a key pattern, per unit of work of a path (0 when the path does not reach it). */
  const on = (id: string, pattern: string, index = "table") => {
    const key = cost(id).keys.find((k) => k.pattern === pattern && k.on === index);
    return { wcu: key?.wcu ?? 0, rcu: key?.rcu ?? 0 };
  };

  // ---- Rates at 1×, units of work a second: the whole service, and the largest tenant.
  const events = w.webhookChangesPerSecond + w.graph.post + w.graph.delete;
  const failed = events * w.failingShare;
  const feedPolls = w.tenants / w.feedPollSeconds;
  // A run's sweep batch (reconcile/sweep-plan.ts): the numbers ÷ the interval's one-minute runs,
  // at least RECONCILE_BATCH_SIZE, at most the pace's 50 s.
  const sweepCapPerRun = w.metaSyncRatePerSecond * 50;
  const sweepBatchPerRun = Math.min(
    sweepCapPerRun,
    Math.max(w.reconcileBatchPerRun, Math.ceil(w.numbers / (w.driftSweepHours * 60))),
  );
  const sweepNumbers = Math.min(
    w.numbers / (w.driftSweepHours * 3600),
    sweepBatchPerRun * w.reconcilerRunsPerSecond,
  );
  const rates: Record<string, number> = {
    get: w.graph.get,
    suggestions: w.graph.suggestions,
    post: w.graph.post,
    delete: w.graph.delete,
    "v1-feed": feedPolls,
    "v1-numbers": w.numberPagesPerSecond,
    webhook: w.webhookChangesPerSecond,
    sequencer: events,
    appender: events,
    attempt: events - failed,
    "attempt-failed": failed,
    sweep: failed,
    "attempt-retry": failed,
    "reconciler-idle": w.reconcilerRunsPerSecond,
    "reconciler-due": w.dueNumbersPerSecond + sweepNumbers,
  };
  const external: Record<string, number> = {
    get: w.metaAnswerMs,
    suggestions: w.metaAnswerMs,
    post: w.metaAnswerMs,
    delete: w.metaAnswerMs,
    "reconciler-due": w.metaAnswerMs,
    attempt: w.endpointAnswerMs / LIMITS.dispatcherParallel,
    "attempt-failed": w.endpointAnswerMs / LIMITS.dispatcherParallel,
    "attempt-retry": w.endpointAnswerMs / LIMITS.dispatcherParallel,
  };
  const invocationsPerUnit: Record<string, number> = {
    webhook: 1 / w.changesPerDelivery,
    // Upper bound: each history record its own stream batch, and its own FIFO message and batch.
    sequencer: 1,
    appender: 1,
    attempt: 1 / 49 / 10,
    "attempt-failed": 1 / 49 / 10,
    "attempt-retry": 1 / 49 / 10,
    sweep: 0,
    "reconciler-due": 0,
  };
  const pathRows = Object.entries(rates).map(([id, rate]) => {
    const c = cost(id);
    const seconds = (c.ms + (external[id] ?? 0)) / 1000;
    return {
      id,
      rate,
      calls: rate * c.calls,
      wcu: rate * c.wcu,
      rcu: rate * c.rcu,
      invocations: rate * (invocationsPerUnit[id] ?? 1),
      concurrency: rate * seconds,
      sqs: rate * c.sqsMessages,
      stream: rate * c.streamRecords,
    };
  });
  const sum = (pick: (row: (typeof pathRows)[number]) => number) => pathRows.reduce((s, r) => s + pick(r), 0);

  // ---- The limits: demand at 1× against capacity.
  const L = w.largestShare;
  // The deployed design: one appender per tenant through the FIFO feed queue.
  const oneTenant = (design: string) =>
    input.ceiling.runs
      .filter((r) => r.design === design && r.tenants === 1)
      .sort((a, b) => a.shards - b.shards);
  const feedRun = oneTenant("fifo")[0];
  const contended = oneTenant("fifo").at(-1);
  const racing = oneTenant("racing").at(-1);
  const feedWcuPerEvent = feedRun?.feedWcuPerEvent ?? on("appender", "FEED#<tenant>").wcu;
  const feedWcuContended = contended?.feedWcuPerEventWithCancelled ?? feedWcuPerEvent;
  const feedWcuRacing = racing?.feedWcuPerEventWithCancelled ?? feedWcuContended;
  const byTenantWcu = (
    [
      ["webhook", w.webhookChangesPerSecond],
      ["post", w.graph.post],
      ["delete", w.graph.delete],
      ["attempt-failed", failed],
      ["attempt-retry", failed],
      ["reconciler-due", w.dueNumbersPerSecond + sweepNumbers],
    ] as const
  ).reduce((s, [id, rate]) => s + rate * L * on(id, "TENANT#<tenant>", "byTenant").wcu, 0);
  const numberBytes = cost("v1-numbers").bytesRead;
  const largestNumbers = w.numbers * L;
  // The drift sweep reads its batch from the tenant it is in (a Query from its cursor, Limit = the
  // batch), eventually consistent: the batch's records, not the tenant's.
  const sweepListingRcuPerRun =
    Math.ceil((Math.min(sweepBatchPerRun, largestNumbers) * numberBytes) / 4096) * 0.5;
  const metaBoundLargest = (w.graph.get + w.graph.suggestions + w.graph.post + w.graph.delete) * L;
  /** The largest tenant's feed polls: every poll interval, or as often as its events fill a page of 100. */
  const largestFeedPolls = Math.max(1 / w.feedPollSeconds, (events * L) / 100);
  const largestReadsPerSecond = largestFeedPolls + w.numberPagesPerSecond * L;
  const idle = cost("reconciler-idle");
  const dueQueries = idle.calls - 1; // the tenant list's Query aside
  const tenantsMeasured = dueQueries - 1; // the earlier layout's partition aside
  /** Local time of one due-index Query, 8 at a time: the idle run's time over its rounds of 8. */
  const msPerDueQuery = idle.ms / Math.max(1, Math.ceil(dueQueries / LIMITS.dueQueryConcurrency));
  const limits: Omit<ModelLimit, "reachedAt">[] = [
    {
      name: "drift sweep: every number once per DRIFT_SWEEP_INTERVAL_HOURS (24 h)",
      kind: "setting",
      demand: w.numbers / w.driftSweepHours,
      capacity: sweepCapPerRun * 60,
      unit: "numbers an hour",
      from: `a run's batch at most META_SYNC_RATE_PER_SECOND ${w.metaSyncRatePerSecond} × 50 s = ${sweepCapPerRun}, one-minute runs; ${w.numbers} numbers ÷ ${w.driftSweepHours} h`,
    },
    {
      name: "the largest tenant's Meta limit (TENANT_META_LIMIT_PER_MINUTE, production 120)",
      kind: "setting",
      demand: metaBoundLargest * 60,
      capacity: LIMITS.tenantMetaPerMinute,
      unit: "Graph requests a minute",
      from: `${L * 100}% of ${f(metaBoundLargest / L)} Graph requests/s`,
    },
    {
      name: "the largest tenant's /v1 read limit (TENANT_READ_LIMIT_PER_MINUTE, production 600)",
      kind: "setting",
      demand: largestReadsPerSecond * 60,
      capacity: LIMITS.tenantReadPerMinute,
      unit: "/v1 requests a minute",
      from: `its feed polls (every ${w.feedPollSeconds} s, or as often as its events fill a page of 100) and ${L * 100}% of the number pages`,
    },
    {
      name: "largest tenant's /v1 read counter `READLIMIT#<t>`",
      kind: "partition",
      demand:
        largestFeedPolls * on("v1-feed", "READLIMIT#<tenant>").wcu +
        w.numberPagesPerSecond * L * on("v1-numbers", "READLIMIT#<tenant>").wcu,
      capacity: LIMITS.partitionWcu,
      unit: "WCU/s",
      from: "its /v1 requests × WCU on `READLIMIT#<tenant>` (rows v1-feed, v1-numbers)",
    },
    {
      name: "API Gateway stage throttle per route (infra/api.ts: 100 rps, burst 200): GET /v1/username_changes",
      kind: "setting",
      demand: feedPolls,
      capacity: LIMITS.routeRps,
      unit: "requests/s",
      from: `${w.tenants} tenants polling every ${w.feedPollSeconds} s`,
    },
    {
      name: "reconciler run: due-index Queries (one per tenant) within its one-minute schedule",
      kind: "setting",
      demand: (Math.ceil((w.tenants + 2) / LIMITS.dueQueryConcurrency) * msPerDueQuery) / 1000,
      capacity: LIMITS.reconcilerScheduleSeconds,
      unit: "seconds a run",
      from: `${w.tenants + 2} Queries, ${LIMITS.dueQueryConcurrency} at a time, ${f(msPerDueQuery)} ms a round of ${LIMITS.dueQueryConcurrency} (row reconciler-idle: ${tenantsMeasured} tenants; DynamoDB Local's time)`,
    },
    {
      name: "Lambda concurrent executions, account and Region (default quota 1,000)",
      kind: "quota",
      demand: sum((r) => r.concurrency),
      capacity: LIMITS.lambdaConcurrency,
      unit: "concurrent executions",
      from: "Σ rate × (in-process ms + Meta's or the endpoint's answer), per path below",
    },
    {
      name: "API Gateway throttle, account and Region (default quota 10,000 rps)",
      kind: "quota",
      demand:
        w.graph.get +
        w.graph.suggestions +
        w.graph.post +
        w.graph.delete +
        feedPolls +
        w.numberPagesPerSecond +
        w.webhookChangesPerSecond / w.changesPerDelivery,
      capacity: LIMITS.apiAccountRps,
      unit: "requests/s",
      from: "every route's requests, Meta's deliveries included",
    },
    {
      name: "DynamoDB table throughput, on-demand (default quota 40,000 write request units/s a table)",
      kind: "quota",
      demand: sum((r) => r.wcu),
      capacity: LIMITS.tableUnits,
      unit: "WCU/s",
      from: "Σ rate × WCU per unit, table and indexes together (paths below)",
    },
    {
      name: "DynamoDB table throughput, on-demand (default quota 40,000 read request units/s a table)",
      kind: "quota",
      demand: sum((r) => r.rcu),
      capacity: LIMITS.tableUnits,
      unit: "RCU/s",
      from: "Σ rate × RCU per unit (paths below)",
    },
    {
      name: "largest tenant's feed `FEED#<t>` during its burst",
      kind: "partition",
      burst: true,
      demand: w.burstChangesPerSecond * feedWcuPerEvent,
      capacity: LIMITS.partitionWcu,
      unit: "WCU/s",
      from: `${w.burstChangesPerSecond} events/s × ${f(feedWcuPerEvent, 3)} WCU per event, for ${w.burstSeconds} s`,
    },
    {
      name: "largest tenant's `TENANT#<t>` on byTenant during its burst",
      kind: "partition",
      burst: true,
      demand: w.burstChangesPerSecond * on("webhook", "TENANT#<tenant>", "byTenant").wcu,
      capacity: LIMITS.partitionWcu,
      unit: "WCU/s",
      from: `${w.burstChangesPerSecond} changes/s × ${f(on("webhook", "TENANT#<tenant>", "byTenant").wcu)} WCU (row webhook), for ${w.burstSeconds} s`,
    },
    {
      name: "largest tenant's feed `FEED#<t>`, sustained (one partition; its `SEQ#` keys only grow)",
      kind: "partition",
      demand: events * L * feedWcuPerEvent,
      capacity: LIMITS.partitionWcu,
      unit: "WCU/s",
      from: `${f(events * L)} events/s × ${f(feedWcuPerEvent, 3)} WCU per event (feed run FIFO, 1 tenant, 1 batch at a time)`,
    },
    {
      name: "largest tenant's feed `FEED#<t>`, sustained, its events on many stream shards at once (one FIFO appender; cancelled appends charged)",
      kind: "partition",
      demand: events * L * feedWcuContended,
      capacity: LIMITS.partitionWcu,
      unit: "WCU/s",
      from: `${f(events * L)} events/s × ${f(feedWcuContended, 3)} WCU per event (feed run FIFO, 1 tenant, ${contended?.shards ?? 0} shards' batches at a time, ${contended?.cancelled ?? 0} appends cancelled; racing shards before: ${f(feedWcuRacing, 3)})`,
    },
    {
      name: "largest tenant's `TENANT#<t>` on the byTenant index (every phone record write is an index write)",
      kind: "partition",
      demand: byTenantWcu,
      capacity: LIMITS.partitionWcu,
      unit: "WCU/s",
      from: "Σ the tenant's rates × WCU on `TENANT#<tenant>` (byTenant) per unit: rows webhook, post, delete, attempt-failed, attempt-retry, reconciler-due",
    },
    {
      name: "largest tenant's `TENANT#<t>` on byTenant, read: the drift sweep's batch from its cursor, every run",
      kind: "partition",
      demand:
        sweepListingRcuPerRun * w.reconcilerRunsPerSecond +
        w.numberPagesPerSecond * L * cost("v1-numbers").rcu,
      capacity: LIMITS.partitionRcu,
      unit: "RCU/s",
      from: `a batch of ${sweepBatchPerRun} numbers × ${f(numberBytes, 0)} B (row v1-numbers) ÷ 4 KB × ½, once a minute; plus its /v1/phone_numbers pages`,
    },
    {
      name: "largest tenant's Meta limit counter `RATELIMIT#<t>`",
      kind: "partition",
      demand:
        L *
        (w.graph.get * on("get", "RATELIMIT#<tenant>").wcu +
          w.graph.suggestions * on("suggestions", "RATELIMIT#<tenant>").wcu +
          w.graph.post * on("post", "RATELIMIT#<tenant>").wcu +
          w.graph.delete * on("delete", "RATELIMIT#<tenant>").wcu),
      capacity: LIMITS.partitionWcu,
      unit: "WCU/s",
      from: "the tenant's Graph requests × WCU on `RATELIMIT#<tenant>` (rows get, suggestions, post, delete)",
    },
    {
      name: "largest tenant's due index `INTENT#DUE#<t>` (byDueTime)",
      kind: "partition",
      demand:
        L *
        (w.graph.post * on("post", "INTENT#DUE#<tenant>", "byDueTime").wcu +
          w.graph.delete * on("delete", "INTENT#DUE#<tenant>", "byDueTime").wcu),
      capacity: LIMITS.partitionWcu,
      unit: "WCU/s",
      from: "the tenant's POST and DELETE × WCU on `INTENT#DUE#<tenant>` (rows post, delete)",
    },
    {
      name: "a delivery due-index shard `DUE#<0-7>` (byDueTime, the whole service)",
      kind: "partition",
      demand:
        failed * on("attempt-failed", "DUE#<0-7>", "byDueTime").wcu +
        failed * on("attempt-retry", "DUE#<0-7>", "byDueTime").wcu,
      capacity: LIMITS.partitionWcu,
      unit: "WCU/s",
      from: "failed attempts/s × WCU on the busiest `DUE#<0-7>` value (rows attempt-failed, attempt-retry)",
    },
    {
      name: "largest tenant's feed `FEED#<t>`, read: its polls and retries",
      kind: "partition",
      demand: largestFeedPolls * cost("v1-feed").rcu + failed * L * on("attempt-retry", "FEED#<tenant>").rcu,
      capacity: LIMITS.partitionRcu,
      unit: "RCU/s",
      from: "pages of 100 (row v1-feed) as often as its events fill them, at least every poll; retries' feed reads",
    },
  ];
  const withScale: ModelLimit[] = limits
    .map((limit) => ({ ...limit, reachedAt: limit.capacity / limit.demand }))
    .sort((a, b) => a.reachedAt - b.reachedAt);
  const firstOf = (scale: number, kinds: Kind[], burst = false, above = 0) =>
    withScale.find(
      (limit) =>
        kinds.includes(limit.kind) &&
        Boolean(limit.burst) === burst &&
        limit.reachedAt > above &&
        limit.reachedAt <= scale,
    );
  const all: Kind[] = ["setting", "quota", "partition"];
  const first = [10, 100, 1000].map((scale) => ({
    scale,
    any: firstOf(scale, all),
    since: firstOf(scale, all, false, scale === 10 ? 1 : scale / 10),
    quota: firstOf(scale, ["quota", "partition"]),
    burst: firstOf(scale, ["partition"], true),
  }));

  // The burst: the largest tenant's deliveries of 1000 changes at burstChangesPerSecond.
  const burstFeed = w.burstChangesPerSecond * feedWcuPerEvent;
  const burstByTenant = w.burstChangesPerSecond * on("webhook", "TENANT#<tenant>", "byTenant").wcu;
  const ceilingEvents = LIMITS.partitionWcu / feedWcuPerEvent;
  const ceilingContended = LIMITS.partitionWcu / feedWcuContended;
  const ceilingRacing = LIMITS.partitionWcu / feedWcuRacing;
  const byTenantChanges = LIMITS.partitionWcu / on("webhook", "TENANT#<tenant>", "byTenant").wcu;

  const name = (limit?: ModelLimit) => (limit ? `${limit.name} (× ${f(limit.reachedAt, 1)})` : "none");
  const lines = [
    "**Capacity model** (docs/scale.md explains it): the workload at 1× (bench/capacity-model.ts `WORKLOAD`): " +
      `${w.tenants} tenants, ${w.numbers} numbers, the largest tenant ${L * 100}% of numbers and of every rate; ` +
      `Graph routes ${w.graph.get} GET username, ${w.graph.suggestions} suggestions, ${w.graph.post} POST, ${w.graph.delete} DELETE a second ` +
      `(Meta answers in ${w.metaAnswerMs} ms); every tenant polls its feed every ${w.feedPollSeconds} s; ` +
      `${w.numberPagesPerSecond} /v1/phone_numbers pages a second; Meta's webhooks ${w.webhookChangesPerSecond} changes a second ` +
      `(${w.changesPerDelivery} a delivery on average), bursts of ${w.burstChangesPerSecond} changes a second for ${w.burstSeconds} s ` +
      `to the largest tenant (deliveries of 1000); one endpoint per tenant answering in ${w.endpointAnswerMs} ms, ` +
      `${w.failingShare * 100}% of first attempts failing once; ${w.dueNumbersPerSecond} due numbers a second; ` +
      `the drift sweep every ${w.driftSweepHours} h.`,
    "",
    "Each path at 1×: its units of work a second × its measured cost per unit (rows above).",
    "",
    ...table(
      [
        "path",
        "units/s",
        "DynamoDB calls/s",
        "WCU/s",
        "RCU/s",
        "Lambda invocations/s",
        "Lambda concurrency",
        "SQS messages/s",
        "stream records/s",
      ],
      [
        ...pathRows.map((r) => [
          r.id,
          f(r.rate, 3),
          f(r.calls),
          f(r.wcu),
          f(r.rcu),
          f(r.invocations, 3),
          f(r.concurrency, 3),
          f(r.sqs, 3),
          f(r.stream),
        ]),
        [
          "**total**",
          "",
          f(sum((r) => r.calls)),
          f(sum((r) => r.wcu)),
          f(sum((r) => r.rcu)),
          f(sum((r) => r.invocations)),
          f(sum((r) => r.concurrency)),
          f(
            sum((r) => r.sqs),
            3,
          ),
          f(sum((r) => r.stream)),
        ],
      ],
    ),
    "",
    "Limits, by the scale at which the workload reaches them (*reached at* = capacity ÷ demand at 1×; *setting*: " +
      "ours, *quota*: AWS's, raised on request, *partition*: DynamoDB's per-partition limit, which nothing raises; " +
      "*burst*: the largest tenant's burst, not its sustained rate). The first limits below are of sustained rates; " +
      "the burst's column apart.",
    "",
    ...table(
      ["limit", "kind", "demand at 1×", "capacity", "reached at", "from"],
      withScale.map((l) => [
        l.name,
        l.burst ? `${l.kind} (burst)` : l.kind,
        `${f(l.demand)} ${l.unit}`,
        `${f(l.capacity)} ${l.unit}`,
        `× ${f(l.reachedAt, 1)}`,
        l.from,
      ]),
    ),
    "",
    ...table(
      [
        "scale",
        "first limit reached",
        "first reached since the scale before",
        "first AWS limit (our settings raised)",
        "first limit in the largest tenant's burst",
      ],
      first.map((row) => [`${row.scale}×`, name(row.any), name(row.since), name(row.quota), name(row.burst)]),
    ),
    "",
    `Bursts (not scaled): the largest tenant's ${w.burstChangesPerSecond} changes a second put ${f(burstFeed)} WCU/s on ` +
      `its \`FEED#<t>\` (ceiling ${f(ceilingEvents, 0)} events/s at ${f(feedWcuPerEvent, 3)} WCU per event; ` +
      `${f(ceilingContended, 0)} events/s with ${contended?.shards ?? 0} shards' batches at once, ${contended?.cancelled ?? 0} appends cancelled, ` +
      `one appender per tenant; it was ${f(ceilingRacing, 0)} events/s when ${racing?.shards ?? 0} batches raced for the head and ` +
      `cancelled appends are charged) and ` +
      `${f(burstByTenant)} WCU/s on its \`TENANT#<t>\` byTenant partition (ceiling ${f(byTenantChanges, 0)} changes/s).`,
  ];
  return { limits: withScale, first, lines };
}
