/**
 * The HTTP API: one route per entry of the route table (infra/routes.ts), one Lambda per
 * `functionName` (the webhook's GET and POST share one), each with the access its routes
 * declare (infra/lambda.ts). Memory and timeouts live in infra/function-sizing.ts (the local
 * gateway applies the same timeouts); all figures are argued in docs/deploy.md ("Sizing and limits").
 */

import type { RequiredSecretName } from "../functions/core/config.ts";
import { buildInfo } from "./build-info.ts";
import { consoleFunctionArgs } from "./console.ts";
import { FUNCTION_SIZING } from "./function-sizing.ts";
import { LOG_RETENTION, lambdaArgs } from "./lambda.ts";
import { fallbackRoute, type RouteDefinition, routes } from "./routes.ts";
import { metaAppSecret, metaVerifyToken, tokenEncryptionKey } from "./secrets.ts";
import {
  ROUTE_THROTTLING,
  stageKind,
  TENANT_META_LIMIT_PER_MINUTE,
  TENANT_READ_LIMIT_PER_MINUTE,
} from "./stage-settings.ts";

/**
 * Per-route limits of the stage (API Gateway applies the default to each route, one bucket per
 * route: infra/stage-settings.ts ROUTE_THROTTLING): far above human-paced username changes and
 * Meta's webhook deliveries, far below the account's regional 10,000 rps, so a runaway client
 * gets 429s instead of exhausting Lambda concurrency, and Meta's webhook keeps its own bucket.
 */
const THROTTLING = {
  throttlingRateLimit: ROUTE_THROTTLING.rateLimit,
  throttlingBurstLimit: ROUTE_THROTTLING.burstLimit,
};

/** Per-route metrics (5xx, Count, Latency by method and path): infra/alarms.ts alarms on them. */
const ROUTE_METRICS = { detailedMetricsEnabled: true };

/**
 * The Graph call's whole budget, retries included (functions/core/graph/client.ts). The username
 * functions' timeout leaves room after it for the key lookup and the state writes, and stays
 * under API Gateway's 30 s integration cap so the client always gets our own error envelope.
 */
const GRAPH_TIMEOUT_MS = 10_000;

const build = buildInfo();

/**
 * The secrets GET /health reports as set or missing, resolved here at deploy time: its function
 * gets their names (REQUIRED_SECRETS_SET), never a value, and links none of them.
 */
const REQUIRED_SECRETS = {
  MetaAppSecret: metaAppSecret,
  MetaVerifyToken: metaVerifyToken,
  TokenEncryptionKey: tokenEncryptionKey,
} satisfies Record<RequiredSecretName, sst.Secret>;

/** The names of the required secrets that have a value (comma-separated): names only, not secret. */
const requiredSecretsSet = $util.unsecret(
  $util
    .all(
      Object.entries(REQUIRED_SECRETS).map(([name, secret]) => secret.value.apply((value) => [name, value])),
    )
    .apply((pairs) =>
      pairs
        .filter(([, value]) => typeof value === "string" && value.trim() !== "")
        .map(([name]) => name)
        .join(","),
    ),
);

const ENVIRONMENT: Record<RouteDefinition["audience"], Record<string, $util.Input<string>>> = {
  api: {
    META_TIMEOUT_MS: String(GRAPH_TIMEOUT_MS),
    // The stage's per-tenant limits: calls to Meta, and /v1 reads (infra/stage-settings.ts).
    TENANT_META_LIMIT_PER_MINUTE: String(TENANT_META_LIMIT_PER_MINUTE[stageKind($app.stage)]),
    TENANT_READ_LIMIT_PER_MINUTE: String(TENANT_READ_LIMIT_PER_MINUTE[stageKind($app.stage)]),
  },
  meta: {},
  // What GET /health reports: the version and commit this deploy was built from, and which
  // required secrets are set (their names).
  operator: {
    SERVICE_VERSION: build.version,
    SERVICE_COMMIT: build.commit,
    REQUIRED_SECRETS_SET: requiredSecretsSet,
  },
  // The console's function reads nothing but its files (infra/console.ts).
  console: {},
};

