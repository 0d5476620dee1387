/**
 * A raw HTTP request (method, request target, header lines, body bytes) turned into what an
 * API Gateway HTTP API would hand a Lambda, with the local gateway's own pieces: route selection
 * from infra/routes.ts, percent-decoding of the path, header joining, and the text-or-base64
 * body decision by content type. Unrouted requests are API Gateway's own 404, never a Lambda's.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { buildApiGatewayEvent, newRequestId } from "../../../dev/gateway/api-gateway-event.ts";
import { decodePathParameter, parseRequestTarget } from "../../../dev/gateway/request-target.ts";
import { createRouteMatcher } from "../../../dev/gateway/route-matcher.ts";
import { importHandler } from "../../../dev/local-gateway.ts";
import { type RouteDefinition, routes } from "../../../infra/routes.ts";
import { type Answer, type Handler, invoke, lambdaContext } from "../../support/lambda.ts";

export interface RawRequest {
  method: string;
  /** Origin-form request target: path and query, as on the request line. */
  target: string;
  /** Header lines in order; names in any case, repeats allowed (joined with commas). */
  headers: Array<[string, string]>;
  body: Buffer;
}

export interface Routed {
  route: RouteDefinition;
  event: APIGatewayProxyEventV2;
}

const matcher = createRouteMatcher(routes);

export function routeKey(route: Pick<RouteDefinition, "method" | "path">): string {
  return `${route.method} ${route.path}`;
}

export function toGatewayEvent(request: RawRequest): Routed | undefined {
  const target = parseRequestTarget(request.target);
  const match = matcher.match(request.method, target.rawPath);
  if (!match) return undefined;
  const pathParameters = match.pathParameters
    ? Object.fromEntries(Object.entries(match.pathParameters).map(([k, v]) => [k, decodePathParameter(v)]))
    : undefined;
  const event = buildApiGatewayEvent(
    {
      method: request.method,
      target,
      rawHeaders: request.headers.flat(),
      body: request.body,
      httpVersion: "1.1",
      sourceIp: "203.0.113.7",
      localPort: 443,
    },
    { routeKey: routeKey(match.route), ...(pathParameters ? { pathParameters } : {}) },
    newRequestId(),
  );
  return { route: match.route, event };
}

const handlers = new Map<string, Promise<Handler>>();

/** Invokes the route's real handler module, as its Lambda would be. */
export async function invokeRoute(routed: Routed): Promise<Answer> {
  let handler = handlers.get(routed.route.handler);
  if (!handler) {
    handler = importHandler(routed.route) as Promise<Handler>;
    handlers.set(routed.route.handler, handler);
  }
  return invoke(await handler, routed.event, lambdaContext(15_000, routed.route.functionName));
}
