/**
 * The reconciler: makes the recorded state of a number equal to what Meta says, with
 * `source: reconcile` (docs/reliability.md, "No change lost after Meta acted" and "Drift").
 *  - `reconcileNumber`: under the number's lease (so never racing a POST or DELETE), reads
 *    Meta's GET username and records it when it is newer than the record; a difference from the
 *    recorded state is logged as `DriftDetected`, an unresolved intent settled as `IntentReconciled`.
 *    Meta unreachable or refusing: the number stays unresolved and is looked at again later
 *    (backoff 1 min doubling to 1 h).
 *  - `runReconciler`: one scheduled run. First every number due (unresolved intents, leases
 *    whose invocation ended), then, when enabled and due, the next slice of the drift sweep over
 *    every number (reconcile/drift-sweep.ts, sized by reconcile/sweep-plan.ts). Calls to Meta are
 *    paced (`META_SYNC_RATE_PER_SECOND`) and the run stops starting new ones before its deadline.
 * The same code runs as a scheduled Lambda in AWS (functions/reconcile/reconciler.ts, sst.aws.Cron),
 * on a timer under `npm start`, and behind `npm run admin -- phone sync`.
 */
import { randomUUID } from "node:crypto";
import { config } from "../config.ts";
import { decryptToken } from "../crypto/token-cipher.ts";
import { GraphError } from "../errors/graph-error.ts";
import { callGraph, type GraphAnswer } from "../graph/client.ts";
import { logger } from "../logger.ts";
import { countMetric } from "../metrics.ts";
import { dueIntents, type Lease } from "../store/number-line.ts";
import { getPhone, listTenants } from "../store/phones.ts";
import { storageFailure } from "../store/store-errors.ts";
import { sameState, type UsernameState } from "../username-state/state.ts";
import { changeThroughMeta, type ThroughMetaResult } from "../usernames/through-meta.ts";
import { usernameResponseSchema } from "../validation/username-request.ts";
import { type DriftSweepReport, sweepSlice } from "./drift-sweep.ts";

export type ReconcileResult =
  /** Meta's state recorded (it differed from the record). */
  | "recorded"
  /** The record already says what Meta says. */
  | "confirmed"
  /** The record differs from Meta's answer but is dated after it (a webhook of that moment): kept. */
  | "kept"
  /** Another change to the number is running: looked at again later. */
  | "busy"
  /** Meta could not be read: the number stays due, with backoff. */
  | "failed"
  /** No such number. */
  | "missing";

export interface ReconcileOutcome {
  phoneNumberId: string;
  result: ReconcileResult;
  /** Set when the record differed from Meta (logged as DriftDetected). */
  drift?: { recorded: UsernameState; actual: UsernameState };
  /** Meta's error code or our reason when `failed`. */
  reason?: string;
}

export interface ReconcileOptions {
  /** Whose number it is (the due index's partition); read from the record when not given. */
  tenantId?: string;
  /** Correlation id of the run; each number's lease owner derives from it. */
  runId?: string;
  /** How long to wait for the number's turn when a POST or DELETE holds it (ms, default 5 s). */
  waitMs?: number;
  /** Epoch ms by which the Meta call must be over (the invocation's deadline). */
  deadline?: number;
}

const RETRY_BASE_MS = 60_000;
const RETRY_MAX_MS = 3_600_000;
/** How long the reconciler's own lease lasts at most: its Meta call's budget and the write. */
const LEASE_MS = 30_000;

function stateOf(record: UsernameState): UsernameState {
  return {
    ...(record.username !== undefined ? { username: record.username } : {}),
    ...(record.status !== undefined ? { status: record.status } : {}),
  };
}

