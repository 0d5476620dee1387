import middy from "@middy/core";
import type { Context, ScheduledEvent } from "aws-lambda";
import { logger } from "../core/logger.ts";
import {
  type ReconcileOutcome,
  type ReconcilerRunSummary,
  runReconciler,
} from "../core/reconcile/reconciler.ts";

/** Time kept after the run for its last write and the summary line. */
const RESERVE_MS = 5_000;

/**
 * The scheduled reconciler (sst.aws.Cron in AWS, a timer under `npm start`): settles unresolved
 * intents and runs the drift sweep. See functions/core/reconcile/reconciler.ts.
 */
export const handler = middy<ScheduledEvent, unknown>()
  .before(({ context }) => {
    logger.addContext(context);
    logger.setCorrelationId(context.awsRequestId);
  })
  .handler(async (_event: ScheduledEvent, context: Context) => {
    const summary = await runReconciler({
      deadline: Date.now() + context.getRemainingTimeInMillis() - RESERVE_MS,
      runId: context.awsRequestId,
    });
    logger.resetKeys();
    return runSummary(summary);
  });

/**
 * What a run did, counted as its log lines say it: `settled` the due numbers whose state is now
 * Meta's (recorded, confirmed, kept as newer, or no longer registered), `failed` those Meta (or
 * the store) could not answer for (`reconcile could not read Meta`: due again after a backoff),
 * `busy` those another change held (looked at again later), `swept` the drift sweep's numbers.
 */
export function runSummary(summary: ReconcilerRunSummary): ReconcilerRunCounts {
  const count = (...results: ReconcileOutcome["result"][]) =>
    summary.outcomes.filter((outcome) => results.includes(outcome.result)).length;
  return {
    due: summary.due,
    settled: count("recorded", "confirmed", "kept", "missing"),
    failed: count("failed"),
    busy: count("busy"),
    swept: summary.swept,
  };
}

export interface ReconcilerRunCounts {
  due: number;
  settled: number;
  failed: number;
  busy: number;
  swept: number;
}
