/**
 * The stream sequencer's Lambda handler, on the table's stream (DynamoDBStreamEvent): a batch's
 * new history items as events onto the FIFO feed queue (feed-sequencer.ts). Under `npm start` and
 * in tests dev/local-events.ts invokes it with the same event shape. A failure throws, so the
 * batch is retried (in AWS until it succeeds or its records leave the stream after 24 hours).
 */
import type { Context, DynamoDBStreamEvent } from "aws-lambda";
import { logger } from "../logger.ts";
import { historyItemsOf } from "../store/stream-records.ts";
import { sequenceHistory } from "./feed-sequencer.ts";
import { errorFields } from "./lambda-errors.ts";

export async function sequencerHandler(event: DynamoDBStreamEvent, context?: Context) {
  if (context) logger.addContext(context);
  const items = historyItemsOf(event.Records ?? []);
  if (items.length === 0) return { historyItems: 0 };
  try {
    const summary = await sequenceHistory(items);
    logger.info("stream batch queued for the feed", { records: event.Records.length, ...summary });
    return summary;
  } catch (error) {
    logger.error("stream batch not queued for the feed; it is retried", errorFields(error));
    throw error;
  }
}
