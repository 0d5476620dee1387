/** A Lambda `Context` for one local invocation, its remaining time counting down from the timeout. */
import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";
import { LOCAL_ACCOUNT_ID } from "./api-gateway-event.ts";

/** API Gateway HTTP APIs give an integration at most 30 s. */
export const DEFAULT_FUNCTION_TIMEOUT_MS = 30_000;

export function lambdaContext(
  functionName: string,
  timeoutMs: number,
  memoryMb = 1024,
  now = Date.now(),
): Context {
  const deadline = now + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:local:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
