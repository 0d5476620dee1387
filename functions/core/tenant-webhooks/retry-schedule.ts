/**
 * What an attempt's result means for a delivery: delivered, another attempt after the next
 * delay of WEBHOOK_RETRY_DELAYS (functions/core/config.ts), or failed after the last one.
 */
import { config } from "../config.ts";

/** The state an attempt leaves: delivered, another attempt at `nextAttemptAt` (epoch ms), or failed. */
export type NextState =
  | { status: "delivered" }
  | { status: "pending"; nextAttemptAt: number }
  | { status: "failed" };

/** Attempts in one round: the first, then one per configured delay. */
export function maxAttempts(): number {
  return 1 + config.webhookRetryDelays().length;
}

/** The state after attempt number `attempt` (1-based) ended `ok` or not, at `now` (epoch ms). */
export function nextState(attempt: number, ok: boolean, now: number): NextState {
  if (ok) return { status: "delivered" };
  const delays = config.webhookRetryDelays();
  const delay = delays[attempt - 1];
  if (delay === undefined) return { status: "failed" };
  return { status: "pending", nextAttemptAt: now + delay * 1000 };
}
