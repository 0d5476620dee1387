import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { z } from "zod/mini";
import { describeIssues } from "../validation/issues.ts";
import { graphErrors } from "./graph-error.ts";

/** The exact bytes the client sent (API Gateway base64-encodes bodies it considers binary). */
export function rawBody(event: Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded">): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8");
}

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** JSON.parse that drops prototype-polluting keys wherever they appear. */
export function parseJsonSafely(text: string): unknown {
  return JSON.parse(text, (key, value) => (FORBIDDEN_KEYS.has(key) ? undefined : value));
}

export const API_BODY_LIMIT_BYTES = 16 * 1024;

/** Parses and validates a JSON request body, or throws a Graph code 100 error naming the problem. */
export function parseJsonBody<T>(event: APIGatewayProxyEventV2, schema: z.ZodMiniType<T>): T {
  const bytes = rawBody(event);
  if (bytes.length > API_BODY_LIMIT_BYTES) throw graphErrors.payloadTooLarge(API_BODY_LIMIT_BYTES);
  if (bytes.length === 0)
    throw graphErrors.invalidParameter("Request body is required", "send a JSON object");
  let parsed: unknown;
  try {
    parsed = parseJsonSafely(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw graphErrors.invalidParameter("Request body is not valid JSON", "send a UTF-8 JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw graphErrors.invalidParameter("Request body must be a JSON object");
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const detail = describeIssues(result.error);
    throw graphErrors.invalidParameter(`Invalid parameter: ${detail}`, detail);
  }
  return result.data;
}

/** Validates path parameters (before any I/O) or throws a Graph code 100 error. */
export function parsePathParameters<T>(event: APIGatewayProxyEventV2, schema: z.ZodMiniType<T>): T {
  const result = schema.safeParse(event.pathParameters ?? {});
  if (!result.success) {
    const detail = describeIssues(result.error);
    throw graphErrors.invalidParameter(`Invalid path: ${detail}`, detail);
  }
  return result.data;
}
