import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { z } from "zod/mini";
import { describeIssues } from "../validation/issues.ts";
import { graphErrors } from "./graph-error.ts";

/** The exact bytes the client sent (API Gateway base64-encodes bodies it considers binary). */
export function rawBody(event: Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded">): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8");
}

/** Keys that must never become properties of an object built from client input. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/**
 * JSON.parse that drops prototype-polluting keys wherever they appear. JSON.parse itself never
 * sets a prototype (a `"__proto__"` key becomes an own property), so the keys are removed
 * afterwards, by an explicit-stack walk: a reviver recurses once per nesting level and overflows
 * the stack on a few thousand levels, which would turn a valid but deep document into an error.
 */
export function parseJsonSafely(text: string): unknown {
  const root: unknown = JSON.parse(text);
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (value === null || typeof value !== "object") continue;
    if (!Array.isArray(value)) {
      const record = value as Record<string, unknown>;
      for (const key of FORBIDDEN_KEYS) if (Object.hasOwn(record, key)) delete record[key];
    }
    for (const child of Object.values(value))
      if (child !== null && typeof child === "object") pending.push(child);
  }
  return root;
}

export const API_BODY_LIMIT_BYTES = 16 * 1024;

/** Validates path parameters (before any I/O) or throws a Graph code 100 error. */
export function parsePathParameters<T>(event: APIGatewayProxyEventV2, schema: z.ZodMiniType<T>): T {
  const result = schema.safeParse(event.pathParameters ?? {});
  if (!result.success) {
    const detail = describeIssues(result.error);
    throw graphErrors.invalidParameter(`Invalid path: ${detail}`, detail);
  }
  return result.data;
}