/** Reads Meta for one number and records its truth (module comment). Throws storage errors only. */
export async function reconcileNumber(
  phoneNumberId: string,
  options: ReconcileOptions = {},
): Promise<ReconcileOutcome> {
  const owner = `reconcile:${options.runId ?? randomUUID()}:${phoneNumberId}`;
  const now = Date.now();
  const deadline = options.deadline ?? now + LEASE_MS;
  const backoff = (lease: Lease) =>
    Date.now() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** lease.reconcileAttempts);
  let failure: string | undefined;
  let result: ThroughMetaResult<GraphAnswer> | { busy: true };
  const tenantId = options.tenantId ?? (await getPhone(phoneNumberId, true))?.tenantId;
  if (tenantId === undefined) return { phoneNumberId, result: "missing" };
  try {
    result = await changeThroughMeta<GraphAnswer>({
      phoneNumberId,
      tenantId,
      owner,
      operation: "reconcile",
      leaseUntil: Math.min(deadline, now + LEASE_MS) + 5_000,
      waitUntil: now + (options.waitMs ?? 5_000),
      source: "reconcile",
      requestId: owner,
      kind: "read",
      deadline,
      retryAt: backoff,
      call: (phone) =>
        callGraph({
          method: "GET",
          version: config.metaGraphVersion(),
          phoneNumberId,
          edge: "username",
          accessToken: decryptToken(phone.accessTokenEncrypted, phoneNumberId),
          deadline: Math.min(deadline, Date.now() + LEASE_MS),
        }),
      meaning: (answer) => {
        if (answer.kind !== "success") failure = metaErrorCode(answer.raw);
        const parsed = answer.kind === "success" ? usernameResponseSchema.safeParse(answer.json) : undefined;
        if (parsed && !parsed.success) failure = "unexpected answer shape";
        return parsed?.success ? { state: stateOf(parsed.data) } : { unknown: failure ?? "" };
      },
    });
  } catch (error) {
    if (error instanceof GraphError) return failed(phoneNumberId, `code ${error.body.code}`);
    throw error;
  }
  if ("busy" in result && result.busy) return { phoneNumberId, result: "busy" };
  const { answer, recorded: phone, outcome, lease } = result as ThroughMetaResult<GraphAnswer>;
  if (!answer || !phone) return { phoneNumberId, result: "missing" };
  if (failure !== undefined) return failed(phoneNumberId, failure, lease.reconcileAttempts);

  const recorded = stateOf(phone);
  const parsed = usernameResponseSchema.safeParse(answer.kind === "success" ? answer.json : undefined);
  const actual = parsed.success ? stateOf(parsed.data) : recorded;
  const drift = !sameState(recorded, actual) ? { recorded, actual } : undefined;
  if (drift) {
    logger.warn("recorded username state differed from Meta's", {
      metric: "DriftDetected",
      phoneNumberId,
      recorded,
      actual,
      recordedNow: outcome?.applied === true,
    });
    countMetric("DriftDetected", 1, { phoneNumberId });
  }
  if (lease.unresolved) {
    logger.info("unresolved intent reconciled", { metric: "IntentReconciled", phoneNumberId });
    countMetric("IntentReconciled", 1, { phoneNumberId });
  }
  return {
    phoneNumberId,
    result: outcome?.applied ? "recorded" : drift ? "kept" : "confirmed",
    ...(drift ? { drift } : {}),
  };
}

function failed(phoneNumberId: string, reason: string, attempts?: number): ReconcileOutcome {
  logger.error("reconcile could not read Meta", {
    phoneNumberId,
    reason,
    ...(attempts !== undefined ? { attempts: attempts + 1 } : {}),
  });
  return { phoneNumberId, result: "failed", reason };
}

function metaErrorCode(raw: string): string {
  try {
    const code = (JSON.parse(raw) as { error?: { code?: unknown } }).error?.code;
    return `Meta error ${String(code)}`;
  } catch {
    return "Meta error";
  }
}

/** Spaces calls `1 / ratePerSecond` apart (the first one at once). */
export function pacer(ratePerSecond: number): () => Promise<void> {
  const interval = 1000 / ratePerSecond;
  let next = 0;
  return async () => {
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + interval;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  };
}

