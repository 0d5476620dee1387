/**
 * 4. Webhook batch: one delivery of 1000 changes (1000 distinct numbers × 1 change, the shape
 * Meta's batching produces; 200 numbers × 5 changes beside it) against 1000 deliveries of one
 * change each, one after the other. Every change is newer than the stored state, so every one
 * is applied (checked). The order of the measurements rotates between repeats.
 *
 * The changes are what Meta sends most: the review status of the name a number holds (approved,
 * reserved). A delivery in which every number gets a new name (so its username-holder markers
 * move as well) is measured beside them.
 *
 * Beside it, where the time goes: DynamoDB Local's TransactWriteItems throughput on its own.
 */
import { randomBytes } from "node:crypto";
import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { mapWithConcurrency } from "../functions/core/concurrency.ts";
import { dynamo, tableName } from "../functions/core/store/client.ts";
import { keys } from "../functions/core/store/keys.ts";
import type { WebhookEvent } from "../meta-sandbox/index.ts";
import { type BenchEnvironment, type BenchPhone, seedPhones, seedTenant } from "./environment.ts";
import type { Budget, Section } from "./section.ts";
import { table } from "./section.ts";
import type { Service } from "./service.ts";
import { spread, summarize } from "./stats.ts";
import { captureStoreCalls, replayStoreCalls, snapshotItems } from "./store-floor.ts";

/** A 1000-change delivery against its store floor: the same reads and transactions made directly. */
export const STORE_FLOOR_RATIO_LIMIT = 1.25;
const NUMBERS = 1000;

