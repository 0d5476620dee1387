/**
 * GET /health's store check: one eventually consistent GetItem of a key nothing writes
 * (`keys.healthProbe`), the cheapest read that proves the table exists, answers, and lets this
 * function read it (0.5 read capacity unit; IAM `dynamodb:GetItem` only).
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { dynamo, tableName } from "./client.ts";
import { keys } from "./keys.ts";

/**
 * Resolves when the table answered within `timeoutMs` milliseconds (SDK retries included);
 * rejects with the SDK's error otherwise (`TimeoutError`/`AbortError` when the time ran out).
 */
export async function probeStore(timeoutMs: number): Promise<void> {
  await dynamo().send(
    new GetCommand({ TableName: tableName(), Key: keys.healthProbe(), ProjectionExpression: "pk" }),
    { abortSignal: AbortSignal.timeout(timeoutMs) },
  );
}
