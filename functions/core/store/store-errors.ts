/**
 * Which DynamoDB errors mean "the store is unavailable" rather than a bug or a lost race, and
 * the one place that counts them (`StorageUnavailable`, functions/core/metrics.ts).
 */
import { countMetric } from "../metrics.ts";

/** DynamoDB itself failing or throttling, after the SDK's own retries. */
const OUTAGE_ERRORS = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "InternalServerError",
  "ServiceUnavailable",
  "TimeoutError",
]);

/** Two writers met on one item: worth a retry by the client, not a sign of an outage. */
const CONFLICT_ERRORS = new Set(["TransactionConflictException", "TransactionCanceledException"]);

/** Socket-level failures reaching DynamoDB (the SDK has already retried them). */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND"]);

/** The store is down, throttled or unreachable (by the SDK error's `name`, or a socket `code`). */
export function isStorageOutage(error: unknown): boolean {
  const e = error as { name?: string; code?: string } | undefined;
  return OUTAGE_ERRORS.has(e?.name ?? "") || NETWORK_CODES.has(e?.code ?? "");
}

/** Worth a retry by the client (HTTP 503): an outage, or a conflict with another writer. */
export function isTransientStoreError(error: unknown): boolean {
  return isStorageOutage(error) || CONFLICT_ERRORS.has((error as { name?: string } | undefined)?.name ?? "");
}

/**
 * What a log line says of a failed storage call: the error's name, and `metric:
 * "StorageUnavailable"` when it is an outage, which is then counted (with `context`: ids only).
 */
export function storageFailure(
  error: unknown,
  context: Record<string, string | undefined> = {},
): { errorName: string | undefined; metric?: "StorageUnavailable" } {
  const errorName = (error as Error | undefined)?.name;
  if (!isStorageOutage(error)) return { errorName };
  countMetric("StorageUnavailable", 1, { errorName, ...context });
  return { errorName, metric: "StorageUnavailable" };
}
