import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { z } from "zod/mini";
import { graphErrors } from "../errors/graph-error.ts";
import { describeIssues } from "../validation/issues.ts";

/** The exact bytes the client sent (API Gateway base64-encodes bodies it considers binary). */
export function rawBody(event: Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded">): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8");
}

export const API_BODY_LIMIT_BYTES = 16 * 1024;

/** Validates path parameters (before any I/O) or throws a Graph code 100 error. */
export function parsePathParameters<T>(event: APIGatewayProxyEventV2, schema: z.ZodMiniType<T>): T {
  const result = schema.safeParse(event.pathParameters ?? {});
  if (!result.success) {
    const detail = describeIssues(result.error, event.pathParameters ?? {});
    throw graphErrors.invalidParameter(`Invalid path: ${detail}`, detail);
  }
  return result.data;
}
