/**
 * The local stand-in for API Gateway (HTTP API): serves infra/routes.ts on loopback and invokes
 * the very same handler modules the Lambdas run, with payload 2.0 events and a Lambda context.
 * Used by `npm start`, the gateway tests and the end-to-end test.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { type GraphError, graphErrors } from "../functions/core/errors/graph-error.ts";
import { SECURITY_HEADERS } from "../functions/core/http/response.ts";
import { FUNCTION_SIZING, memoryMb, timeoutMs as sizingTimeoutMs } from "../infra/function-sizing.ts";
import { fallbackRoute, routes as infraRoutes, type RouteDefinition } from "../infra/routes.ts";
import { buildApiGatewayEvent, newRequestId } from "./gateway/api-gateway-event.ts";
import { enableConcurrentInvocations, inInvocationContext } from "./gateway/concurrent-invocations.ts";
import { DEFAULT_FUNCTION_TIMEOUT_MS, lambdaContext } from "./gateway/lambda-context.ts";
import { answerFromResult, type HttpAnswer } from "./gateway/lambda-result.ts";
import { loadOpenApiDocument } from "./gateway/openapi-document.ts";
import { API_GATEWAY_BODY_LIMIT_BYTES, BodyTooLargeError, readBody } from "./gateway/read-body.ts";
import { decodePathParameter, parseRequestTarget } from "./gateway/request-target.ts";
import { createRouteMatcher, type MatchableRoute } from "./gateway/route-matcher.ts";
import { createThrottle, type RouteThrottling, THROTTLED_BODY } from "./gateway/throttle.ts";

export type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => unknown;

export type GatewayRoute = MatchableRoute &
  Pick<RouteDefinition, "handler" | "functionName"> &
  Partial<Pick<RouteDefinition, "audience">>;

export interface LocalGatewayOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Defaults to infra/routes.ts. */
  routes?: readonly GatewayRoute[];
  /**
   * Serves every request no route matches, as API Gateway's `$default` route. Defaults to
   * infra/routes.ts's `fallbackRoute` with the default routes; with custom routes, none (the
   * gateway answers a Graph-style 404 itself).
   */
  fallback?: GatewayRoute | null;
  /** Defaults to importing the route's handler file from the repository root. */
  loadHandler?: (route: GatewayRoute) => Promise<LambdaHandler>;
  /**
   * The Lambda timeout each invocation gets. Default: the route's deployed timeout
   * (infra/function-sizing.ts), or 30 s, API Gateway's integration limit, for other routes.
   */
  functionTimeoutMs?: number;
  bodyLimitBytes?: number;
  /** Where the one line per request goes (default stderr); false for none. */
  log?: ((line: string) => void) | false;
  /** The document served at GET /openapi.json; undefined answers 404 (default: openapi/document.ts). */
  openApiDocument?: () => Promise<unknown>;
  /**
   * API Gateway's per-route throttling (dev/gateway/throttle.ts): each route key gets its own
   * bucket and an empty one answers API Gateway's own 429. Off by default (a local run is one
   * developer); tests of the deployed limits turn it on.
   */
  throttling?: RouteThrottling;
}

