/**
 * How many numbers one reconciler run's drift sweep takes, and whether its pass can still end
 * within `DRIFT_SWEEP_INTERVAL_HOURS` (docs/reliability.md, "Drift repair"). Pure arithmetic:
 * reconcile/drift-sweep.ts gives it the pass's counts and the settings.
 *
 *  - **Enough for the interval**: at least ceil(numbers ÷ the interval's runs) (the steady rate:
 *    209 a run for 300,000 numbers every 24 h), and, when the pass is behind its schedule (runs
 *    failed, were cut short, or the numbers grew), the numbers it should have looked at by the
 *    next run less those it has: a late pass catches up instead of staying late.
 *  - **RECONCILE_BATCH_SIZE is a floor**: an operator may make the sweep go faster than it must
 *    (finish early, find drift sooner), never slower than the interval needs. The run's due
 *    numbers take their share of it first, as before.
 *  - **Never more than the pace allows**: META_SYNC_RATE_PER_SECOND × the run's sweep window
 *    (`SWEEP_WINDOW_MS`, 50 s of the run's minute: 250 at 5 a second), the floor included. A run
 *    that outlasted its minute would meet the next run (which then skips the sweep: its lease),
 *    and the pace is Meta's limit, not ours to exceed.
 *  - **Behind**: when even the pace's limit every run cannot end the pass within the interval
 *    (the pass's projected length, `projectedPassMs`, is longer than the interval), the caller
 *    says so (DriftSweepBehind). The projection assumes the whole pace for the sweep.
 */

/** The reconciler's schedule: a run a minute (infra/function-sizing.ts, RECONCILE_SCHEDULE). */
export const RECONCILE_PERIOD_MS = 60_000;

/**
 * How long, from a run's start, its sweep may start numbers: the rest of the minute is for the
 * numbers still in flight (a Meta call and the state write) and the sweep's save, so a run ends
 * before the next one begins.
 */
export const SWEEP_WINDOW_MS = 50_000;

export interface SweepPlanInput {
  /** Numbers in a full pass: the larger of the pass's estimate and those it has looked at. */
  numbers: number;
  /** Numbers the running pass has looked at before this run. */
  visited: number;
  /** Ms since the pass began (0 for a pass that begins with this run). */
  elapsedMs: number;
  /** DRIFT_SWEEP_INTERVAL_HOURS in ms (> 0). */
  intervalMs: number;
  /** META_SYNC_RATE_PER_SECOND: calls to Meta a second at most (> 0). */
  ratePerSecond: number;
  /** RECONCILE_BATCH_SIZE: numbers a run looks at, due ones and the sweep's together, at least. */
  floor: number;
  /** Numbers this run took from the due index before the sweep (they used the pace and the floor). */
  dueTaken: number;
}

export interface SweepPlan {
  /** Numbers this run's sweep takes at most (0 when the due numbers used the whole pace). */
  batch: number;
  /** ceil(numbers ÷ runs in the interval): the rate that ends a pass begun on time in time. */
  steady: number;
  /** Numbers the pass should have looked at by the next run, less those it has (may be ≤ 0). */
  onSchedule: number;
  /** Numbers a run's sweep window holds at the pace: floor(rate × 50 s), at least 1. */
  paceLimit: number;
  /** The pass's length if every run from now took `paceLimit` numbers: elapsed + the runs left. */
  projectedPassMs: number;
  /** `projectedPassMs` > the interval: the pace cannot keep the interval's promise. */
  behind: boolean;
}

/**
 * The sweep's share of one run (module comment). All counts are numbers of phone numbers; times
 * are ms. Never throws; non-positive interval or rate are the caller's to rule out (the sweep is
 * off, the rate defaults to 5).
 */
export function planSweepRun(input: SweepPlanInput): SweepPlan {
  const numbers = Math.max(0, input.numbers);
  const runsInInterval = input.intervalMs / RECONCILE_PERIOD_MS;
  const steady = Math.ceil(numbers / runsInInterval);
  // Where the pass should be once this run is over: its share of the interval, by the next run.
  const share = Math.min(1, (input.elapsedMs + RECONCILE_PERIOD_MS) / input.intervalMs);
  const onSchedule = Math.ceil(numbers * share) - input.visited;
  const paceLimit = Math.max(1, Math.floor((input.ratePerSecond * SWEEP_WINDOW_MS) / 1000));
  const wanted = Math.max(steady, onSchedule, input.floor - input.dueTaken);
  const batch = Math.max(0, Math.min(paceLimit - input.dueTaken, wanted));
  const left = Math.max(0, numbers - input.visited);
  const projectedPassMs = input.elapsedMs + Math.ceil(left / paceLimit) * RECONCILE_PERIOD_MS;
  return {
    batch,
    steady,
    onSchedule,
    paceLimit,
    projectedPassMs,
    behind: projectedPassMs > input.intervalMs,
  };
}
