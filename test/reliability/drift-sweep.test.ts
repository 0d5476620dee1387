/**
 * The drift sweep (functions/core/reconcile/drift-sweep.ts) against DynamoDB Local and the Meta
 * sandbox: a run reads from the tenant's `byTenant` partition the numbers it sweeps, not the whole
 * tenant; every number is looked at exactly once per pass, across tenants and runs, with tenants
 * and numbers added and removed mid-pass and runs overlapping (a seeded property); a run takes
 * enough numbers to end the pass within DRIFT_SWEEP_INTERVAL_HOURS, no more than the pace allows,
 * and says so (DriftSweepBehind) when the pace cannot. A visit is what Meta sees: the sandbox's
 * GET username for the number. Runs are given their `now`, a minute apart, as the schedule runs
 * them; nothing here waits for a clock.
 *
 * It prints what one run of the sweep costs the largest tenant's partition
 * (`{"driftSweep":…}`: docs/scale.md's figures).
 */
import { DeleteCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { installMeter } from "../../bench/capacity-meter.ts";
import { removeNumber } from "../../functions/core/admin/numbers.ts";
import { mapWithConcurrency } from "../../functions/core/concurrency.ts";
import { logger } from "../../functions/core/logger.ts";
import { type ReconcilerRunSummary, runReconciler } from "../../functions/core/reconcile/reconciler.ts";
import { planSweepRun, RECONCILE_PERIOD_MS } from "../../functions/core/reconcile/sweep-plan.ts";
import { dynamo, tableName } from "../../functions/core/store/client.ts";
import { claimSweep, readSweepProgress, saveSweepProgress } from "../../functions/core/store/drift-sweep.ts";
import { keys } from "../../functions/core/store/keys.ts";
import { captureMetrics } from "../support/metric-lines.ts";
import { useTestTable } from "../support/test-table.ts";
import { seedPhone, useWorld } from "../support/world.ts";

const world = useWorld();
const SETTINGS = ["DRIFT_SWEEP_INTERVAL_HOURS", "RECONCILE_BATCH_SIZE", "META_SYNC_RATE_PER_SECOND"] as const;
afterEach(() => {
  for (const name of SETTINGS) delete process.env[name];
  vi.restoreAllMocks();
});

function settings(values: Partial<Record<(typeof SETTINGS)[number], string>>): void {
  for (const [name, value] of Object.entries(values)) process.env[name] = value;
}

/** A table of its own: the sweep's place and the tenant list are the table's. */
async function freshTable(): Promise<void> {
  dynamo().destroy();
  await useTestTable();
}

/** Registers the numbers to the tenant here and at the sandbox's Meta. */
async function seedNumbers(tenantId: string, phoneNumberIds: readonly string[]): Promise<void> {
  const settled = await mapWithConcurrency(phoneNumberIds, 8, (phoneNumberId) =>
    seedPhone(world, { tenantId, apiKey: "", keyId: "" }, { phoneNumberId }),
  );
  for (const result of settled) if (result.status === "rejected") throw result.reason;
}

/**
 * The numbers Meta was asked about since the sandbox's log was cleared (GET username), sorted: a
 * run starts them in order, several in flight, so Meta sees them in no fixed order.
 */
function visitedAtMeta(): string[] {
  return world.sandbox
    .requests()
    .filter((request) => request.method === "GET")
    .flatMap((request) => /^\/[^/]+\/(\d+)\/username(?:\?|$)/.exec(request.path)?.[1] ?? [])
    .sort();
}

/** One scheduled run at `now`; the numbers it asked Meta about. */
async function runAt(now: number): Promise<{ summary: ReconcilerRunSummary; visited: string[] }> {
  world.sandbox.clearRequests();
  const summary = await runReconciler({ deadline: Date.now() + 60_000, now });
  return { summary, visited: visitedAtMeta() };
}

const phoneIds = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(6, "0")}`);

describe("a run reads from byTenant what it sweeps, not the whole tenant", { timeout: 120_000 }, () => {
  it("500 numbers, 20 a run: each run's Query on TENANT#<t> returns the 20 it sweeps", async () => {
    await freshTable();
    settings({
      DRIFT_SWEEP_INTERVAL_HOURS: "24",
      RECONCILE_BATCH_SIZE: "20",
      META_SYNC_RATE_PER_SECOND: "1000",
    });
    const tenantId = "tenant-large";
    const numbers = phoneIds("10100", 500);
    await seedNumbers(tenantId, numbers);
    const t0 = Date.now();
    // The first run of a deployment counts the numbers once (the pass's size, for its batch).
    const first = await runAt(t0);
    expect(first.visited).toEqual(numbers.slice(0, 20));
    const seen = new Set(first.visited);

    for (let run = 1; run <= 4; run++) {
      const meter = installMeter({ images: false, table: tableName() });
      let result: Awaited<ReturnType<typeof runAt>>;
      try {
        result = await runAt(t0 + run * RECONCILE_PERIOD_MS);
      } finally {
        meter.stop();
      }
      expect(result.summary.swept).toBe(20);
      // The next 20 in the tenant's order, none seen before.
      expect(result.visited).toEqual(numbers.slice(20 * run, 20 * (run + 1)));
      for (const id of result.visited) seen.add(id);
      const onTenant = meter.calls.filter((call) =>
        call.reads.some((read) => read.on === "byTenant" && read.pk === `TENANT#${tenantId}`),
      );
      const items = onTenant.flatMap((call) => call.reads).reduce((sum, read) => sum + read.items, 0);
      expect(items).toBe(20);
      expect(onTenant).toHaveLength(1);
      // DynamoDB Local's own count of what the call read agrees: nothing else of the tenant was read.
      const computed = onTenant.flatMap((call) => call.reads).reduce((sum, read) => sum + read.rcu, 0);
      expect(onTenant.reduce((sum, call) => sum + (call.localUnits ?? 0), 0)).toBe(computed);
    }
    expect(seen.size).toBe(100);
  });

  it("figures: a run of 209 (300,000 numbers every 24 h) reads 209 records of the tenant", async () => {
    await freshTable();
    settings({
      DRIFT_SWEEP_INTERVAL_HOURS: "24",
      RECONCILE_BATCH_SIZE: "209",
      META_SYNC_RATE_PER_SECOND: "1000",
    });
    const tenantId = "tenant-largest";
    await seedNumbers(tenantId, phoneIds("10200", 500));
    const t0 = Date.now();
    await runAt(t0); // counts once
    const meter = installMeter({ images: false, table: tableName() });
    let summary: ReconcilerRunSummary;
    try {
      ({ summary } = await runAt(t0 + RECONCILE_PERIOD_MS));
    } finally {
      meter.stop();
    }
    expect(summary.swept).toBe(209);
    const reads = meter.calls
      .flatMap((call) => call.reads)
      .filter((read) => read.on === "byTenant" && read.pk === `TENANT#${tenantId}`);
    const items = reads.reduce((sum, read) => sum + read.items, 0);
    const bytes = reads.reduce((sum, read) => sum + read.bytes, 0);
    const rcu = reads.reduce((sum, read) => sum + read.rcu, 0);
    expect(items).toBe(209);
    // The deployed pace (5 a second) and interval: what a run may take, and a day's numbers.
    const deployed = planSweepRun({
      numbers: 300_000,
      visited: 0,
      elapsedMs: 0,
      intervalMs: 24 * 3_600_000,
      ratePerSecond: 5,
      floor: 100,
      dueTaken: 0,
    });
    const RECORD_BYTES_AT_SCALE = 616; // docs/scale.md, row v1-numbers: a phone record as deployed
    console.info(
      JSON.stringify({
        driftSweep: {
          tenantNumbers: 500,
          batch: summary.swept,
          byTenantQueries: reads.length,
          itemsRead: items,
          bytesPerRecord: Math.round(bytes / items),
          rcu,
          rcuAt616BytesARecord: Math.ceil((209 * RECORD_BYTES_AT_SCALE) / 4096) * 0.5,
          batchAt1x: deployed.batch,
          paceLimitPerRun: deployed.paceLimit,
          numbersADayAtThePace: deployed.paceLimit * (86_400_000 / RECONCILE_PERIOD_MS),
        },
      }),
    );
  });
});