export interface LocalGateway {
  url: string;
  port: number;
  /** Imports every route's handler now; returns the failures (the routes still answer 500). */
  warm(): Promise<{ route: GatewayRoute; error: Error }[]>;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Imports `route.handler` relative to the repository root and returns its `handler` export. */
export async function importHandler(route: GatewayRoute): Promise<LambdaHandler> {
  const module = (await import(pathToFileURL(join(REPO_ROOT, route.handler)).href)) as { handler?: unknown };
  if (typeof module.handler !== "function")
    throw new Error(`${route.handler} does not export a handler function`);
  return module.handler as LambdaHandler;
}

/** The gateway's own answers (404, 413, timeout) carry the same security headers as the Lambdas'. */
function graphAnswer(error: GraphError, requestId: string): HttpAnswer {
  return {
    status: error.status,
    headers: [["content-type", "application/json; charset=utf-8"], ...Object.entries(SECURITY_HEADERS)],
    body: Buffer.from(JSON.stringify(error.toBody(requestId))),
  };
}

/** The gateway's own address as the request reached it: API Gateway's `domainName`, not the Host header. */
function ownDomain(req: IncomingMessage): string {
  const address = (req.socket.localAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
  return `${address.includes(":") ? `[${address}]` : address}:${req.socket.localPort ?? 0}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export async function startLocalGateway(options: LocalGatewayOptions = {}): Promise<LocalGateway> {
  await enableConcurrentInvocations();
  const routes = options.routes ?? infraRoutes;
  const fallback =
    options.fallback !== undefined
      ? options.fallback
      : options.routes
        ? null
        : ({ method: "ANY", path: fallbackRoute.routeKey, ...fallbackRoute } satisfies GatewayRoute);
  const matcher = createRouteMatcher(routes);
  const loadHandler = options.loadHandler ?? importHandler;
  const timeoutOf = (route: GatewayRoute): number =>
    options.functionTimeoutMs ??
    (route.audience ? sizingTimeoutMs(FUNCTION_SIZING[route.audience]) : DEFAULT_FUNCTION_TIMEOUT_MS);
  const bodyLimit = options.bodyLimitBytes ?? API_GATEWAY_BODY_LIMIT_BYTES;
  const openApiDocument = options.openApiDocument ?? loadOpenApiDocument;
  const throttle = options.throttling ? createThrottle(options.throttling) : undefined;
  const log =
    options.log === false
      ? () => undefined
      : (options.log ?? ((line: string) => process.stderr.write(`${line}\n`)));

  // One import per handler file, shared by its routes, as one Lambda container per function.
  // A failed import is forgotten so the next request retries it (a file being edited).
  const handlers = new Map<string, Promise<LambdaHandler>>();
  const handlerFor = (route: GatewayRoute): Promise<LambdaHandler> => {
    let loading = handlers.get(route.handler);
    if (!loading) {
      loading = loadHandler(route);
      handlers.set(route.handler, loading);
      loading.catch(() => handlers.delete(route.handler));
    }
    return loading;
  };

  async function invoke(
    route: GatewayRoute,
    event: APIGatewayProxyEventV2,
    requestId: string,
  ): Promise<HttpAnswer> {
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = timeoutOf(route);
    try {
      const handler = await handlerFor(route);
      const memory = route.audience ? memoryMb(FUNCTION_SIZING[route.audience]) : undefined;
      const context = lambdaContext(route.functionName, timeoutMs, memory);
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeoutMs);
      });
      // Its own invoke context, as Lambda runs concurrent invocations: its log lines carry its own
      // ids even while other requests are in flight (dev/gateway/concurrent-invocations.ts).
      const invocation = inInvocationContext(context, async () => handler(event, context));
      const result = await Promise.race([invocation, timedOut]);
      if (result === "timeout") {
        log(`${route.functionName}: timed out after ${timeoutMs} ms requestId=${requestId}`);
        return graphAnswer(graphErrors.upstreamUnavailable(504, "the function timed out"), requestId);
      }
      return answerFromResult(result);
    } catch (error) {
      // Name and message only: never the event, its headers or its body.
      log(`${route.functionName}: ${describe(error)} requestId=${requestId}`);
      return graphAnswer(graphErrors.internal(), requestId);
    } finally {
      clearTimeout(timer);
    }
  }

  async function serveOpenApi(requestId: string): Promise<HttpAnswer> {
    const document = await openApiDocument();
    if (document === undefined) return graphAnswer(graphErrors.notFound("GET", "/openapi.json"), requestId);
    return {
      status: 200,
      headers: [["content-type", "application/json; charset=utf-8"], ...Object.entries(SECURITY_HEADERS)],
      body: Buffer.from(JSON.stringify(document, null, 2)),
    };
  }

  /** API Gateway's own 429: its body, its content type, none of our headers. */
  function throttled(): HttpAnswer {
    return {
      status: 429,
      headers: [["content-type", "application/json"]],
      body: Buffer.from(THROTTLED_BODY),
    };
  }

  async function answer(req: IncomingMessage, requestId: string): Promise<HttpAnswer> {
    const method = req.method ?? "GET";
    const target = parseRequestTarget(req.url ?? "/");
    let body: Buffer;
    try {
      body = await readBody(req, bodyLimit);
    } catch (error) {
      if (error instanceof BodyTooLargeError)
        return graphAnswer(graphErrors.payloadTooLarge(bodyLimit), requestId);
      throw error;
    }
    if ((method === "GET" || method === "HEAD") && target.rawPath === "/openapi.json")
      return serveOpenApi(requestId);
    // No route for this method and path, whether or not the path exists for another method:
    // an HTTP API answers 404 to both. Every GET route also has its HEAD route to the same
    // function (infra/api.ts), which answers the GET without its body (http-handler.ts).
    const getMatch = method === "HEAD" ? matcher.match("GET", target.rawPath) : undefined;
    const match = getMatch
      ? { ...getMatch, route: { ...getMatch.route, method: "HEAD" } }
      : matcher.match(method, target.rawPath);
    const routeKey = match ? `${match.route.method} ${match.route.path}` : fallbackRoute.routeKey;
    if (throttle && !throttle.admit(routeKey)) return throttled();
    if (!match && !fallback) return graphAnswer(graphErrors.notFound(method, target.rawPath), requestId);
    const route = match?.route ?? (fallback as GatewayRoute);
    const pathParameters = match?.pathParameters
      ? Object.fromEntries(Object.entries(match.pathParameters).map(([k, v]) => [k, decodePathParameter(v)]))
      : undefined;
    const event = buildApiGatewayEvent(
      {
        method,
        target,
        rawHeaders: req.rawHeaders,
        body,
        httpVersion: req.httpVersion,
        sourceIp: (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
        localPort: req.socket.localPort ?? 0,
        domainName: ownDomain(req),
      },
      {
        routeKey,
        ...(pathParameters ? { pathParameters } : {}),
      },
      requestId,
    );
    return invoke(route, event, requestId);
  }

  function send(res: ServerResponse, reply: HttpAnswer, requestId: string, head: boolean): void {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of reply.headers) {
      const existing = headers[name];
      if (name === "set-cookie") headers[name] = [...((existing as string[] | undefined) ?? []), value];
      else headers[name] = value;
    }
    headers["apigw-requestid"] = requestId;
    // HEAD: the length the GET's body has (the function says it, http-handler.ts); never a body.
    const length =
      head && typeof headers["content-length"] === "string" ? headers["content-length"] : undefined;
    headers["content-length"] = length ?? String(reply.body.length);
    res.writeHead(reply.status, headers);
    res.end(head ? undefined : reply.body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = newRequestId();
    let reply: HttpAnswer;
    try {
      reply = await answer(req, requestId);
    } catch (error) {
      log(`gateway: ${describe(error)} requestId=${requestId}`);
      reply = graphAnswer(graphErrors.internal(), requestId);
    }
    send(res, reply, requestId, req.method === "HEAD");
    const path = parseRequestTarget(req.url ?? "/").encodedPath;
    // Path only: the query string can carry secrets (hub.verify_token), headers and bodies always can.
    // The request id is the one of the answer's apigw-requestid and the handler's log lines
    // (correlation_id), as in the deployed API's access log.
    log(
      `${req.method} ${path} ${reply.status} ${Math.round(performance.now() - started)} ms requestId=${requestId}`,
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  // What infra/api.ts gives the deployed functions: the API's own URL, the base of the paging
  // links (never the request's Host header). A process running several gateways keeps the first.
  process.env.API_BASE_URL ??= `http://${host}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    async warm() {
      const failures: { route: GatewayRoute; error: Error }[] = [];
      for (const route of fallback ? [...routes, fallback] : routes) {
        try {
          await handlerFor(route);
        } catch (error) {
          failures.push({ route, error: error instanceof Error ? error : new Error(String(error)) });
        }
      }
      return failures;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
