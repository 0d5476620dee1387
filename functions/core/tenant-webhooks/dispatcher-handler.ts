/**
 * The webhook dispatcher's Lambda handler, on the delivery queue (SQSEvent; locally the
 * in-process queue of dev/local-events.ts builds the same event). Every message of a batch is
 * dispatched at once, so one endpoint's slow answers never wait for another's; failed messages
 * are reported one by one (partial batch responses): SQS retries them and finally moves them to
 * the dead-letter queue.
 *
 * The invocation's deadline comes from the Lambda context (its remaining time): each message is
 * dispatched with a deadline DEADLINE_RESERVE short of it, by which every attempt has ended; what
 * could not be attempted by then is handed back to the queue (webhook-dispatch.ts), so the
 * invocation ends in time and SQS never redelivers work already done.
 */
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { config } from "../config.ts";
import { logger } from "../logger.ts";
import { storageFailure } from "../store/store-errors.ts";
import { deliveryMessageSchema } from "./delivery-queue.ts";
import { errorFields } from "./lambda-errors.ts";
import { dispatchDeliveries } from "./webhook-dispatch.ts";

/**
 * Time kept back before the invocation's end for the claims and outcome writes around the last
 * attempts and the hand-back: a quarter of the remaining time, at least 1 s and at most 5 s (a
 * 60 s function keeps 5 s; each write has its own 5 s DynamoDB attempt budget, rarely used).
 */
export function deadlineReserveMs(remainingMs: number): number {
  return Math.min(5_000, Math.max(1_000, Math.max(0, remainingMs) / 4));
}

export async function dispatcherHandler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  if (context) logger.addContext(context);
  const remaining = context?.getRemainingTimeInMillis();
  const deadline =
    remaining === undefined ? undefined : Date.now() + remaining - deadlineReserveMs(remaining);
  // An attempt's whole budget, or the invocation's usable time if that is shorter (a function
  // configured shorter than WEBHOOK_TIMEOUT_MS still makes progress, one attempt at a time).
  const attemptBudgetMs =
    deadline === undefined
      ? undefined
      : Math.max(1, Math.min(config.webhookTimeoutMs(), deadline - Date.now()));
  const records = event.Records ?? [];
  const settled = await Promise.allSettled(
    records.map(async (record) => {
      const message = deliveryMessageSchema.safeParse(JSON.parse(record.body));
      if (!message.success) throw new Error("not a delivery message");
      const receives = Number(record.attributes?.ApproximateReceiveCount ?? "1");
      return dispatchDeliveries(message.data, {
        redelivered: receives > 1,
        ...(deadline !== undefined && attemptBudgetMs !== undefined ? { deadline, attemptBudgetMs } : {}),
      });
    }),
  );
  const batchItemFailures = settled.flatMap((result, i) => {
    if (result.status === "fulfilled") return [];
    logger.error("delivery message failed; SQS retries it", {
      ...errorFields(result.reason),
      ...storageFailure(result.reason),
      messageId: records[i]?.messageId,
    });
    return [{ itemIdentifier: records[i]?.messageId ?? "" }];
  });
  return { batchItemFailures };
}
