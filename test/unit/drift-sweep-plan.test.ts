/**
 * How many numbers a reconciler run's drift sweep takes (functions/core/reconcile/sweep-plan.ts):
 * enough to look at every number once per DRIFT_SWEEP_INTERVAL_HOURS (at least numbers ÷ the
 * interval's runs, more when the pass is behind its schedule), never more than the pace allows in
 * a run's sweep window (META_SYNC_RATE_PER_SECOND × 50 s), RECONCILE_BATCH_SIZE as a floor; and
 * whether the pass can still end within its interval (DriftSweepBehind).
 */
import { describe, expect, it } from "vitest";
import {
  planSweepRun,
  RECONCILE_PERIOD_MS,
  SWEEP_WINDOW_MS,
  type SweepPlanInput,
} from "../../functions/core/reconcile/sweep-plan.ts";
import { RECONCILE_SCHEDULE } from "../../infra/function-sizing.ts";

const HOUR = 3_600_000;

/** The deployed settings: every 24 h, 5 Meta calls a second, RECONCILE_BATCH_SIZE 100. */
const deployed = (over: Partial<SweepPlanInput>): SweepPlanInput => ({
  numbers: 300_000,
  visited: 0,
  elapsedMs: 0,
  intervalMs: 24 * HOUR,
  ratePerSecond: 5,
  floor: 100,
  dueTaken: 0,
  ...over,
});

describe("the sweep's batch", () => {
  it("assumes the schedule infra deploys: a run a minute, the sweep's window inside it", () => {
    expect(RECONCILE_SCHEDULE).toBe("rate(1 minute)");
    expect(RECONCILE_PERIOD_MS).toBe(60_000);
    expect(SWEEP_WINDOW_MS).toBeLessThan(RECONCILE_PERIOD_MS);
  });

  it("300,000 numbers every 24 h: 209 a run (ceil(300,000 ÷ 1,440)), within the pace's 250", () => {
    const plan = planSweepRun(deployed({}));
    expect(plan).toMatchObject({ batch: 209, steady: 209, paceLimit: 250, behind: false });
    // 300,000 ÷ 250 a run = 1,200 runs: 20 hours at the pace's limit.
    expect(plan.projectedPassMs).toBe(1_200 * RECONCILE_PERIOD_MS);
  });

  it("few numbers: RECONCILE_BATCH_SIZE is the floor", () => {
    expect(planSweepRun(deployed({ numbers: 1_000 }))).toMatchObject({ batch: 100, steady: 1 });
    expect(planSweepRun(deployed({ numbers: 0 }))).toMatchObject({ batch: 100, behind: false });
  });

  it("the pace bounds it, the floor included: a run's sweep window holds rate × 50 s calls", () => {
    expect(planSweepRun(deployed({ floor: 1_000 }))).toMatchObject({ batch: 250 });
    expect(planSweepRun(deployed({ ratePerSecond: 2 }))).toMatchObject({ batch: 100, paceLimit: 100 });
    // A pace below one call per window still moves: one number a run.
    expect(planSweepRun(deployed({ ratePerSecond: 0.001 }))).toMatchObject({ batch: 1, paceLimit: 1 });
  });

  it("numbers the pace cannot cover in the interval: the pace's limit, and behind, with the pass's projected length", () => {
    const plan = planSweepRun(deployed({ numbers: 500_000 }));
    expect(plan).toMatchObject({ batch: 250, steady: 348, behind: true });
    // 500,000 ÷ 250 = 2,000 runs of a minute: 33.3 hours.
    expect(plan.projectedPassMs).toBe(2_000 * RECONCILE_PERIOD_MS);
    // Exactly what the pace covers in 24 h (250 × 1,440) is not behind; one more number is.
    expect(planSweepRun(deployed({ numbers: 360_000 })).behind).toBe(false);
    expect(planSweepRun(deployed({ numbers: 360_001 })).behind).toBe(true);
  });

  it("a pass behind its schedule catches up: the numbers due by the next run's time", () => {
    // Half the interval gone, a third of the numbers looked at (runs failed or were cut short).
    const plan = planSweepRun(deployed({ elapsedMs: 12 * HOUR, visited: 100_000 }));
    // ceil(300,000 × (12 h + 1 min) ÷ 24 h) − 100,000 = 50,209, bounded by the pace.
    expect(plan.onSchedule).toBe(50_209);
    expect(plan.batch).toBe(250);
    // 12 h + 800 runs of 250: 25.3 h, past the 24.
    expect(plan.projectedPassMs).toBe(12 * HOUR + 800 * RECONCILE_PERIOD_MS);
    expect(plan.behind).toBe(true);
    // Behind its schedule by 1,209 numbers, which the pace makes up in time: caught up at the
    // pace's limit, not reported (12 h + 604 runs = 22.1 h).
    const slightly = planSweepRun(deployed({ elapsedMs: 12 * HOUR, visited: 149_000 }));
    expect(slightly).toMatchObject({ onSchedule: 1_209, batch: 250, behind: false });
    // Behind by less than the steady rate: the steady rate.
    expect(planSweepRun(deployed({ elapsedMs: 12 * HOUR, visited: 150_100 }))).toMatchObject({ batch: 209 });
  });

  it("a pass ahead of its schedule keeps the steady rate (or the floor)", () => {
    const plan = planSweepRun(deployed({ elapsedMs: HOUR, visited: 200_000 }));
    expect(plan).toMatchObject({ batch: 209, behind: false });
  });

  it("more numbers found than the estimate: on at the steady rate until the pass ends", () => {
    // The caller passes numbers = max(estimate, visited): nothing left by the estimate.
    const plan = planSweepRun(deployed({ numbers: 300_500, visited: 300_500, elapsedMs: 23 * HOUR }));
    expect(plan).toMatchObject({ batch: 209, behind: false });
  });

  it("the run's due numbers come first: the sweep gets what is left of the pace and of the floor", () => {
    expect(planSweepRun(deployed({ dueTaken: 100 }))).toMatchObject({ batch: 150 });
    expect(planSweepRun(deployed({ numbers: 1_000, dueTaken: 40 }))).toMatchObject({ batch: 60 });
    expect(planSweepRun(deployed({ dueTaken: 300 }))).toMatchObject({ batch: 0 });
  });

  it("a pass that outlasted its interval is behind", () => {
    const plan = planSweepRun(deployed({ elapsedMs: 25 * HOUR, visited: 299_000 }));
    expect(plan).toMatchObject({ batch: 250, behind: true });
    expect(plan.projectedPassMs).toBe(25 * HOUR + 4 * RECONCILE_PERIOD_MS);
  });
});