/** What the property test does before a run: its mutations of the tenants and their numbers. */
type Action =
  | { kind: "addTenant"; name: string; numbers: number[] }
  | { kind: "addNumber"; tenant: number; number: number }
  | { kind: "removeNumber"; tenant: number; pick: number }
  | { kind: "removeTenant"; tenant: number }
  | { kind: "overlap" };

interface SweepCase {
  batch: number;
  tenants: { name: string; numbers: number[] }[];
  events: { beforeRun: number; action: Action }[];
}

const digits = fc.integer({ min: 0, max: 999_999 });
const tenantName = fc
  .tuple(fc.constantFrom(..."abcdefgh"), fc.integer({ min: 0, max: 99 }))
  .map(([letter, n]) => `tenant-${letter}${n}`);
const sweepCase: fc.Arbitrary<SweepCase> = fc.record({
  batch: fc.integer({ min: 1, max: 6 }),
  tenants: fc.array(fc.record({ name: tenantName, numbers: fc.array(digits, { maxLength: 7 }) }), {
    minLength: 1,
    maxLength: 4,
  }),
  events: fc.array(
    fc.record({
      beforeRun: fc.integer({ min: 1, max: 8 }),
      action: fc.oneof(
        fc.record({
          kind: fc.constant("addTenant" as const),
          name: tenantName,
          numbers: fc.array(digits, { minLength: 1, maxLength: 4 }),
        }),
        fc.record({ kind: fc.constant("addNumber" as const), tenant: fc.nat(), number: digits }),
        fc.record({ kind: fc.constant("removeNumber" as const), tenant: fc.nat(), pick: fc.nat() }),
        fc.record({ kind: fc.constant("removeTenant" as const), tenant: fc.nat() }),
        fc.record({ kind: fc.constant("overlap" as const) }),
      ),
    }),
    { maxLength: 6 },
  ),
});

