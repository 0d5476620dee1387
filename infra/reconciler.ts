/**
 * The reconciler (functions/reconcile/reconciler.ts) on a schedule: every minute it records
 * Meta's state for the numbers whose change through Meta could not be recorded, and runs a slice
 * of the drift sweep (docs/reliability.md). It reads Meta with each number's stored token.
 */
import type { FunctionAccess } from "./function-access.ts";
import { RECONCILE_SCHEDULE, RECONCILER_SIZING } from "./function-sizing.ts";
import { lambdaArgs } from "./lambda.ts";

/**
 * Hours between two drift sweeps over every number (0 turns the sweep off). Daily: one GET per
 * number per day, paced at META_SYNC_RATE_PER_SECOND (5 a second: 250 numbers a run, 360,000 a
 * day at most; beyond that the reconciler says DriftSweepBehind, docs/runbook.md).
 */
export const DRIFT_SWEEP_INTERVAL_HOURS = 24;

/**
 * Calls to Meta a second at most for the reconciler's runs (its due numbers and the drift sweep
 * together; functions/core/config.ts has the same default, for `phone sync`). The drift sweep's
 * ceiling: 50 s of each one-minute run at this pace. Every call is a GET on the Meta app's rate
 * limits, which all tenants' requests share: raise it (docs/runbook.md, DriftSweepBehind) only
 * with room under them (UpstreamThrottled stays quiet).
 */
export const META_SYNC_RATE_PER_SECOND = 5;

/**
 * What is due: Query on byDueTime. The numbers' turns (UpdateItem, the line read with
 * BatchGetItem), their records (GetItem), the state written as the API writes it (UpdateItem,
 * PutItem, DeleteItem in TransactWriteItems). The sweep lists tenants (Query on the table), reads
 * its place (GetItem), takes its lease (UpdateItem), pages and, once per deployment, counts the
 * tenants' numbers (Query on byTenant) and keeps its place (PutItem).
 */
export const RECONCILER_ACCESS: FunctionAccess = {
  table: {
    actions: ["BatchGetItem", "GetItem", "Query", "UpdateItem", "PutItem", "DeleteItem"],
    queries: ["byDueTime", "byTenant"],
  },
  secrets: ["TokenEncryptionKey", "TokenEncryptionKeyPrevious"],
};

export const reconciler = new sst.aws.Cron("Reconciler", {
  schedule: RECONCILE_SCHEDULE,
  function: lambdaArgs({
    handler: "functions/reconcile/reconciler.ts",
    description: "reconciler: unresolved username changes and the drift sweep, every minute",
    sizing: RECONCILER_SIZING,
    access: RECONCILER_ACCESS,
    environment: {
      DRIFT_SWEEP_INTERVAL_HOURS: String(DRIFT_SWEEP_INTERVAL_HOURS),
      META_SYNC_RATE_PER_SECOND: String(META_SYNC_RATE_PER_SECOND),
    },
  }),
});
