/**
 * The drift sweep: every number is read from Meta once per `DRIFT_SWEEP_INTERVAL_HOURS`, a slice
 * per reconciler run (docs/reliability.md, "Drift repair"). A pass visits the tenants in order of
 * their ids and each tenant's numbers in its `byTenant` partition's order; its place is the item
 * `RECONCILER` / `SWEEP` (store/drift-sweep.ts).
 *
 * A run:
 *  1. reads the item; nothing to do between passes (before `nextStartAt`);
 *  2. takes the item's lease (a run that overlaps another leaves the sweep to it);
 *  3. knows how many numbers a pass has: the last finished pass's count, kept on the item; once
 *     per deployment, when the item has none (a new stage, or an item of the earlier version), it
 *     counts them (`Select: COUNT` on each tenant's partition), and the numbers before an earlier
 *     version's cursor as the ones the pass has looked at;
 *  4. sizes its batch (reconcile/sweep-plan.ts) and, when the pace cannot end the pass within the
 *     interval, says so: a `DriftSweepBehind` metric line and a warning;
 *  5. pages the numbers from the cursor: a `Query` on the tenant's `byTenant` partition starting
 *     after the cursor's number, `Limit` = what the batch still wants, the next tenant when one
 *     ends, so a run reads the items it sweeps, not whole tenants;
 *  6. looks at them at the pace, several in flight (a Meta call takes longer than the pace's
 *     spacing), until the batch is taken or the sweep's window in the run is over;
 *  7. puts its progress (the cursor, the pass's counts), releasing the lease; at the end of a
 *     pass, the count of its numbers and when the next pass begins.
 *
 * Numbers added to a tenant behind the cursor during a pass wait for the next pass; numbers
 * removed before the cursor reaches them are not looked at. A number that exists for the whole
 * pass is looked at exactly once (test/reliability/drift-sweep.test.ts), unless a run dies after
 * looking at numbers and before putting its progress: those are looked at again.
 */
import { mapWithConcurrency } from "../concurrency.ts";
import { config } from "../config.ts";
import { logger } from "../logger.ts";
import { metrics } from "../metrics.ts";
import {
  claimSweep,
  readSweepProgress,
  type SweepProgress,
  saveSweepProgress,
} from "../store/drift-sweep.ts";
import { countPhones, pagePhoneNumberIds } from "../store/phones.ts";
import { planSweepRun, SWEEP_WINDOW_MS } from "./sweep-plan.ts";

/** What a run of the sweep was about, for the run's summary (absent when it did not sweep). */
export interface DriftSweepReport {
  /** Numbers this run's sweep could take (reconcile/sweep-plan.ts). */
  batch: number;
  /** Numbers in a full pass, as the run sized its batch from. */
  numbers: number;
  /** Numbers the pass has looked at, this run's included. */
  visitedInPass: number;
  /** Hours the pass takes if every run from this one takes what the pace allows. */
  projectedPassHours: number;
  /** The pace cannot end the pass within DRIFT_SWEEP_INTERVAL_HOURS (DriftSweepBehind). */
  behind: boolean;
}

export interface DriftSweepResult {
  /** Numbers looked at in this run. */
  swept: number;
  /** Whether this run ended the pass. */
  finished: boolean;
  report?: DriftSweepReport;
}

export interface DriftSweepRun {
  /** The run's id: the owner of the sweep's lease. */
  runId: string;
  /** Epoch ms "now" of the run: when a pass is due, how far it is into its interval. */
  now: number;
  /** Epoch ms the run started (the real clock): its sweep window ends SWEEP_WINDOW_MS later. */
  startedAt: number;
  /** Epoch ms by which the run must be over (the invocation's deadline, less a reserve). */
  deadline: number;
  /** The tenant ids the run read (store/phones.ts `listTenants`). */
  tenants: readonly string[];
  /** Numbers the run took from the due index before the sweep. */
  dueTaken: number;
  /** Waits for the pace's next call (shared with the run's due numbers). */
  pace: () => Promise<void>;
  /** Whether a number may still be started (the run's own rule: time left before the deadline). */
  hasTime: () => boolean;
  /** Looks at one number; must not throw (the reconciler's `reconcileOrFail`). */
  visit: (phoneNumberId: string, tenantId: string) => Promise<unknown>;
}