/** Where each number was, by run: present in runs `from` ≤ r < `until`. */
interface Presence {
  tenantId: string;
  from: number;
  until?: number;
}

const presentAt = (presence: Presence, run: number) =>
  presence.from <= run && (presence.until === undefined || run < presence.until);

async function runSweepCase(c: SweepCase): Promise<void> {
  await freshTable();
  settings({
    DRIFT_SWEEP_INTERVAL_HOURS: "24",
    RECONCILE_BATCH_SIZE: String(c.batch),
    META_SYNC_RATE_PER_SECOND: "1000",
  });
  const numbers = new Map<string, Presence>();
  const tenants = new Set<string>();
  const phoneId = (n: number) => `55500${String(n).padStart(6, "0")}`;
  let run = 0;

  async function addNumbers(tenantId: string, ns: readonly number[]) {
    const fresh = [...new Set(ns.map(phoneId))].filter((id) => !numbers.has(id));
    await seedNumbers(tenantId, fresh);
    for (const id of fresh) numbers.set(id, { tenantId, from: run });
    tenants.add(tenantId);
  }
  async function remove(id: string) {
    await removeNumber(id);
    const presence = numbers.get(id);
    if (presence) presence.until = run;
  }
  const numbersOf = (tenantId: string) =>
    [...numbers]
      .filter(([, p]) => p.tenantId === tenantId && p.until === undefined)
      .map(([id]) => id)
      .sort();
  const tenantAt = (index: number) => [...tenants].sort()[index % Math.max(1, tenants.size)];

  for (const tenant of c.tenants) await addNumbers(tenant.name, tenant.numbers);

  /** Runs until the pass ends; visits by number, each with the run it happened in. */
  async function pass(start: number, events: SweepCase["events"]) {
    const visits = new Map<string, number[]>();
    let now = start;
    const first = run;
    for (;;) {
      let overlap = false;
      for (const { action } of events.filter((e) => first + e.beforeRun === run)) {
        if (action.kind === "addTenant") await addNumbers(action.name, action.numbers);
        else if (action.kind === "overlap") overlap = true;
        else {
          const tenantId = tenantAt(action.tenant);
          if (tenantId === undefined) continue;
          if (action.kind === "addNumber") await addNumbers(tenantId, [action.number]);
          else if (action.kind === "removeNumber") {
            const own = numbersOf(tenantId);
            const id = own[action.pick % Math.max(1, own.length)];
            if (id !== undefined) await remove(id);
          } else {
            for (const id of numbersOf(tenantId)) await remove(id);
            await dynamo().send(new DeleteCommand({ TableName: tableName(), Key: keys.tenant(tenantId) }));
            tenants.delete(tenantId);
          }
        }
      }
      world.sandbox.clearRequests();
      const runs = overlap ? [now, now] : [now];
      const summaries = await Promise.all(
        runs.map((at) => runReconciler({ deadline: Date.now() + 60_000, now: at })),
      );
      for (const id of visitedAtMeta()) visits.set(id, [...(visits.get(id) ?? []), run]);
      const finished = summaries.some((s) => s.sweepFinished);
      run += 1;
      now += RECONCILE_PERIOD_MS;
      if (finished) return { visits, first, last: run - 1 };
      if (run - first > 200) throw new Error("the pass did not end in 200 runs");
    }
  }

  // Pass 1, with the case's mutations between its runs.
  const one = await pass(Date.now(), c.events);
  for (const [id, runs] of one.visits) {
    const presence = numbers.get(id);
    expect(presence, `visited ${id}, which was never registered`).toBeDefined();
    for (const r of runs) expect(presentAt(presence as Presence, r), `${id} visited in run ${r}`).toBe(true);
    expect(runs, `${id} visited more than once in pass 1`).toHaveLength(1);
  }
  for (const [id, presence] of numbers) {
    const throughout = presence.from <= one.first && presence.until === undefined;
    if (throughout) expect(one.visits.get(id), `${id} (there all pass 1) not visited once`).toHaveLength(1);
  }
  expect((await readSweepProgress())?.numbers).toBe(one.visits.size);

  // Pass 2 when its time comes, nothing changing: every number there, exactly once.
  const next = (await readSweepProgress())?.nextStartAt ?? 0;
  const two = await pass(next, []);
  const there = [...numbers].filter(([, p]) => p.until === undefined).map(([id]) => id);
  expect([...two.visits.keys()].sort()).toEqual(there.sort());
  for (const [id, runs] of two.visits) expect(runs, `${id} visited more than once in pass 2`).toHaveLength(1);
  expect((await readSweepProgress())?.numbers).toBe(there.length);
}

