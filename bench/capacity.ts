/**
 * 10. Capacity: what each path of the service costs, measured with the real handlers in-process
 * against DynamoDB Local and the Meta sandbox, for the capacity model of docs/scale.md.
 *
 * For each path, counted on the store's client (bench/capacity-meter.ts: every item written and
 * read, with its size, before and after each write): DynamoDB calls, items written and read and
 * their bytes, the write and read units AWS charges for them by DynamoDB's rules (DynamoDB
 * Local's own ConsumedCapacity beside them), the partition keys they reach (table and indexes,
 * named by pattern: bench/key-patterns.ts), the stream records the writes make, the SQS messages
 * handed to the delivery queue, and the handler's in-process duration (median of runs without the
 * meter, whose own reads would be timed too). Figures are per unit of work: a request, a change of
 * a delivery, an event, a delivery attempt, a due number.
 *
 * Then the per-tenant feed ceiling (bench/feed-ceiling.ts) and the model's arithmetic on these
 * figures (bench/capacity-model.ts).
 */

import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, DynamoDBStreamEvent, SQSEvent } from "aws-lambda";
import { addEndpoint } from "../functions/core/admin/endpoint-registration.ts";
import { clearApiKeyCache } from "../functions/core/auth/authenticate.ts";
import { dynamo } from "../functions/core/store/client.ts";
import { markUnresolvedUpdate } from "../functions/core/store/number-line.ts";
import {
  type DeliveryMessage,
  setLocalDeliveryQueue,
} from "../functions/core/tenant-webhooks/delivery-queue.ts";
import { type FeedMessage, setLocalFeedQueue } from "../functions/core/tenant-webhooks/feed-queue.ts";
import { routes } from "../infra/routes.ts";
import type { WebhookEvent } from "../meta-sandbox/index.ts";
import { type Answer, apiEvent, type Handler, invoke, lambdaContext } from "../test/support/lambda.ts";
import { startTenantEndpoint } from "../test/support/tenant-endpoint.ts";
import { type CallRecord, type Item, installMeter, loadByPlace, totals } from "./capacity-meter.ts";
import { type CapacityModelInput, capacityModel } from "./capacity-model.ts";
import { type BenchEnvironment, type BenchPhone, seedPhones, seedTenant } from "./environment.ts";
import { feedCeiling } from "./feed-ceiling.ts";
import { keyPatterns, scopeOf } from "./key-patterns.ts";
import { load } from "./machine.ts";
import { type Section, table } from "./section.ts";
import type { Service } from "./service.ts";
import { median } from "./stats.ts";
import { streamEvent } from "./stream-event.ts";

const NUMBERS = 1000;
/** Numbers made due for the reconciler's measured run. */
const DUE_NUMBERS = 20;
/** Tenants registered besides the bench's own before the reconciler's runs (each has a due partition). */
const EXTRA_TENANTS = 200;

/** The section's settings, restored after it. */
const SECTION_ENV = {
  // The reconciler paces its Meta calls (5 a second by default): without pacing its run is its work.
  META_SYNC_RATE_PER_SECOND: "1000",
  // A failed attempt is due again after 1 s (not 5 s), so the retry sweep finds it soon.
  WEBHOOK_RETRY_DELAYS: "1,300,1800,7200,18000,36000,36000",
  // DynamoDB Local on a loaded machine can take longer than the 5 s a DynamoDB attempt gets in AWS
  // for a 100-item transaction: a timed-out attempt would be retried and counted twice.
  DYNAMODB_REQUEST_TIMEOUT_MS: "30000",
  // The failing endpoint's attempts count EventDeliveryFailed: its EMF lines would go into the report.
  POWERTOOLS_METRICS_DISABLED: "true",
  // The tenant's /v1 read limit stays on (its counter's write is measured) but out of reach.
  TENANT_READ_LIMIT_PER_MINUTE: "1000000",
};

/** One measured path, per unit of work. */
export interface PathCost {
  id: string;
  path: string;
  unit: string;
  /** Units of work the metered run did (figures below are divided by it). */
  units: number;
  calls: number;
  operations: string;
  itemsWritten: number;
  bytesWritten: number;
  wcu: number;
  itemsRead: number;
  bytesRead: number;
  rcu: number;
  /** The cross-check, per unit: units computed here and DynamoDB Local's own, on the calls it counts as AWS does. */
  checkedComputed: number;
  checkedLocal: number;
  streamRecords: number;
  historyInserts: number;
  sqsMessages: number;
  sqsBytes: number;
  /** In-process handler time per unit (median of the timed runs). */
  ms: number;
  /** Load per key pattern, per unit: writes and units on the busiest value of the pattern. */
  keys: KeyLoad[];
}

