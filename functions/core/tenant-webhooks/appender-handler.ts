/**
 * The feed appender's Lambda handler, on the FIFO feed queue (SQSEvent; locally the in-process
 * FIFO queue of dev/events/local-fifo-queue.ts builds the same event). A batch holds messages of
 * one or more message groups (tenants), each group's in the order they were sent, and SQS hands
 * no other message of those groups out until this invocation has answered.
 *
 * Groups are appended side by side, a group's messages one after the other (a tenant's events
 * keep their stream order). A message that fails fails its group's later messages of the batch
 * too, unprocessed, and they are reported with it (partial batch responses): SQS hands them back
 * in their order after the visibility timeout, while the other groups' messages are done. So one
 * tenant's failing feed never holds another tenant's events, and never reorders its own. (AWS's
 * Lambda guide says a FIFO consumer should stop at its first failure and report the rest; stopping
 * per message group, as here, keeps the same guarantee, each group's order, and is what
 * Powertools' FIFO batch processor does with `skip_group_on_error`.)
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { mapWithConcurrency } from "../concurrency.ts";
import { logger } from "../logger.ts";
import { storageFailure } from "../store/store-errors.ts";
import { appendTenantEvents } from "./feed-appender.ts";
import { feedMessageSchema } from "./feed-queue.ts";
import { errorFields } from "./lambda-errors.ts";

/** Groups of a batch appended at once (a FIFO batch holds at most 10 messages). */
const PARALLEL_GROUPS = 10;
/**
 * No message starts with less than this left of the invocation (the Lambda context's remaining
 * time): a message is at most ≈ 500 events, 11 appends and their deliveries, well under a second
 * unless DynamoDB throttles the tenant's feed partition, when the SDK's retries stretch it. What
 * does not start goes back to the queue unprocessed, so the invocation ends in time.
 */
export const START_RESERVE_MS = 15_000;

/** The record's message group: SQS sets it on every FIFO message; a record without one stands alone. */
function groupOf(record: SQSRecord): string {
  return record.attributes?.MessageGroupId ?? `message:${record.messageId}`;
}

/**
 * Appends the batch's messages and reports the ones to hand back: each failed message and every
 * later message of its group in the batch. Never throws (a thrown invocation would hand back
 * every group's messages).
 */
export async function appenderHandler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  if (context) logger.addContext(context);
  const startBy = context ? Date.now() + context.getRemainingTimeInMillis() - START_RESERVE_MS : undefined;
  const records = event.Records ?? [];
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) groups.set(groupOf(record), [...(groups.get(groupOf(record)) ?? []), record]);

  const failed = new Set<string>();
  const totals = { messages: 0, sequenced: 0, duplicates: 0, dispatched: 0, racesLost: 0 };
  await mapWithConcurrency([...groups.values()], PARALLEL_GROUPS, async (group) => {
    for (const [i, record] of group.entries()) {
      const rest = () => {
        for (const later of group.slice(i)) failed.add(later.messageId);
      };
      if (startBy !== undefined && Date.now() > startBy) {
        logger.warn("feed messages handed back before the deadline", {
          messageGroupId: groupOf(record),
          messages: group.length - i,
        });
        rest();
        return;
      }
      try {
        const message = feedMessageSchema.safeParse(JSON.parse(record.body));
        if (!message.success) throw new Error("not a feed message");
        const outcome = await appendTenantEvents(message.data.tenantId, message.data.events);
        totals.messages++;
        totals.sequenced += outcome.sequenced;
        totals.duplicates += outcome.duplicates;
        totals.dispatched += outcome.dispatched;
        totals.racesLost += outcome.racesLost;
      } catch (error) {
        logger.error("feed message failed; SQS hands it back with its group's later messages", {
          ...errorFields(error),
          ...storageFailure(error),
          messageId: record.messageId,
          messageGroupId: groupOf(record),
          receives: Number(record.attributes?.ApproximateReceiveCount ?? "1"),
          handedBack: group.length - i,
        });
        rest();
        return;
      }
    }
  });
  logger.info("feed messages appended", { records: records.length, failed: failed.size, ...totals });
  // In the batch's order, as SQS lists them.
  return {
    batchItemFailures: records
      .filter((record) => failed.has(record.messageId))
      .map((record) => ({ itemIdentifier: record.messageId })),
  };
}
