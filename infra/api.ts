/**
 * The HTTP API: one route per entry of the route table (infra/routes.ts), one Lambda per
 * `functionName` (the webhook's GET and POST share one), each linked only to what it reads.
 * Memory and timeouts live in infra/function-sizing.ts (the local gateway applies the same
 * timeouts); all figures are argued in docs/deploy.md ("Sizing and limits").
 */
import { FUNCTION_SIZING } from "./function-sizing.ts";
import { fallbackRoute, type RouteDefinition, routes } from "./routes.ts";
import {
  metaAppSecret,
  metaAppSecretPrevious,
  metaVerifyToken,
  tokenEncryptionKey,
  tokenEncryptionKeyPrevious,
} from "./secrets.ts";
import { table } from "./storage.ts";

const production = $app.stage === "production";

/** Function and access logs: long enough to investigate an incident in production, short elsewhere. */
export const LOG_RETENTION: SstRetention = production ? "3 months" : "1 week";

/**
 * Per-route limits of the stage (API Gateway applies the default to each route): far above
 * human-paced username changes and Meta's webhook deliveries, far below the account's regional
 * 10,000 rps, so a runaway client gets 429s instead of exhausting Lambda concurrency.
 */
const THROTTLING = { throttlingRateLimit: 100, throttlingBurstLimit: 200 };

/**
 * The Graph call's whole budget, retries included (functions/core/graph/client.ts). The username
 * functions' timeout leaves room after it for the key lookup and the state writes, and stays
 * under API Gateway's 30 s integration cap so the client always gets our own error envelope.
 */
const GRAPH_TIMEOUT_MS = 10_000;

const ENVIRONMENT: Record<RouteDefinition["audience"], Record<string, string>> = {
  api: { META_TIMEOUT_MS: String(GRAPH_TIMEOUT_MS) },
  meta: {},
};

const linkable = {
  Table: table,
  TokenEncryptionKey: tokenEncryptionKey,
  TokenEncryptionKeyPrevious: tokenEncryptionKeyPrevious,
  MetaAppSecret: metaAppSecret,
  MetaAppSecretPrevious: metaAppSecretPrevious,
  MetaVerifyToken: metaVerifyToken,
} satisfies Record<RouteDefinition["links"][number], SstLinkable>;

export const api = new sst.aws.ApiGatewayV2("Api", {
  // Server-to-server callers only (API consumers' backends, Meta): no browser needs CORS.
  cors: false,
  accessLog: { retention: LOG_RETENTION },
  transform: { stage: { defaultRouteSettings: THROTTLING } },
});

/** Routes grouped by the function that serves them, in route-table order. */
function routesByFunction(): Map<string, RouteDefinition[]> {
  const groups = new Map<string, RouteDefinition[]>();
  for (const route of routes) {
    const group = groups.get(route.functionName) ?? [];
    const first = group[0];
    if (
      first &&
      (first.handler !== route.handler || first.audience !== route.audience || !sameLinks(first, route))
    ) {
      throw new Error(`routes of function ${route.functionName} disagree on handler, audience or links`);
    }
    groups.set(route.functionName, [...group, route]);
  }
  return groups;
}

function sameLinks(a: RouteDefinition, b: RouteDefinition): boolean {
  return a.links.length === b.links.length && a.links.every((link) => b.links.includes(link));
}

type FunctionSpec = Pick<RouteDefinition, "handler" | "audience" | "links">;

function functionArgs(route: FunctionSpec, description: string): SstFunctionArgs {
  return {
    // SST's handler syntax: the file without its extension, then the export.
    handler: `${route.handler.replace(/\.ts$/, "")}.handler`,
    description,
    runtime: "nodejs24.x",
    architecture: "arm64",
    ...FUNCTION_SIZING[route.audience],
    logging: { format: "json", retention: LOG_RETENTION },
    link: route.links.map((link) => linkable[link]),
    environment: ENVIRONMENT[route.audience],
  };
}

export const functions: Record<string, SstFunction> = {};
for (const [name, served] of routesByFunction()) {
  // A function of its own, routed by ARN, so routes that share a functionName share one Lambda.
  const [first] = served;
  if (!first) throw new Error(`function ${name} serves no route`);
  const description = `${served.map((r) => r.method).join(", ")} ${[...new Set(served.map((r) => r.path))].join(" ")}`;
  const fn = new sst.aws.Function(name, functionArgs(first, description));
  functions[name] = fn;
  for (const route of served) api.route(`${route.method} ${route.path}`, fn.arn);
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
