/**
 * Per-tenant counters of calls that reach Meta, for the rate limit (see core/rate-limit/): one
 * item per tenant per minute, incremented with a single conditional `ADD`, so concurrent Lambdas
 * share one count and a refused request does not count.
 */
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { dynamo, tableName } from "./client.ts";
import { conditionalWrite } from "./conditional-write.ts";
import { keys } from "./keys.ts";

export interface CounterWindow {
  tenantId: string;
  /** floor(epoch ms / 60 000). */
  epochMinute: number;
  limit: number;
  /** Epoch seconds after which DynamoDB TTL may delete the counter. */
  expiresAt: number;
}

/** The conditional `ADD` that counts one call in the window, as an UpdateItem or a transaction item. */
export function metaCallCounterUpdate(window: CounterWindow) {
  return {
    TableName: tableName(),
    Key: keys.metaCallCounter(window.tenantId, window.epochMinute),
    UpdateExpression: "ADD #count :one SET expiresAt = if_not_exists(expiresAt, :expiresAt), #type = :type",
    ConditionExpression: "attribute_not_exists(#count) OR #count < :limit",
    ExpressionAttributeNames: { "#count": "count", "#type": "type" },
    ExpressionAttributeValues: {
      ":one": 1,
      ":limit": window.limit,
      ":expiresAt": window.expiresAt,
      ":type": "metaCallCounter",
    },
  };
}

/** Counts one call in the window; false (nothing counted) when the window is already full. */
export async function countMetaCall(window: CounterWindow): Promise<boolean> {
  return conditionalWrite(dynamo().send(new UpdateCommand(metaCallCounterUpdate(window))));
}
