/**
 * Turns what a handler returned into the HTTP answer, as API Gateway does for payload 2.0:
 * a structured result (`statusCode`, `headers`, `cookies`, `body`, `isBase64Encoded`) is used
 * as is; anything else is taken as a 200 `application/json` body (a string as sent, any other
 * value JSON-encoded).
 */

export interface HttpAnswer {
  status: number;
  /** Name/value pairs; `set-cookie` may appear more than once. */
  headers: [string, string][];
  body: Buffer;
}

function isStructured(result: unknown): result is {
  statusCode: number;
  headers?: Record<string, unknown>;
  cookies?: unknown[];
  body?: unknown;
  isBase64Encoded?: boolean;
} {
  return typeof result === "object" && result !== null && "statusCode" in result;
}

export function answerFromResult(result: unknown): HttpAnswer {
  if (!isStructured(result)) {
    const body = typeof result === "string" ? result : (JSON.stringify(result) ?? "");
    return { status: 200, headers: [["content-type", "application/json"]], body: Buffer.from(body, "utf8") };
  }
  const status = Number(result.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new Error(`handler returned an invalid statusCode: ${String(result.statusCode)}`);
  }
  const headers: [string, string][] = [];
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (value !== undefined && value !== null) headers.push([name.toLowerCase(), String(value)]);
  }
  for (const cookie of result.cookies ?? []) headers.push(["set-cookie", String(cookie)]);
  const text = typeof result.body === "string" ? result.body : "";
  const body = result.isBase64Encoded ? Buffer.from(text, "base64") : Buffer.from(text, "utf8");
  return { status, headers, body };
}