/**
 * The access log line: SST's default fields except the request path. Graph clients may send their
 * key as `?access_token=`, and AWS does not promise that `$context.path` leaves the query string
 * out, so the line names the route template instead (no path parameter or query string at all);
 * the phone number id of a request is in its function's logs, under the same request id.
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestTime: "$context.requestTime",
  requestId: "$context.requestId",
  httpMethod: "$context.httpMethod",
  routeKey: "$context.routeKey",
  status: "$context.status",
  responseLatency: "$context.responseLatency",
  integrationRequestId: "$context.integration.requestId",
  integrationStatus: "$context.integration.status",
  integrationLatency: "$context.integration.latency",
  integrationServiceStatus: "$context.integration.integrationStatus",
  ip: "$context.identity.sourceIp",
  userAgent: "$context.identity.userAgent",
});

export const api = new sst.aws.ApiGatewayV2("Api", {
  // Server-to-server callers (API consumers' backends, Meta), and the console, which is served
  // from this same origin (infra/console.ts): no browser needs CORS.
  cors: false,
  accessLog: { retention: LOG_RETENTION },
  transform: {
    // A callback, not an object: an object would replace SST's accessLogSettings (and its log group).
    stage: (args) => {
      args.defaultRouteSettings = { ...THROTTLING, ...ROUTE_METRICS };
      args.accessLogSettings = $util.output(args.accessLogSettings).apply((settings) => {
        if (!settings) throw new Error("SST no longer sets the API's access log settings (infra/api.ts)");
        return { ...settings, format: ACCESS_LOG_FORMAT };
      });
    },
  },
});

/** Routes grouped by the function that serves them, in route-table order. */
function routesByFunction(): Map<string, RouteDefinition[]> {
  const groups = new Map<string, RouteDefinition[]>();
  for (const route of routes) {
    const group = groups.get(route.functionName) ?? [];
    const first = group[0];
    if (
      first &&
      (first.handler !== route.handler ||
        first.audience !== route.audience ||
        JSON.stringify(first.access) !== JSON.stringify(route.access))
    ) {
      throw new Error(`routes of function ${route.functionName} disagree on handler, audience or access`);
    }
    groups.set(route.functionName, [...group, route]);
  }
  return groups;
}

type FunctionSpec = Pick<RouteDefinition, "handler" | "audience" | "access">;

function functionArgs(route: FunctionSpec, description: string): sst.aws.FunctionArgs {
  return {
    ...lambdaArgs({
      handler: route.handler,
      description,
      sizing: FUNCTION_SIZING[route.audience],
      access: route.access,
      environment: {
        ...ENVIRONMENT[route.audience],
        // The base of the /v1 paging links: the API's own URL (a custom domain's when it has one),
        // never a request's Host header (functions/core/tenant-api/paging.ts).
        ...(route.audience === "api" ? { API_BASE_URL: api.url } : {}),
      },
    }),
    // The console's function ships the console's built files beside its bundle.
    ...(route.audience === "console" ? consoleFunctionArgs() : {}),
  };
}

export const functions: Record<string, sst.aws.Function> = {};
for (const [name, served] of routesByFunction()) {
  // A function of its own, routed by ARN, so routes that share a functionName share one Lambda.
  const [first] = served;
  if (!first) throw new Error(`function ${name} serves no route`);
  const description = `${served.map((r) => r.method).join(", ")} ${[...new Set(served.map((r) => r.path))].join(" ")}`;
  const fn = new sst.aws.Function(name, functionArgs(first, description));
  functions[name] = fn;
  for (const route of served) {
    api.route(`${route.method} ${route.path}`, fn.arn);
    // An HTTP API does not answer HEAD with a GET route: every GET route has its HEAD route to
    // the same function, which answers the GET's status and headers without the body
    // (functions/core/http/http-handler.ts), for monitors and clients that probe with HEAD.
    if (route.method === "GET") api.route(`HEAD ${route.path}`, fn.arn);
  }
}

// Anything no route matches gets a Graph-style 404 from our own function, not API Gateway's.
const notFound = new sst.aws.Function(
  fallbackRoute.functionName,
  functionArgs(fallbackRoute, "any request no other route matches: Graph-style 404"),
);
functions[fallbackRoute.functionName] = notFound;
api.route(fallbackRoute.routeKey, notFound.arn);

const webhookPaths = [...new Set(routes.filter((r) => r.audience === "meta").map((r) => r.path))];
if (webhookPaths.length !== 1) throw new Error("the route table must have exactly one webhook path");

/** What to enter as the Callback URL in Meta's App Dashboard. */
export const webhookUrl = $interpolate`${api.url}${webhookPaths[0]}`;
