/**
 * The lifecycle of one delivery (an event to an endpoint), decided here and written through
 * store/webhook-deliveries.ts:
 *
 *  - A first attempt is sent before anything is written; its outcome is written as soon as it
 *    ends (FirstAttemptLog: writes go out one batch after another, up to 25 outcomes each, so a
 *    successful delivery costs one write and none waits for the rest of its message).
 *  - A retry, and a first attempt that may have been sent already (a message received again, a
 *    stream batch sequenced twice), is claimed first: the claim counts the attempt and moves the
 *    due time past the attempt's lease (the budget + LEASE_MARGIN_MS), to when the next attempt
 *    would be due had this one failed. So concurrent sweeps and duplicate messages send it once,
 *    and an attempt whose outcome is never written (a store error, a crash) still counts and is
 *    followed by the next one on schedule, never sent again. Only the claim's holder writes its
 *    outcome.
 *  - A failed attempt schedules the next (retry-schedule.ts); after the last one the delivery is
 *    `failed`. A last attempt claimed but never recorded ends `failed` once its lease is over.
 *  - Finished deliveries are kept DELIVERY_LOG_RETENTION_DAYS, then DynamoDB deletes them (TTL).
 */
import { randomBytes } from "node:crypto";
import {
  claimDelivery,
  claimFirstDelivery,
  type DeliveryRef,
  type DeliveryState,
  putDeliveries,
  WRITES_PER_CALL,
  writeDeliveryState,
} from "../store/webhook-deliveries.ts";
import type { AttemptResult } from "./http-attempt.ts";
import { maxAttempts, type NextState, nextState } from "./retry-schedule.ts";

export const DELIVERY_LOG_RETENTION_DAYS = 30;
/** How long past its budget an attempt may still be running before its claim lapses. */
export const LEASE_MARGIN_MS = 60_000;

/** Epoch seconds when a delivery finished at `now` (epoch ms) is deleted. */
function retentionEnd(now: number): number {
  return Math.floor(now / 1000) + DELIVERY_LOG_RETENTION_DAYS * 24 * 3600;
}

/** The state attempt number `attempt` leaves, ended with `result` at `now` (epoch ms). */
export function stateAfterAttempt(
  attempt: number,
  result: AttemptResult,
  next: NextState,
  now: number,
): DeliveryState {
  const { ok: _ok, ...stored } = result;
  const lastAttempt = {
    at: stored.at,
    durationMs: stored.durationMs,
    responseStatus: stored.responseStatus,
    error: stored.error,
    responseExcerpt: stored.responseExcerpt,
  };
  if (next.status === "pending") {
    return { status: "pending", attempts: attempt, nextAttemptAt: next.nextAttemptAt, lastAttempt };
  }
  return {
    status: next.status,
    attempts: attempt,
    lastAttempt,
    finishedAt: new Date(now).toISOString(),
    expiresAt: retentionEnd(now),
  };
}

/** Which claim an attempt needs before it is sent. */
export type Claim = "retry" | "first";

/**
 * Claims attempt number `attempts + 1` of the delivery, for an attempt of `budgetMs` starting
 * now; resolves with the claim's token, or undefined when the delivery is someone else's or
 * moved on (nothing is to be sent then).
 */
export async function claimAttempt(
  ref: DeliveryRef,
  claim: Claim,
  attempts: number,
  budgetMs: number,
): Promise<string | undefined> {
  const leaseUntil = Date.now() + budgetMs + LEASE_MARGIN_MS;
  // Should this attempt never record an outcome, the next is due as if it had failed at the
  // lease's end; after the last one, the lease's end is when the delivery is ended.
  const lost = nextState(attempts + 1, false, leaseUntil);
  const dueIfLost = lost.status === "pending" ? lost.nextAttemptAt : leaseUntil;
  const token = randomBytes(12).toString("base64url");
  const won =
    claim === "retry"
      ? await claimDelivery(ref, attempts, token, dueIfLost)
      : await claimFirstDelivery(ref, token, dueIfLost);
  return won ? token : undefined;
}

/**
 * The outcome of claimed attempt number `attempt`; false when the claim was lost meanwhile (its
 * lease ran out and the delivery moved on without this outcome): then nothing is written.
 */
export function recordClaimedAttempt(
  ref: DeliveryRef,
  attempt: number,
  leaseToken: string,
  result: AttemptResult,
  next: NextState,
): Promise<boolean> {
  return writeDeliveryState(ref, stateAfterAttempt(attempt, result, next, Date.now()), {
    leaseToken,
    attempts: attempt,
  });
}

/** True when a delivery with `attempts` attempts has none left (its last was claimed and lost). */
export function lastAttemptTaken(attempts: number): boolean {
  return attempts >= maxAttempts();
}

/**
 * Ends a pending delivery whose last attempt was claimed but never recorded (its lease is over):
 * `failed`, with `attempts` unchanged and the last attempt's time kept. False when it moved on.
 */
export function endUnrecordedLastAttempt(ref: DeliveryRef, attempts: number): Promise<boolean> {
  const now = Date.now();
  return writeDeliveryState(
    ref,
    {
      status: "failed",
      attempts,
      lastAttempt: { error: "outcome of the last attempt not recorded" },
      finishedAt: new Date(now).toISOString(),
      expiresAt: retentionEnd(now),
    },
    { pendingAndDueWithAttempts: attempts },
  );
}

/**
 * The outcomes of unclaimed first attempts, written as they end: each `add` starts a write at
 * once unless one is in flight, and the next write takes everything added meanwhile (up to 25
 * per BatchWriteItem). After a failed write nothing more is written (`failed`), and `flush`
 * throws its error.
 */
export class FirstAttemptLog {
  #queue: { ref: DeliveryRef; state: DeliveryState }[] = [];
  #writing: Promise<void> | undefined;
  #error: unknown;
  #failed = false;

  /** True once a write failed: outcomes added later are not written. */
  get failed(): boolean {
    return this.#failed;
  }

  add(ref: DeliveryRef, result: AttemptResult, next: NextState): void {
    this.#queue.push({ ref, state: stateAfterAttempt(1, result, next, Date.now()) });
    this.#writeOn();
  }

  #writeOn(): void {
    if (this.#writing || this.#failed) return;
    this.#writing = (async () => {
      while (this.#queue.length > 0 && !this.#failed) {
        const batch = this.#queue.splice(0, WRITES_PER_CALL);
        try {
          await putDeliveries(batch);
        } catch (error) {
          this.#failed = true;
          this.#error = error;
        }
      }
    })().finally(() => {
      this.#writing = undefined;
      // Added after the loop's last look: written by the next write.
      if (this.#queue.length > 0) this.#writeOn();
    });
  }

  /** Resolves once every outcome added is written; throws the error of a failed write. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (this.#failed) throw this.#error;
    if (this.#queue.length > 0) {
      this.#writeOn();
      await this.flush();
    }
  }
}
