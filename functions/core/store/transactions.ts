/**
 * Reading a cancelled TransactWriteItems: DynamoDB answers TransactionCanceledException with one
 * reason per item, in the order the items were sent (`ConditionalCheckFailed`,
 * `TransactionConflict`, `None`, ...).
 */

/** The cancellation code of each item, or undefined when the error is not a cancelled transaction. */
export function cancellationCodes(error: unknown): (string | undefined)[] | undefined {
  const e = error as { name?: string; CancellationReasons?: Array<{ Code?: string }> };
  if (e?.name !== "TransactionCanceledException" || !e.CancellationReasons) return undefined;
  return e.CancellationReasons.map((reason) => reason.Code);
}

/**
 * Indexes of the items whose condition failed; an empty set when the transaction only lost a
 * race (TransactionConflict); undefined for any other error (to be thrown on).
 */
export function failedConditions(error: unknown): Set<number> | undefined {
  const codes = cancellationCodes(error);
  if (!codes) return undefined;
  const failed = new Set<number>();
  codes.forEach((code, i) => {
    if (code === "ConditionalCheckFailed") failed.add(i);
  });
  if (failed.size === 0 && !codes.includes("TransactionConflict")) return undefined;
  return failed;
}
