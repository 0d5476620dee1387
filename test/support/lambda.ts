/** Real API Gateway HTTP API (payload 2.0) events and Lambda contexts for driving handlers. */
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { lambdaContext as gatewayLambdaContext } from "../../dev/gateway/lambda-context.ts";

export interface EventInput {
  method: string;
  /** Route key path, e.g. /meta/whatsapp/{version}/{phone_number_id}/username */
  routePath: string;
  pathParameters?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Buffer;
  base64?: boolean;
  query?: Record<string, string>;
  /** The query string exactly as sent (wins over `query` for rawQueryString). */
  rawQuery?: string;
}

export function apiEvent(input: EventInput): APIGatewayProxyEventV2 {
  const rawPath = input.routePath.replace(/\{(\w+)\}/g, (_, name) => input.pathParameters?.[name] ?? "");
  const requestId = randomUUID();
  const headers = Object.fromEntries(
    Object.entries(input.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const body =
    input.body === undefined
      ? undefined
      : input.base64
        ? Buffer.from(input.body).toString("base64")
        : input.body.toString();
  const rawQueryString = input.rawQuery ?? new URLSearchParams(input.query ?? {}).toString();
  return {
    version: "2.0",
    routeKey: `${input.method} ${input.routePath}`,
    rawPath,
    rawQueryString,
    headers,
    ...(input.query ? { queryStringParameters: input.query } : {}),
    requestContext: {
      accountId: "123456789012",
      apiId: "local",
      domainName: "localhost",
      domainPrefix: "localhost",
      http: {
        method: input.method,
        path: rawPath,
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: "vitest",
      },
      requestId,
      routeKey: `${input.method} ${input.routePath}`,
      stage: "$default",
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(input.pathParameters ? { pathParameters: input.pathParameters } : {}),
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: Boolean(input.base64),
  };
}

/** A Lambda context as the local gateway builds it: remaining time counts down from `timeoutMs`. */
export function lambdaContext(timeoutMs = 30_000, functionName = "test"): Context {
  return gatewayLambdaContext(functionName, timeoutMs, 512);
}

export type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Parsed body; tests assert on its shape, so it is deliberately untyped. */
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked structurally by each test's expect()
  json: any;
}

export async function invoke(
  handler: Handler,
  event: APIGatewayProxyEventV2,
  context = lambdaContext(),
): Promise<Answer> {
  const result = await handler(event, context);
  const body = typeof result.body === "string" ? result.body : "";
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return {
    status: result.statusCode ?? 200,
    headers: (result.headers ?? {}) as Record<string, string>,
    body,
    json,
  };
}
