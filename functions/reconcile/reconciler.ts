import middy from "@middy/core";
import type { Context, ScheduledEvent } from "aws-lambda";
import { logger } from "../core/logger.ts";
import { runReconciler } from "../core/reconcile/reconciler.ts";

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
    return { due: summary.due, reconciled: summary.outcomes.length, swept: summary.swept };
  });