export async function webhookBatch(
  env: BenchEnvironment,
  service: Service,
  options: { repeats: number },
): Promise<Section> {
  const tenant = await seedTenant();
  const seedStarted = performance.now();
  const phones = await seedPhones(env, tenant, NUMBERS, { perWaba: 20, concurrency: 32 });
  const seedMs = performance.now() - seedStarted;

  // Dated in the past (an entry dated after its own delivery is never ordered), a second apart per delivery.
  let clock = Math.floor(Date.now() / 1000) - 86_400;
  const nameOf = new Map(phones.map((phone, n) => [phone, `bench_batch_${n}`]));
  const statusOf = new Map<BenchPhone, string>();
  /** The number's own name with the other review status than last time: always a change. */
  const change = (phone: BenchPhone, time: number): WebhookEvent => {
    const status = statusOf.get(phone) === "reserved" ? "approved" : "reserved";
    statusOf.set(phone, status);
    return {
      wabaId: phone.wabaId,
      displayPhoneNumber: phone.displayPhoneNumber,
      time,
      status,
      username: nameOf.get(phone) as string,
    };
  };
  let renames = 0;
  const rename = (phone: BenchPhone, time: number): WebhookEvent => {
    const username = `bench_rename_${++renames}`;
    nameOf.set(phone, username);
    statusOf.set(phone, "reserved");
    return {
      wabaId: phone.wabaId,
      displayPhoneNumber: phone.displayPhoneNumber,
      time,
      status: "reserved",
      username,
    };
  };
  async function deliver(events: WebhookEvent[]): Promise<number> {
    const started = performance.now();
    const answer = await service.deliver(events);
    const elapsed = performance.now() - started;
    if (answer.status !== 200 || answer.json?.applied !== events.length) {
      throw new Error(`delivery of ${events.length} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    }
    return elapsed;
  }
  const shuffled = (events: WebhookEvent[]) => events.sort(() => Math.random() - 0.5);

  // Every number holds its name first; a second delivery warms DynamoDB Local up (a JVM: its
  // first large transactions run several times slower). Neither is timed.
  for (let i = 0; i < 2; i++) {
    clock += 10;
    const time = clock;
    await deliver(phones.map((p) => change(p, time)));
  }

  const measurements = {
    batch: async () => {
      clock += 10;
      const time = clock;
      return deliver(shuffled(phones.map((p) => change(p, time))));
    },
    batch5: async () => {
      clock += 10;
      const time = clock;
      return deliver(
        shuffled(
          phones.slice(0, 200).flatMap((p) => Array.from({ length: 5 }, (_, i) => change(p, time + i))),
        ),
      );
    },
    renames: async () => {
      clock += 10;
      const time = clock;
      return deliver(shuffled(phones.map((p) => rename(p, time))));
    },
    singles: async () => {
      clock += 10;
      let sum = 0;
      for (const phone of phones) sum += await deliver([change(phone, clock)]);
      return sum;
    },
    /** The store's own time for a 1000 × 1 delivery: its calls captured (untimed), then made directly. */
    floor: async () => {
      clock += 10;
      const time = clock;
      const before = await snapshotItems(phones.map((p) => keys.phone(p.phoneNumberId)));
      const capture = captureStoreCalls();
      try {
        await deliver(shuffled(phones.map((p) => change(p, time))));
      } finally {
        capture.stop();
      }
      return replayStoreCalls(capture.calls, before, { readConcurrency: 4, writeConcurrency: 16 });
    },
  };
  // The batch is measured twice per repeat: it is short, so a burst of load elsewhere weighs more.
  const order = ["singles", "batch", "floor", "batch5", "batch", "floor", "renames"] as const;
  const samples: Record<(typeof order)[number], number[]> = {
    singles: [],
    batch: [],
    floor: [],
    batch5: [],
    renames: [],
  };
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    for (let k = 0; k < order.length; k++) {
      const which = order[(k + repeat) % order.length] as (typeof order)[number];
      samples[which].push(await measurements[which]());
    }
  }

  const singles = summarize(samples.singles);
  const row = (label: string, samplesOf: number[]) => {
    const s = summarize(samplesOf);
    return [
      label,
      "1000",
      spread(s, 0),
      `${(s.median / 1000).toFixed(2)} ms`,
      (s.median / singles.median).toFixed(3),
    ];
  };
  const batch = summarize(samples.batch);
  const floor = summarize(samples.floor);
  const floorRatio = batch.median / floor.median;
  const throughput = await transactionThroughput();

  const budgets: Budget[] = [
    {
      name: `webhook batch (1000 × 1) ≤ ${STORE_FLOOR_RATIO_LIMIT} × its store floor`,
      measured: `${floorRatio.toFixed(3)} × (${batch.median.toFixed(0)} / ${floor.median.toFixed(0)} ms)`,
      limit: `${STORE_FLOOR_RATIO_LIMIT}`,
      pass: floorRatio <= STORE_FLOOR_RATIO_LIMIT,
    },
  ];
  return {
    title: "4. Webhook batch",
    lines: [
      `${NUMBERS} numbers in ${NUMBERS / 20} WABAs (seeded in ${(seedMs / 1000).toFixed(1)} s through the admin code). ` +
        `Median (min–max) of ${options.repeats} repeats; each delivery through the webhook handler in-process ` +
        "(signature, parsing, lookups, state writes), every change applied.",
      "",
      ...table(
        ["measurement", "changes", "time", "per change", "ratio to singles"],
        [
          row("1 delivery, 1000 numbers × 1 change (status of the name held)", samples.batch),
          row("1 delivery, 200 numbers × 5 changes", samples.batch5),
          row("1 delivery, 1000 numbers × 1 change, each a new name", samples.renames),
          row("1000 deliveries × 1 change (sum)", samples.singles),
          row("store floor of 1 delivery, 1000 numbers × 1 change", samples.floor),
        ],
      ),
      "",
      "*Store floor*: the DynamoDB calls of a 1000 × 1 delivery, captured on the store's client and made " +
        "again directly (bench/store-floor.ts): its BatchGetItem reads 4 at a time, then its transactions, 16 " +
        "at a time, conditions and all, on copies of the phone records as they were before the delivery. The " +
        "budget is the delivery against it: what the service adds to the store's own time.",
      "",
      "Where the time goes: DynamoDB Local's transaction throughput alone (this table, the service's client, " +
        "a change's items as the service writes them for a status change: the phone record's conditional " +
        "update and the history item's conditional put; 16 writers, as the webhook uses):",
      "",
      ...table(["transaction", "transactions/s", "changes/s"], throughput),
    ],
    budgets,
  };
}

/** TransactWriteItems on their own: is the emulator's transaction rate the ceiling? */
async function transactionThroughput(): Promise<string[][]> {
  const TableName = tableName();
  const run = randomBytes(3).toString("hex");
  const changeItems = (key: string) => [
    {
      Put: {
        TableName,
        Item: { pk: `BENCHTX#${run}#${key}`, sk: "PHONE", version: 1 },
        ConditionExpression: "attribute_not_exists(pk)",
      },
    },
    {
      Put: {
        TableName,
        Item: { pk: `BENCHTX#${run}#${key}`, sk: "HISTORY#000000000001", status: "approved" },
        ConditionExpression: "attribute_not_exists(pk)",
      },
    },
  ];
  const rows: string[][] = [];
  const shapes = [
    { label: "2 items (1 change)", changes: 1, count: 300 },
    { label: "100 items (50 changes)", changes: 50, count: 20 },
  ];
  for (const [s, shape] of shapes.entries()) {
    const started = performance.now();
    await mapWithConcurrency(
      Array.from({ length: shape.count }, (_, i) => i),
      16,
      (i) =>
        dynamo().send(
          new TransactWriteCommand({
            TransactItems: Array.from({ length: shape.changes }, (_, c) =>
              changeItems(`${s}-${i}-${c}`),
            ).flat(),
          }),
        ),
    );
    const seconds = (performance.now() - started) / 1000;
    rows.push([
      shape.label,
      (shape.count / seconds).toFixed(0),
      ((shape.count * shape.changes) / seconds).toFixed(0),
    ]);
  }
  return rows;
}
