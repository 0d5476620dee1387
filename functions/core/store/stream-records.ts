/**
 * The history items in a batch of DynamoDB stream records (Lambda's DynamoDBStreamEvent, or the
 * same shape built by the local poller in dev/local-events.ts): inserts of `HISTORY#` items, in
 * stream order, each unmarshalled from DynamoDB's attribute-value JSON. Everything else in the
 * table's stream (phone records, feed items, deliveries...) is left out here, as the event source
 * mapping's filter in AWS already leaves it out.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import type { HistoryEvent } from "../username-state/records.ts";
import { keys } from "./keys.ts";

export function historyItemsOf(records: readonly DynamoDBRecord[]): Partial<HistoryEvent>[] {
  const items: Partial<HistoryEvent>[] = [];
  for (const record of records) {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== "INSERT" || !image) continue;
    const sk = image.sk?.S;
    if (!sk?.startsWith(keys.historyPrefix)) continue;
    const { pk: _pk, sk: _sk, type: _type, ...history } = unmarshall(image as Record<string, AttributeValue>);
    items.push(history as Partial<HistoryEvent>);
  }
  return items;
}