/** The sweep's lease lasts past its window by a number's longest look (its lease, 30 s) and the save. */
const LEASE_AFTER_WINDOW_MS = 40_000;
/** Tenants counted at once, when the sweep counts its numbers (as the due index is read). */
const COUNT_CONCURRENCY = 8;
/** Seconds a number's look may take at the pace before it holds up the next: Meta's answer and the writes. */
const LOOK_SECONDS = 2;

const HOUR_MS = 3_600_000;
const hours = (ms: number) => Math.round((ms / HOUR_MS) * 100) / 100;

/**
 * One run's slice of the sweep (module comment). Off (nothing done) when DRIFT_SWEEP_INTERVAL_HOURS
 * is 0. Throws storage errors of the sweep's own reads and writes; a number's failure is the
 * number's (`visit`).
 */
export async function sweepSlice(run: DriftSweepRun): Promise<DriftSweepResult> {
  const nothing: DriftSweepResult = { swept: 0, finished: false };
  const intervalMs = Math.round(config.driftSweepIntervalHours() * HOUR_MS);
  if (intervalMs <= 0) return nothing;
  const isDue = (progress: SweepProgress | undefined) =>
    progress === undefined || progress.cursor !== undefined || progress.nextStartAt <= run.now;
  // Between passes a run reads the item and goes: no write, no lease.
  if (!isDue(await readSweepProgress())) return nothing;

  const window = Math.min(run.startedAt + SWEEP_WINDOW_MS, run.deadline);
  const claim = await claimSweep(run.runId, window + LEASE_AFTER_WINDOW_MS, Date.now());
  if (claim.held) {
    logger.info("drift sweep held by another run", { runId: run.runId });
    return nothing;
  }
  const progress: SweepProgress = claim.progress ?? { nextStartAt: run.now };
  if (!isDue(progress)) {
    // Another run ended the pass between the read and the lease.
    await saveSweepProgress(progress, run.runId);
    return nothing;
  }
  const startedAt = progress.startedAt ?? run.now;
  const tenants = [...new Set(run.tenants)].sort();
  let { numbers, visited } = progress;
  if (numbers === undefined) {
    const counted = await countNumbers(tenants, progress.cursor);
    numbers = counted.total;
    visited ??= counted.before;
    logger.info("drift sweep counted its numbers", { numbers, before: counted.before });
  }
  visited ??= 0;

  const ratePerSecond = config.metaSyncRatePerSecond();
  const plan = planSweepRun({
    numbers: Math.max(numbers, visited),
    visited,
    elapsedMs: Math.max(0, run.now - startedAt),
    intervalMs,
    ratePerSecond,
    floor: config.reconcileBatchSize(),
    dueTaken: run.dueTaken,
  });
  if (plan.behind)
    sayBehind(plan.projectedPassMs, intervalMs, Math.max(numbers, visited), plan.batch, ratePerSecond);

  const hasTime = () => Date.now() < window && run.hasTime();
  const walked = await walk(tenants, progress.cursor, plan.batch, ratePerSecond, hasTime, run);
  visited += walked.taken;
  const next: SweepProgress = walked.finished
    ? { nextStartAt: startedAt + intervalMs, numbers: visited }
    : {
        nextStartAt: progress.nextStartAt,
        startedAt,
        ...(walked.cursor ? { cursor: walked.cursor } : {}),
        visited,
        numbers,
      };
  if (!(await saveSweepProgress(next, run.runId))) {
    logger.warn("drift sweep's lease ended before its progress was saved: its numbers are looked at again", {
      runId: run.runId,
      swept: walked.taken,
    });
  }
  if (walked.finished) {
    logger.info("drift sweep finished", {
      startedAt: new Date(startedAt).toISOString(),
      passHours: hours(run.now - startedAt),
      numbers: visited,
    });
  }
  return {
    swept: walked.taken,
    finished: walked.finished,
    report: {
      batch: plan.batch,
      numbers: Math.max(numbers, visited),
      visitedInPass: visited,
      projectedPassHours: hours(plan.projectedPassMs),
      behind: plan.behind,
    },
  };
}

