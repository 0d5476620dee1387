/**
 * Per-tenant counters of `/v1` reads, for the read limit (rate-limit/tenant-read-limit.ts): one
 * item per tenant per minute (`READLIMIT#<tenant>` / `MINUTE#<epoch minute>`, TTL), incremented
 * with one conditional `ADD`, so every Lambda container shares the count and a refused read
 * does not count. Kept apart from the Meta call counters: a tenant paging its feed never spends
 * its allowance of calls to Meta, and the reverse.
 */
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { dynamo, tableName } from "./client.ts";
import { keys } from "./keys.ts";

export interface ReadWindow {
  tenantId: string;
  /** floor(epoch ms / 60 000). */
  epochMinute: number;
  /** Reads the window admits. */
  limit: number;
  /** Epoch seconds after which DynamoDB TTL may delete the counter. */
  expiresAt: number;
}

/** Counts one read in the window; false (nothing counted) when the window is already full. */
export async function countRead(window: ReadWindow): Promise<boolean> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.readCounter(window.tenantId, window.epochMinute),
        UpdateExpression:
          "ADD #count :one SET expiresAt = if_not_exists(expiresAt, :expiresAt), #type = :type",
        ConditionExpression: "attribute_not_exists(#count) OR #count < :limit",
        ExpressionAttributeNames: { "#count": "count", "#type": "type" },
        ExpressionAttributeValues: {
          ":one": 1,
          ":limit": window.limit,
          ":expiresAt": window.expiresAt,
          ":type": "readCounter",
        },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return false;
    throw error;
  }
}
