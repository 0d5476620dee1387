/**
 * The webhook dispatcher's Lambda handler, on the delivery queue (SQSEvent; locally the
 * in-process queue of dev/local-events.ts builds the same event). Every message of a batch is
 * dispatched at once, so one endpoint's slow answers never wait for another's; failed messages
 * are reported one by one (partial batch responses): SQS retries them and finally moves them to
 * the dead-letter queue.
 */
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { logger } from "../logger.ts";
import { storageFailure } from "../store/store-errors.ts";
import { deliveryMessageSchema } from "./delivery-queue.ts";
import { errorFields } from "./lambda-errors.ts";
import { dispatchDeliveries } from "./webhook-dispatch.ts";

export async function dispatcherHandler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  if (context) logger.addContext(context);
  const records = event.Records ?? [];
  const settled = await Promise.allSettled(
    records.map(async (record) => {
      const message = deliveryMessageSchema.safeParse(JSON.parse(record.body));
      if (!message.success) throw new Error("not a delivery message");
      const receives = Number(record.attributes?.ApproximateReceiveCount ?? "1");
      return dispatchDeliveries(message.data, { redelivered: receives > 1 });
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