export interface KeyLoad {
  pattern: string;
  on: string;
  scope: "service" | "tenant" | "item";
  /** Distinct values of the pattern the metered run reached. */
  values: number;
  /** Per unit of work, on the busiest single value of the pattern. */
  writes: number;
  wcu: number;
  reads: number;
  rcu: number;
}

interface Queued {
  messages: DeliveryMessage[];
  delaySeconds: number;
}

type AnyHandler = (event: never, context: Context) => Promise<unknown>;

async function handlerOf(file: string): Promise<AnyHandler> {
  const module = (await import(resolve(import.meta.dirname, "..", file))) as { handler: AnyHandler };
  return module.handler;
}

const fmt = (value: number, digits = 2) =>
  Number.isInteger(value) ? String(value) : value.toFixed(value < 0.01 && value > 0 ? 4 : digits);

export async function capacity(
  env: BenchEnvironment,
  service: Service,
  options: { repeats: number },
): Promise<Section> {
  const timedRuns = Math.max(5, options.repeats * 4);
  const patterns = keyPatterns();
  const queued: Queued[] = [];
  setLocalDeliveryQueue({
    async send(messages, delaySeconds = 0) {
      queued.push({ messages: [...messages], delaySeconds });
    },
  });
  /** What the sequencer sent to the FIFO feed queue (the appender is invoked with it in turn). */
  const fifo: FeedMessage[] = [];
  setLocalFeedQueue({
    async send(messages) {
      fifo.push(...messages);
    },
  });
  const receiver = await startTenantEndpoint();
  const saved = Object.fromEntries(Object.keys(SECTION_ENV).map((name) => [name, process.env[name]]));
  Object.assign(process.env, SECTION_ENV);
  const [sequencer, appender, dispatcher, sweep, reconciler] = await Promise.all([
    handlerOf("functions/tenant-webhooks/sequence-changes.ts"),
    handlerOf("functions/tenant-webhooks/append-to-feed.ts"),
    handlerOf("functions/tenant-webhooks/deliver-webhooks.ts"),
    handlerOf("functions/tenant-webhooks/retry-webhooks.ts"),
    handlerOf("functions/reconcile/reconciler.ts"),
  ]);
  const v1 = new Map<string, Handler>();
  for (const route of routes.filter((r) => r.path.startsWith("/v1/"))) {
    v1.set(route.path, (await import(resolve(import.meta.dirname, "..", route.handler))).handler as Handler);
  }

  const costs: PathCost[] = [];
  const loadAtStart = load();
  /** A real history item (a webhook change's), the feed ceiling's template. */
  let template: Item | undefined;
  try {
    const tenant = await seedTenant();
    // NUMBERS for Meta's deliveries and the reconciler, one more for the API routes (a number a POST
    // just changed would make a delivery dated earlier stale for it).
    const seeded = await seedPhones(env, tenant, NUMBERS + 1, { perWaba: 20, concurrency: 32 });
    const phones = seeded.slice(0, NUMBERS);
    const endpoint = await addEndpoint(tenant.tenantId, receiver.url);
    patterns.know(tenant.tenantId, "tenant");
    for (const phone of seeded) {
      patterns.know(phone.phoneNumberId, "number");
      patterns.know(phone.wabaId, "waba");
      patterns.know(phone.businessId, "business");
      patterns.know(phone.displayPhoneNumber, "digits");
    }
    patterns.know(endpoint.id, "endpoint");
    const phone = seeded[NUMBERS] as BenchPhone;

    /** Runs `work` under the meter (exact sizes); returns its calls. */
    async function metered(work: () => Promise<unknown>): Promise<CallRecord[]> {
      const meter = installMeter({ images: true, table: env.tableName });
      try {
        await work();
        return [...meter.calls];
      } finally {
        meter.stop();
      }
    }
    /** In-process time of `work` (no meter), median of runs, each after its untimed `prepare`. */
    async function timed(runs: number, work: () => Promise<unknown>, prepare?: () => Promise<unknown>) {
      const samples: number[] = [];
      for (let i = 0; i < runs; i++) {
        await prepare?.();
        const started = performance.now();
        await work();
        samples.push(performance.now() - started);
      }
      return median(samples);
    }
    function record(
      id: string,
      path: string,
      unit: string,
      units: number,
      calls: CallRecord[],
      msPerUnit: number,
      sqs: { messages: readonly unknown[] }[] = [],
    ) {
      const sum = totals(calls);
      const per = (value: number) => value / units;
      const okWrites = calls.filter((c) => c.ok).flatMap((c) => c.writes.filter((w) => w.on === "table"));
      const messages = sqs.flatMap((q) => q.messages);
      // Per pattern: the busiest value, and how many values the run reached.
      const byPattern = new Map<string, KeyLoad>();
      for (const place of loadByPlace(calls)) {
        const pattern = patterns.pattern(place.pk);
        const id = `${place.on} ${pattern}`;
        const known = byPattern.get(id);
        const mine = {
          pattern,
          on: place.on,
          scope: scopeOf(pattern),
          values: 1,
          writes: per(place.writes),
          wcu: per(place.wcu),
          reads: per(place.reads),
          rcu: per(place.rcu),
        };
        if (!known) byPattern.set(id, mine);
        else {
          known.values += 1;
          if (mine.wcu + mine.rcu > known.wcu + known.rcu)
            Object.assign(known, { ...mine, values: known.values });
        }
      }
      costs.push({
        id,
        path,
        unit,
        units,
        calls: per(sum.calls),
        operations: sum.operations,
        itemsWritten: per(sum.itemsWritten),
        bytesWritten: sum.itemsWritten ? sum.bytesWritten / sum.itemsWritten : 0,
        wcu: per(sum.wcu),
        itemsRead: per(sum.itemsRead),
        bytesRead: sum.itemsRead ? sum.bytesRead / sum.itemsRead : 0,
        rcu: per(sum.rcu),
        checkedComputed: per(sum.checkedComputed),
        checkedLocal: per(sum.checkedLocal),
        streamRecords: per(okWrites.filter((w) => w.changed).length),
        historyInserts: per(
          okWrites.filter((w) => w.changed && w.kind === "put" && w.sk.startsWith("HISTORY#")).length,
        ),
        sqsMessages: per(messages.length),
        sqsBytes: messages.length
          ? messages.reduce((s: number, m) => s + JSON.stringify(m).length, 0) / messages.length
          : 0,
        ms: msPerUnit,
        keys: [...byPattern.values()].sort((a, b) => b.wcu + b.rcu - (a.wcu + a.rcu)),
      });
    }
    const ok = (answer: Answer, what: string) => {
      if (answer.status !== 200)
        throw new Error(`${what} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
      return answer;
    };

    // ---- The Graph username routes (one number; the key cached, as on a warm container).
    let names = 0;
    const nextName = () => `bench_cap_${++names}`;
    const call = (endpointName: Parameters<Service["call"]>[0], body?: unknown) =>
      service.call(endpointName, phone, tenant.apiKey, body).then((a) => ok(a, endpointName));
    await call("POST username", { username: nextName() });
    await call("GET username");
    record(
      "get",
      "GET username (key cached, state unchanged)",
      "request",
      1,
      await metered(() => call("GET username")),
      await timed(timedRuns, () => call("GET username")),
    );
    record(
      "get-cold",
      "GET username, key not cached (once per container and key a minute)",
      "request",
      1,
      await metered(async () => {
        clearApiKeyCache();
        await call("GET username");
      }),
      await timed(
        timedRuns,
        () => call("GET username"),
        async () => clearApiKeyCache(),
      ),
    );
    await call("GET username_suggestions");
    record(
      "suggestions",
      "GET username_suggestions",
      "request",
      1,
      await metered(() => call("GET username_suggestions")),
      await timed(timedRuns, () => call("GET username_suggestions")),
    );
    record(
      "post",
      "POST username (a new name)",
      "request",
      1,
      await metered(() => call("POST username", { username: nextName() })),
      await timed(timedRuns, () => call("POST username", { username: nextName() })),
    );
    record(
      "delete",
      "DELETE username (the number had a name)",
      "request",
      1,
      // The number holds the name the last timed POST left.
      await metered(() => call("DELETE username")),
      await timed(
        timedRuns,
        () => call("DELETE username"),
        () => call("POST username", { username: nextName() }),
      ),
    );

    // ---- Meta's webhook: 1000 numbers × 1 change, each a status change of the name it holds.
    let clock = Math.floor(Date.now() / 1000) - 86_400;
    let round = 0;
    const delivery = (): WebhookEvent[] => {
      round++;
      clock += 10;
      return phones.map((p) => ({
        wabaId: p.wabaId,
        displayPhoneNumber: p.displayPhoneNumber,
        time: clock,
        status: round % 2 === 0 ? "approved" : "reserved",
        username: `bench_cap_hook_${p.phoneNumberId}`,
      }));
    };
    const deliver = async (events: WebhookEvent[]) => {
      const answer = ok(await service.deliver(events), "webhook delivery");
      if (answer.json?.applied !== events.length)
        throw new Error(`delivery applied ${answer.body.slice(0, 200)}`);
    };
    await deliver(delivery()); // every number holds its name; also warms DynamoDB Local up
    const deliveryCalls = await metered(() => deliver(delivery()));
    const deliveryMs = await timed(Math.max(2, options.repeats), () => deliver(delivery()));
    record(
      "webhook",
      "Meta webhook: one change of a 1000-change delivery",
      "change",
      NUMBERS,
      deliveryCalls,
      deliveryMs / NUMBERS,
    );

    // ---- The sequencer: the metered delivery's history items, as the stream hands them over.
    const historyItems = deliveryCalls.flatMap((c) =>
      c.ok ? c.puts.filter((item) => item.sk?.S?.startsWith("HISTORY#")) : [],
    );
    if (historyItems.length !== NUMBERS)
      throw new Error(`expected ${NUMBERS} history items, got ${historyItems.length}`);
    template = historyItems[0];
    const fifoEvent = (messages: FeedMessage[]): SQSEvent => ({
      Records: messages.map((message) => ({
        messageId: randomUUID(),
        receiptHandle: randomUUID(),
        body: JSON.stringify(message),
        attributes: {
          ApproximateReceiveCount: "1",
          SentTimestamp: String(Date.now()),
          SenderId: "bench",
          ApproximateFirstReceiveTimestamp: String(Date.now()),
          MessageGroupId: message.tenantId,
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:local:000000000000:FeedQueue.fifo",
        awsRegion: "local",
      })),
    });
    const sequenceOnly = (items: Item[]) =>
      (sequencer as (e: DynamoDBStreamEvent, c: Context) => Promise<unknown>)(
        streamEvent(items),
        lambdaContext(60_000, "EventSequencer"),
      );
    /** The feed messages as the FIFO queue hands them to the appender: 10 an invocation, in order. */
    const appendAll = async (messages: FeedMessage[]) => {
      for (let i = 0; i < messages.length; i += 10) {
        const answer = (await (appender as (e: SQSEvent, c: Context) => Promise<unknown>)(
          fifoEvent(messages.slice(i, i + 10)),
          lambdaContext(60_000, "FeedAppender"),
        )) as { batchItemFailures: unknown[] };
        if (answer.batchItemFailures.length > 0) throw new Error("feed appender reported failed messages");
      }
    };
    /** Stream → sequencer → FIFO feed queue → appender → delivery queue, one after the other. */
    const sequence = async (items: Item[]) => {
      fifo.length = 0;
      await sequenceOnly(items);
      await appendAll(fifo.splice(0));
    };
    fifo.length = 0;
    queued.length = 0;
    const sequencerCalls = await metered(() => sequenceOnly(historyItems));
    const feedMessages = fifo.splice(0);
    const appenderCalls = await metered(() => appendAll(feedMessages));
    const firstMessages = queued.flatMap((q) => q.messages);
    const appenderQueued = [...queued];
    // Timed: fresh history items of untimed deliveries, captured without the meter's reads.
    const freshHistory = async () => {
      const light = installMeter({ images: false, table: env.tableName });
      try {
        await deliver(delivery());
        return light.calls.flatMap((c) =>
          c.ok ? c.puts.filter((i) => i.sk?.S?.startsWith("HISTORY#")) : [],
        );
      } finally {
        light.stop();
      }
    };
    const sequencerSamples: number[] = [];
    const appenderSamples: number[] = [];
    for (let i = 0; i < Math.max(2, options.repeats); i++) {
      const items = await freshHistory();
      fifo.length = 0;
      let started = performance.now();
      await sequenceOnly(items);
      sequencerSamples.push((performance.now() - started) / items.length);
      const messages = fifo.splice(0);
      started = performance.now();
      await appendAll(messages);
      appenderSamples.push((performance.now() - started) / items.length);
    }
    record(
      "sequencer",
      "sequencer: one event of a 1000-item stream batch onto the FIFO feed queue (one tenant)",
      "event",
      NUMBERS,
      sequencerCalls,
      median(sequencerSamples),
      [{ messages: feedMessages }],
    );
    record(
      "appender",
      "feed appender: one event of the FIFO messages of a 1000-item batch, into the feed (one tenant, one endpoint)",
      "event",
      NUMBERS,
      appenderCalls,
      median(appenderSamples),
      appenderQueued,
    );

    // ---- The dispatcher: first attempts, 10 messages an invocation as the queue hands them over.
    const sqsEvent = (messages: DeliveryMessage[], receives = 1): SQSEvent => ({
      Records: messages.map((message) => ({
        messageId: randomUUID(),
        receiptHandle: randomUUID(),
        body: JSON.stringify(message),
        attributes: {
          ApproximateReceiveCount: String(receives),
          SentTimestamp: String(Date.now()),
          SenderId: "bench",
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:local:000000000000:WebhookQueue",
        awsRegion: "local",
      })),
    });
    const dispatch = async (messages: DeliveryMessage[]) => {
      for (let i = 0; i < messages.length; i += 10) {
        const answer = (await (dispatcher as (e: SQSEvent, c: Context) => Promise<unknown>)(
          sqsEvent(messages.slice(i, i + 10)),
          lambdaContext(60_000, "WebhookDispatcher"),
        )) as { batchItemFailures: unknown[] };
        if (answer.batchItemFailures.length > 0) throw new Error("dispatcher reported failed messages");
      }
    };
    const attemptsOf = (messages: DeliveryMessage[]) =>
      messages.reduce((sum, m) => sum + m.deliveries.length, 0);
    // One invocation's worth (10 messages of up to 49 events): the metered first attempts.
    const meteredFirst = firstMessages.slice(0, 10);
    const receivedBefore = receiver.received().length;
    queued.length = 0;
    const dispatchCalls = await metered(() => dispatch(meteredFirst));
    if (receiver.received().length - receivedBefore !== attemptsOf(meteredFirst)) {
      throw new Error("the receiver did not get every first attempt");
    }
    const dispatchSamples: number[] = [];
    for (const chunk of [firstMessages.slice(10, 20), firstMessages.slice(20)]) {
      if (chunk.length === 0) continue;
      const started = performance.now();
      await dispatch(chunk);
      dispatchSamples.push((performance.now() - started) / attemptsOf(chunk));
    }
    record(
      "attempt",
      "dispatcher: one first attempt (messages of 49 events, endpoint answers 204 at once)",
      "attempt",
      attemptsOf(meteredFirst),
      dispatchCalls,
      median(dispatchSamples),
      [...queued],
    );

    // ---- A failing endpoint: first attempts that fail, then the retry sweep, then the retries.
    receiver.answerWith(() => ({ status: 500 }));
    const failingItems = await freshHistory();
    queued.length = 0;
    await sequence(failingItems);
    const failingFirst = queued.flatMap((q) => q.messages);
    queued.length = 0;
    const failedCalls = await metered(() => dispatch(failingFirst.slice(0, 10)));
    const failedQueued = [...queued];
    const failedStarted = performance.now();
    await dispatch(failingFirst.slice(10));
    const failedMs = (performance.now() - failedStarted) / Math.max(1, attemptsOf(failingFirst.slice(10)));
    record(
      "attempt-failed",
      "dispatcher: one first attempt that fails (endpoint answers 500): its retry scheduled",
      "attempt",
      attemptsOf(failingFirst.slice(0, 10)),
      failedCalls,
      failedMs,
      failedQueued,
    );
    await new Promise((r) => setTimeout(r, 1_500)); // the retries are due after 1 s
    const runSweep = () =>
      (sweep as (e: unknown, c: Context) => Promise<{ due: number; messages: number }>)(
        { source: "bench.schedule" },
        lambdaContext(30_000, "WebhookRetrySweep"),
      );
    queued.length = 0;
    let swept = { due: 0, messages: 0 };
    const sweepCalls = await metered(async () => {
      swept = await runSweep();
    });
    const retryMessages = queued.flatMap((q) => q.messages);
    const sweepQueued = [...queued];
    // A sweep takes at most so many of one tenant (functions/core/tenant-webhooks/retry-sweep.ts).
    if (swept.due === 0) throw new Error(`the sweep found no due delivery of the ${NUMBERS} failed`);
    record(
      "sweep",
      `retry sweep: one run, per due delivery taken (${swept.due} of the ${NUMBERS} due, 8 due-index shards)`,
      "due delivery",
      swept.due,
      sweepCalls,
      (await timed(1, runSweep)) / swept.due,
      sweepQueued,
    );
    receiver.answerWith(() => ({ status: 204 }));
    queued.length = 0;
    const retryCalls = await metered(() => dispatch(retryMessages.slice(0, 10)));
    const retryStarted = performance.now();
    await dispatch(retryMessages.slice(10));
    const retryMs = (performance.now() - retryStarted) / Math.max(1, attemptsOf(retryMessages.slice(10)));
    record(
      "attempt-retry",
      "dispatcher: one retry attempt (claimed, then recorded; endpoint answers 204)",
      "attempt",
      attemptsOf(retryMessages.slice(0, 10)),
      retryCalls,
      retryMs,
      [...queued],
    );

    // ---- The tenant read API: a page of 100 of the feed and of the numbers.
    const v1Call = (path: string, query: Record<string, string>) => {
      const handler = v1.get(path);
      if (!handler) throw new Error(`no /v1 route ${path}`);
      return invoke(
        handler,
        apiEvent({ method: "GET", routePath: path, headers: { "x-api-key": tenant.apiKey }, query }),
      ).then((a) => ok(a, path));
    };
    // A page after a cursor (a client's usual poll), with well over 100 events after it.
    const firstPage = await v1Call("/v1/username_changes", { limit: "100" });
    const cursor = String(firstPage.json?.paging?.cursors?.after ?? "");
    const feedPage = async () => {
      const page = await v1Call("/v1/username_changes", { limit: "100", after: cursor });
      if (page.json?.data?.length !== 100) throw new Error(`feed page of ${page.json?.data?.length} events`);
    };
    record(
      "v1-feed",
      "GET /v1/username_changes, a page of 100 after a cursor",
      "request",
      1,
      await metered(feedPage),
      await timed(timedRuns, feedPage),
    );
    const numbersPage = () => v1Call("/v1/phone_numbers", { limit: "100" });
    record(
      "v1-numbers",
      "GET /v1/phone_numbers, a page of 100",
      "request",
      1,
      await metered(numbersPage),
      await timed(timedRuns, numbersPage),
    );

    // ---- The reconciler: a run with nothing due, then with DUE_NUMBERS unresolved numbers.
    const runReconciler = () =>
      (
        reconciler as (
          e: unknown,
          c: Context,
        ) => Promise<{ due: number; settled?: number; reconciled?: number }>
      )({ source: "bench.schedule" } as never, lambdaContext(300_000, "Reconciler"));
    const markDue = async () => {
      for (const p of phones.slice(0, DUE_NUMBERS)) {
        await dynamo().send(
          new UpdateCommand(markUnresolvedUpdate(p.phoneNumberId, tenant.tenantId, Date.now() - 1_000)),
        );
      }
    };
    // Many tenants, as a provider has: the run queries each one's due partition.
    const { touchTenant } = await import("../functions/core/store/phones.ts");
    for (let i = 0; i < EXTRA_TENANTS; i++) {
      await touchTenant(`${tenant.tenantId}-idle-${i}`);
      patterns.know(`${tenant.tenantId}-idle-${i}`, "tenant");
    }
    await runReconciler(); // settles anything left
    const idleCalls = await metered(runReconciler);
    const idleMs = await timed(3, runReconciler);
    await markDue();
    let dueRun: { due: number; settled?: number; reconciled?: number } = { due: 0 };
    const dueCalls = await metered(async () => {
      dueRun = await runReconciler();
    });
    if (dueRun.due !== DUE_NUMBERS || (dueRun.settled ?? dueRun.reconciled) !== DUE_NUMBERS) {
      throw new Error(`reconciler run: ${JSON.stringify(dueRun)}, expected ${DUE_NUMBERS} due`);
    }
    const dueMs = await timed(3, runReconciler, markDue);
    // Queries: the tenant list, the earlier layout's due partition, then one per tenant's.
    const tenants = idleCalls.filter((c) => c.command === "Query").length - 2;
    record(
      "reconciler-idle",
      `reconciler run, nothing due (${tenants} tenants: a due-index Query each)`,
      "run",
      1,
      idleCalls,
      idleMs,
    );
    // The due numbers' part: the run's calls after those the idle run made too (the tenant list
    // and the due-index queries, which come first).
    record(
      "reconciler-due",
      "reconciler: one due number (unresolved; Meta read, state confirmed), beyond the idle run",
      "due number",
      DUE_NUMBERS,
      dueCalls.slice(idleCalls.length),
      (dueMs - idleMs) / DUE_NUMBERS,
    );
  } finally {
    setLocalDeliveryQueue(undefined);
    setLocalFeedQueue(undefined);
    await receiver.close();
  }

  const loadAfterPaths = load();
  if (!template) throw new Error("no history item to copy");
  let ceiling: Awaited<ReturnType<typeof feedCeiling>>;
  try {
    ceiling = await feedCeiling(env, { quick: options.repeats < 3, template });
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  const model: CapacityModelInput = { costs, ceiling };
  const modelLines = capacityModel(model).lines;

  const costRows = costs.map((c) => [
    c.id,
    c.path,
    c.unit,
    `${fmt(c.calls)} (${c.operations}${c.units > 1 ? `, for ${c.units}` : ""})`,
    `${fmt(c.itemsWritten)} × ${c.bytesWritten.toFixed(0)} B`,
    fmt(c.wcu),
    `${fmt(c.itemsRead)} × ${c.bytesRead.toFixed(0)} B`,
    fmt(c.rcu),
    `${fmt(c.checkedComputed)} / ${fmt(c.checkedLocal)}`,
    `${fmt(c.streamRecords)} (${fmt(c.historyInserts)})`,
    fmt(c.sqsMessages),
    c.ms.toFixed(c.ms < 1 ? 3 : 1),
  ]);
  const keyRows = costs.flatMap((c) =>
    c.keys
      .filter((k) => k.scope !== "item" || k === c.keys[0])
      .map((k) => [
        c.id,
        `\`${k.pattern}\``,
        k.on,
        k.scope,
        String(k.values),
        fmt(k.writes),
        fmt(k.wcu),
        fmt(k.reads),
        fmt(k.rcu),
      ]),
  );
  return {
    title: "10. Capacity",
    lines: [
      "Each path once under the meter (bench/capacity-meter.ts: every item written and read, its size before and " +
        "after each write, its partition keys on the table and the indexes), with the real handlers in-process " +
        "against DynamoDB Local and the Meta sandbox (no delay). Figures per unit of work. *WCU*/*RCU*: what AWS " +
        "charges by DynamoDB's published rules (1 WCU per started KB written, the larger of the item before and " +
        "after, × 2 in a transaction, a transaction's condition check charged as a write of the item checked; " +
        "1 RCU per started 4 KB read strongly consistent, ½ eventually consistent; index writes as the index entry " +
        "moves). *Check*: for the calls DynamoDB Local counts as AWS does (all but TransactWriteItems, for which it " +
        "reports one item's units however many it holds), the units computed here and its own ConsumedCapacity. *Stream*: stream records the writes make (history inserts, which invoke the sequencer, " +
        "in brackets). *SQS*: messages handed on (the sequencer's to the FIFO feed queue, the others' to the delivery queue). *ms*: the handler in-process, median of runs " +
        `without the meter (load ${loadAtStart} at the start, ${loadAfterPaths} after the paths): noisy, ` +
        "a local figure, not AWS's.",
      "",
      ...table(
        [
          "row",
          "path",
          "unit",
          "calls per unit",
          "items written",
          "WCU",
          "items read",
          "RCU",
          "check: computed / Local",
          "stream (history)",
          "SQS",
          "ms",
        ],
        costRows,
      ),
      "",
      "Partition keys per unit of work: every key shared beyond one item (a tenant's, the service's), and the " +
        "busiest per-item key; *values* = distinct key values the metered run reached; units on the busiest value.",
      "",
      ...table(["path", "key", "on", "shared by", "values", "writes", "WCU", "reads", "RCU"], keyRows),
      "",
      ...ceiling.lines,
      "",
      ...modelLines,
    ],
    budgets: [],
  };
}
