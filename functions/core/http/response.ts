import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";

export type ApiResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
};

/** On every answer: nothing here may be cached by a proxy, and no content sniffing. */
export const SECURITY_HEADERS: Record<string, string> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

export function jsonResponse(statusCode: number, body: unknown): ApiResponse {
  return rawJsonResponse(statusCode, JSON.stringify(body));
}

/** An already-serialised JSON body, passed through byte for byte (Meta's answers). */
export function rawJsonResponse(statusCode: number, body: string): ApiResponse {
  return { statusCode, headers: { "content-type": "application/json; charset=utf-8" }, body };
}

export function textResponse(statusCode: number, body: string): ApiResponse {
  return { statusCode, headers: { "content-type": "text/plain; charset=utf-8" }, body };
}
