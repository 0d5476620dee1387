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
 * number per day, paced at META_SYNC_RATE_PER_SECOND, far inside Meta's rate limits.
 */
export const DRIFT_SWEEP_INTERVAL_HOURS = 24;

/**
 * What is due: Query on byDueTime. The numbers' turns (UpdateItem, the line read with
 * BatchGetItem), their records (GetItem), the state written as the API writes it (UpdateItem,
 * PutItem, DeleteItem in TransactWriteItems). The sweep lists tenants (Query on the table) and
 * their numbers (Query on byTenant) and keeps its place (PutItem).
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
    environment: { DRIFT_SWEEP_INTERVAL_HOURS: String(DRIFT_SWEEP_INTERVAL_HOURS) },
  }),
});
