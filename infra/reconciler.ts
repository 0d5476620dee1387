/**
 * The reconciler (functions/reconcile/reconciler.ts) on a schedule: every minute it records
 * Meta's state for the numbers whose change through Meta could not be recorded, and runs a slice
 * of the drift sweep (docs/reliability.md). Linked to the table and the token keys only: it reads
 * Meta with each number's stored token.
 */
import { LOG_RETENTION } from "./api.ts";
import { RECONCILE_SCHEDULE, RECONCILER_SIZING } from "./function-sizing.ts";
import { tokenEncryptionKey, tokenEncryptionKeyPrevious } from "./secrets.ts";
import { table } from "./storage.ts";

/**
 * Hours between two drift sweeps over every number (0 turns the sweep off). Daily: one GET per
 * number per day, paced at META_SYNC_RATE_PER_SECOND, far inside Meta's rate limits.
 */
export const DRIFT_SWEEP_INTERVAL_HOURS = 24;

export const reconciler = new sst.aws.Cron("Reconciler", {
  schedule: RECONCILE_SCHEDULE,
  function: {
    handler: "functions/reconcile/reconciler.handler",
    description: "reconciler: unresolved username changes and the drift sweep, every minute",
    runtime: "nodejs24.x",
    architecture: "arm64",
    ...RECONCILER_SIZING,
    logging: { format: "json", retention: LOG_RETENTION },
    link: [table, tokenEncryptionKey, tokenEncryptionKeyPrevious],
    environment: { DRIFT_SWEEP_INTERVAL_HOURS: String(DRIFT_SWEEP_INTERVAL_HOURS) },
  },
});