describe("every number exactly once per pass", () => {
  it("across tenants and runs, tenants and numbers added and removed mid-pass, runs overlapping", async () => {
    await fc.assert(fc.asyncProperty(sweepCase, runSweepCase), { numRuns: 10 });
  }, 600_000);
});

describe("the batch keeps the interval's promise", () => {
  it("takes ceil(numbers ÷ the interval's runs) when that is above RECONCILE_BATCH_SIZE", async () => {
    await freshTable();
    // 3 minutes: three runs for 30 numbers, 10 a run; the floor (2) is below.
    settings({
      DRIFT_SWEEP_INTERVAL_HOURS: "0.05",
      RECONCILE_BATCH_SIZE: "2",
      META_SYNC_RATE_PER_SECOND: "1000",
    });
    await seedNumbers("tenant-one", phoneIds("10300", 15));
    await seedNumbers("tenant-two", phoneIds("10301", 15));
    const t0 = Date.now();
    const seen: string[] = [];
    for (let run = 0; run < 3; run++) {
      const { summary, visited } = await runAt(t0 + run * RECONCILE_PERIOD_MS);
      expect(summary.swept).toBe(10);
      expect(summary.sweep).toMatchObject({ batch: 10, numbers: 30, behind: false });
      seen.push(...visited);
    }
    expect(new Set(seen).size).toBe(30);
    const last = await runAt(t0 + 3 * RECONCILE_PERIOD_MS);
    expect(last.summary).toMatchObject({ swept: 0, sweepFinished: true });
    expect(await readSweepProgress()).toMatchObject({
      nextStartAt: t0 + 3 * RECONCILE_PERIOD_MS,
      numbers: 30,
    });
  });

  it("no more than the pace allows; when it cannot cover the interval, DriftSweepBehind and a warning", async () => {
    await freshTable();
    // 30 numbers in 6 minutes needs 5 a run; 0.02 calls a second allow 1 in a run's window.
    settings({
      DRIFT_SWEEP_INTERVAL_HOURS: "0.1",
      RECONCILE_BATCH_SIZE: "100",
      META_SYNC_RATE_PER_SECOND: "0.02",
    });
    await seedNumbers("tenant-paced", phoneIds("10400", 30));
    const warned = vi.spyOn(logger, "warn");
    const metrics = captureMetrics();
    const t0 = Date.now();
    try {
      const behind = await runAt(t0);
      expect(behind.summary.swept).toBe(1);
      expect(behind.summary.sweep).toMatchObject({
        batch: 1,
        numbers: 30,
        behind: true,
        projectedPassHours: 0.5,
      });
      const [line, ...others] = metrics.linesOf("DriftSweepBehind");
      expect(others).toEqual([]);
      expect(line).toMatchObject({
        _aws: { CloudWatchMetrics: [{ Metrics: [{ Name: "DriftSweepBehind", Unit: "Count" }] }] },
        DriftSweepBehind: 1,
        // 30 runs of one number: half an hour, for an interval of 6 minutes.
        projectedPassHours: "0.5",
        intervalHours: "0.1",
        numbers: "30",
        batch: "1",
        metaSyncRatePerSecond: "0.02",
      });
      expect(warned).toHaveBeenCalledWith(
        "drift sweep cannot look at every number within its interval",
        expect.objectContaining({ metric: "DriftSweepBehind", projectedPassHours: 0.5, intervalHours: 0.1 }),
      );

      // The pace raised: the pass ends in time, nothing said.
      settings({ META_SYNC_RATE_PER_SECOND: "1000" });
      const inTime = await runAt(t0 + RECONCILE_PERIOD_MS);
      expect(inTime.summary.sweep).toMatchObject({ behind: false });
      expect(metrics.linesOf("DriftSweepBehind")).toHaveLength(1);
    } finally {
      metrics.stop();
    }
  });
});

