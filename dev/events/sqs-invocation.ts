/**
 * One invocation of an SQS-triggered function, as Lambda runs it for the local queues
 * (local-queue.ts, local-fifo-queue.ts): the ids of the batch's messages that failed. Those the
 * answer lists in `batchItemFailures` (ReportBatchItemFailures); every message when the
 * invocation throws or has not answered within `timeoutMs` (its work in this process cannot be
 * stopped, as Lambda would stop it; what it does later is not waited for).
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

export async function failedMessageIds(
  consume: (event: SQSEvent) => Promise<SQSBatchResponse>,
  records: SQSRecord[],
  /** The function's timeout, ms; none: it never times out. */
  timeoutMs: number | undefined,
  onError: (error: unknown) => void,
): Promise<Set<string>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const consumed = consume({ Records: records });
    const answer =
      timeoutMs === undefined
        ? await consumed
        : await Promise.race([
            consumed,
            new Promise<never>((_, reject) => {
              timer = setTimeout(
                () => reject(new Error(`invocation timed out after ${timeoutMs} ms`)),
                timeoutMs,
              );
            }),
          ]);
    return new Set((answer?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
  } catch (error) {
    // A thrown (or timed-out) invocation fails the whole batch, as with Lambda.
    onError(error);
    return new Set(records.map((record) => record.messageId));
  } finally {
    clearTimeout(timer);
  }
}