/** The metric line and the warning of a sweep whose pace cannot keep its interval (docs/runbook.md, DriftSweepBehind). */
function sayBehind(
  projectedMs: number,
  intervalMs: number,
  numbers: number,
  batch: number,
  rate: number,
): void {
  const context = {
    projectedPassHours: hours(projectedMs),
    intervalHours: hours(intervalMs),
    numbers,
    batch,
    metaSyncRatePerSecond: rate,
  };
  logger.warn("drift sweep cannot look at every number within its interval", {
    metric: "DriftSweepBehind",
    ...context,
  });
  // One EMF line, as countMetric writes them (functions/core/metrics.ts); the figures as metadata.
  const line = metrics.singleMetric();
  for (const [key, value] of Object.entries(context)) line.addMetadata(key, String(value));
  line.addMetric("DriftSweepBehind", "Count", 1);
}

/**
 * The sweep's numbers from the cursor on: up to `batch`, tenant after tenant, each tenant's
 * numbers a page at a time (only as many as still wanted). Numbers are started in order, at the
 * pace, at most `inFlight` at once; the cursor is the last one started (all started ones are
 * awaited), so a run cut short goes on where it stopped. `finished` when every tenant ran out.
 */
async function walk(
  tenants: readonly string[],
  from: SweepProgress["cursor"],
  batch: number,
  ratePerSecond: number,
  hasTime: () => boolean,
  run: DriftSweepRun,
): Promise<{ taken: number; cursor: SweepProgress["cursor"]; finished: boolean }> {
  const inFlightLimit = Math.min(32, Math.max(1, Math.ceil(ratePerSecond * LOOK_SECONDS)));
  const inFlight = new Set<Promise<unknown>>();
  let cursor = from;
  let taken = 0;
  let index = from ? tenants.findIndex((tenantId) => tenantId >= from.tenantId) : 0;
  if (index < 0) index = tenants.length;
  let stopped = false;
  while (index < tenants.length && taken < batch && !stopped) {
    const tenantId = tenants[index] as string;
    const after = cursor?.tenantId === tenantId ? cursor.phoneNumberId : undefined;
    const page = await pagePhoneNumberIds(tenantId, after, batch - taken);
    for (const phoneNumberId of page.phoneNumberIds) {
      while (inFlight.size >= inFlightLimit) await Promise.race(inFlight);
      if (!hasTime()) {
        stopped = true;
        break;
      }
      await run.pace();
      const look: Promise<unknown> = run
        .visit(phoneNumberId, tenantId)
        .catch((error: unknown) =>
          logger.error("drift sweep could not look at a number", { phoneNumberId, error }),
        )
        .finally(() => inFlight.delete(look));
      inFlight.add(look);
      taken += 1;
      cursor = { tenantId, phoneNumberId };
    }
    // A tenant that ran out passes the walk to the next; one that did not filled the batch.
    if (!stopped && page.exhausted) index += 1;
    else break;
  }
  await Promise.all(inFlight);
  return { taken, cursor, finished: !stopped && index >= tenants.length };
}

/**
 * The numbers of every tenant, and those before `cursor` (the earlier version's pass: looked at
 * already). One `Select: COUNT` per tenant (and one more for the cursor's), 8 tenants at a time.
 */
async function countNumbers(
  tenants: readonly string[],
  cursor: SweepProgress["cursor"],
): Promise<{ total: number; before: number }> {
  const settled = await mapWithConcurrency(tenants, COUNT_CONCURRENCY, (tenantId) => countPhones(tenantId));
  let total = 0;
  let before = 0;
  for (const [i, result] of settled.entries()) {
    if (result.status === "rejected") throw result.reason;
    total += result.value;
    if (cursor && (tenants[i] as string) < cursor.tenantId) before += result.value;
  }
  // Numbers of a tenant no longer listed are in no pass: neither counted nor looked at.
  if (cursor && tenants.includes(cursor.tenantId))
    before += await countPhones(cursor.tenantId, cursor.phoneNumberId);
  return { total, before };
}
