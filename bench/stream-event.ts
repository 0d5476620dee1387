/**
 * Items as the table's stream hands them to the sequencer: Lambda's DynamoDBStreamEvent, one
 * INSERT record per item with its new image (the table's stream is NEW_IMAGE), in order.
 */

import { randomUUID } from "node:crypto";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamEvent } from "aws-lambda";

export function streamEvent(items: readonly Record<string, AttributeValue>[]): DynamoDBStreamEvent {
  return {
    Records: items.map((item, i) => ({
      eventID: randomUUID(),
      eventName: "INSERT",
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: "local",
      dynamodb: {
        Keys: { pk: item.pk, sk: item.sk } as never,
        NewImage: item as never,
        SequenceNumber: String(i + 1).padStart(21, "0"),
        SizeBytes: 0,
        StreamViewType: "NEW_IMAGE",
      },
      eventSourceARN: "arn:aws:dynamodb:local:000000000000:table/bench/stream/local",
    })),
  };
}