describe("runs that overlap", () => {
  it("a run leaves the sweep to one still going; a lease that ended is taken over, and its holder can no longer save", async () => {
    await freshTable();
    settings({
      DRIFT_SWEEP_INTERVAL_HOURS: "24",
      RECONCILE_BATCH_SIZE: "5",
      META_SYNC_RATE_PER_SECOND: "1000",
    });
    const numbers = phoneIds("10500", 10);
    await seedNumbers("tenant-lease", numbers);
    const t0 = Date.now();
    // A run still going: its lease lasts another minute.
    expect(await claimSweep("still-going", Date.now() + 60_000, Date.now())).toEqual({
      held: false,
      progress: undefined,
    });
    const left = await runAt(t0);
    expect(left.visited).toEqual([]);
    expect(left.summary).toMatchObject({ swept: 0, sweepFinished: false });
    expect(left.summary.sweep).toBeUndefined();

    // That run died: its lease ends, and the next run takes the sweep over.
    expect(await claimSweep("still-going", Date.now() - 1, Date.now())).toMatchObject({ held: false });
    const next = await runAt(t0 + RECONCILE_PERIOD_MS);
    expect(next.visited).toEqual(numbers.slice(0, 5));
    // The dead run's progress, had it got so far, would not move the cursor back.
    expect(await saveSweepProgress({ nextStartAt: t0 }, "still-going")).toBe(false);
    expect(await readSweepProgress()).toMatchObject({
      cursor: { tenantId: "tenant-lease", phoneNumberId: numbers[4] },
      visited: 5,
      numbers: 10,
    });
  });
});