export interface ReconcilerRunSummary {
  due: number;
  outcomes: ReconcileOutcome[];
  /** Numbers the drift sweep looked at in this run (0 when it is off or not due). */
  swept: number;
  /** Whether the sweep finished its pass over every number in this run. */
  sweepFinished: boolean;
  /** The sweep's batch, the pass's counts and its projected length (absent when it did not sweep). */
  sweep?: DriftSweepReport;
}

export interface RunOptions {
  /** Epoch ms by which the run must be over (the invocation's deadline, less a reserve). */
  deadline: number;
  runId?: string;
  /** Epoch ms "now" for what is due and for the drift sweep's schedule (default: the clock). */
  now?: number;
}

/** Time one number's reconcile may take at most; none starts closer than this to the deadline. */
const PER_NUMBER_RESERVE_MS = LEASE_MS / 2;

/**
 * One run: due numbers first (at most RECONCILE_BATCH_SIZE), then a slice of the drift sweep
 * when it is on and due (reconcile/drift-sweep.ts: as many numbers as its interval needs, within
 * what the pace leaves). Both share one pace. Throws storage errors of the listings and the
 * sweep's own item; a number's failure is the number's.
 */
export async function runReconciler(options: RunOptions): Promise<ReconcilerRunSummary> {
  const startedAt = Date.now();
  const now = options.now ?? startedAt;
  const runId = options.runId ?? randomUUID();
  const pace = pacer(config.metaSyncRatePerSecond());
  const hasTime = () => options.deadline - Date.now() > PER_NUMBER_RESERVE_MS;
  const outcomes: ReconcileOutcome[] = [];
  const tenants = await listTenants();
  const due = await dueIntents(now, config.reconcileBatchSize(), tenants);
  for (const { phoneNumberId, tenantId } of due) {
    if (!hasTime()) break;
    await pace();
    outcomes.push(
      await reconcileOrFail(phoneNumberId, {
        runId,
        deadline: options.deadline,
        ...(tenantId !== undefined ? { tenantId } : {}),
      }),
    );
  }
  const sweep = await sweepSlice({
    runId,
    now,
    startedAt,
    deadline: options.deadline,
    tenants,
    dueTaken: outcomes.length,
    pace,
    hasTime,
    visit: (phoneNumberId, tenantId) =>
      reconcileOrFail(phoneNumberId, { runId, deadline: options.deadline, tenantId }),
  });
  const summary: ReconcilerRunSummary = {
    due: due.length,
    outcomes,
    swept: sweep.swept,
    sweepFinished: sweep.finished,
    ...(sweep.report ? { sweep: sweep.report } : {}),
  };
  logger.info("reconciler run", {
    due: summary.due,
    recorded: outcomes.filter((o) => o.result === "recorded").length,
    failed: outcomes.filter((o) => o.result === "failed").length,
    busy: outcomes.filter((o) => o.result === "busy").length,
    swept: summary.swept,
    sweepFinished: summary.sweepFinished,
    ...(sweep.report
      ? {
          sweepBatch: sweep.report.batch,
          sweepNumbers: sweep.report.numbers,
          sweepVisitedInPass: sweep.report.visitedInPass,
          sweepProjectedPassHours: sweep.report.projectedPassHours,
        }
      : {}),
  });
  return summary;
}

/** One number's reconcile; a storage error fails that number, not the run. */
async function reconcileOrFail(phoneNumberId: string, options: ReconcileOptions): Promise<ReconcileOutcome> {
  try {
    return await reconcileNumber(phoneNumberId, options);
  } catch (error) {
    logger.error("reconcile failed", { phoneNumberId, ...storageFailure(error, { phoneNumberId }) });
    return { phoneNumberId, result: "failed", reason: (error as Error)?.name ?? "error" };
  }
}
