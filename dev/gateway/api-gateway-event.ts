/**
 * Builds the API Gateway HTTP API payload 2.0 event for one request, field for field as AWS
 * sends it: header names lower-cased with duplicates joined by commas, the Cookie header moved
 * to `cookies`, the X-Forwarded-* headers API Gateway adds, and optional fields left out (not
 * null) when empty.
 */
import { randomBytes } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { encodeEventBody } from "./request-body.ts";
import type { RequestTarget } from "./request-target.ts";

export interface IncomingRequest {
  method: string;
  target: RequestTarget;
  /** Node's `rawHeaders`: name, value, name, value... in arrival order. */
  rawHeaders: readonly string[];
  body: Buffer;
  httpVersion: string;
  sourceIp: string;
  localPort: number;
  /**
   * The API's own domain (`requestContext.domainName`), which in AWS is the host the API serves,
   * never whatever a client puts in its Host header. Default: the Host header (older callers).
   */
  domainName?: string;
}

export interface MatchedRoute {
  /** `GET /meta/whatsapp/{version}/...` */
  routeKey: string;
  pathParameters?: Record<string, string>;
}

export const LOCAL_ACCOUNT_ID = "123456789012";
export const LOCAL_API_ID = "local";

/** API Gateway's request ids look like `QQCtFipSIAMEPNQ=`: 10 random bytes, base64. */
export function newRequestId(): string {
  return randomBytes(10).toString("base64");
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");

/** `requestContext.time`: `07/Aug/2026:01:37:53 +0000`. */
export function requestTime(date: Date): string {
  return (
    `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
  );
}

export function joinHeaders(rawHeaders: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]},${value}` : value;
  }
  return headers;
}

/** Every Cookie header, split at `;`: one entry per cookie. */
function cookiesOf(rawHeaders: readonly string[]): string[] {
  const cookies: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() !== "cookie") continue;
    for (const cookie of (rawHeaders[i + 1] as string).split(";")) {
      if (cookie.trim() !== "") cookies.push(cookie.trim());
    }
  }
  return cookies;
}

function traceId(epochMs: number): string {
  return `Root=1-${Math.floor(epochMs / 1000).toString(16)}-${randomBytes(12).toString("hex")}`;
}

export function buildApiGatewayEvent(
  request: IncomingRequest,
  route: MatchedRoute,
  requestId: string,
  now = new Date(),
): APIGatewayProxyEventV2 {
  const headers = joinHeaders(request.rawHeaders);
  // Cookies travel in `cookies`; hop-by-hop headers end at API Gateway.
  for (const name of ["cookie", "connection", "keep-alive"]) delete headers[name];
  const forwardedFor = headers["x-forwarded-for"];
  headers["x-forwarded-for"] = forwardedFor ? `${forwardedFor}, ${request.sourceIp}` : request.sourceIp;
  headers["x-forwarded-port"] = String(request.localPort);
  headers["x-forwarded-proto"] = "http";
  headers["x-amzn-trace-id"] ??= traceId(now.getTime());

  const domainName = request.domainName ?? headers.host ?? `127.0.0.1:${request.localPort}`;
  const { rawPath, rawQueryString, queryStringParameters } = request.target;
  const cookies = cookiesOf(request.rawHeaders);

  return {
    version: "2.0",
    routeKey: route.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      domainName,
      domainPrefix: domainName.split(".")[0]?.split(":")[0] ?? domainName,
      http: {
        method: request.method,
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.sourceIp,
        userAgent: headers["user-agent"] ?? "",
      },
      requestId,
      routeKey: route.routeKey,
      stage: "$default",
      time: requestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(route.pathParameters ? { pathParameters: route.pathParameters } : {}),
    ...encodeEventBody(request.body, headers["content-type"]),
  };
}
