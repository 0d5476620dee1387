/**
 * THE route table: `infra/api.ts` turns it into API Gateway routes and Lambdas, the local
 * gateway (`dev/`) serves it, and the OpenAPI document describes it. Plain data, no SST import.
 */
import { type FunctionAccess, tenantApiAccess } from "./function-access.ts";

export interface RouteDefinition {
  method: "GET" | "POST" | "DELETE";
  /** API Gateway path syntax: `{name}` is a path parameter. */
  path: string;
  /** Entry point, relative to the repository root; it exports `handler`. */
  handler: string;
  /** Logical name of the function (SST component name). */
  functionName: string;
  /**
   * What the function may touch (infra/function-access.ts): routes of one function declare the
   * same access.
   */
  access: FunctionAccess;
  /**
   * Who calls it: tenants' backends (API keys), Meta (signed), operators and monitors (no auth),
   * or tenants' browsers loading the console's page and files (no auth: the page holds no data).
   */
  audience: "api" | "meta" | "operator" | "console";
}

const USERNAME_SECRETS = ["TokenEncryptionKey", "TokenEncryptionKeyPrevious"] as const;

/** The API key with the phone number in one BatchGetItem, or the number alone (GetItem) for a cached key. */
const READ_KEY_AND_NUMBER = ["BatchGetItem", "GetItem"] as const;

/**
 * POST and DELETE (store/username-changes.ts, store/intents.ts): the number's turn (a ticket and
 * the lease: UpdateItem; the line read while waiting: BatchGetItem), then one TransactWriteItems
 * that updates the number, puts the history item and holder markers, deletes the old marker and
 * ends the lease (authorized as UpdateItem, PutItem, DeleteItem); after a lost race, GetItem.
 * They also count the tenant's write (UpdateItem) and hold the Idempotency-Key's record
 * (PutItem, then UpdateItem or DeleteItem): no further action.
 */
const RECORDS_STATE: FunctionAccess = {
  table: { actions: [...READ_KEY_AND_NUMBER, "UpdateItem", "PutItem", "DeleteItem"] },
  secrets: USERNAME_SECRETS,
};

/**
 * GET username records Meta's answer only while no POST or DELETE holds the number: its
 * transaction checks the intent (ConditionCheckItem).
 */
const RECORDS_READ_STATE: FunctionAccess = {
  table: { actions: [...READ_KEY_AND_NUMBER, "UpdateItem", "PutItem", "DeleteItem", "ConditionCheckItem"] },
  secrets: USERNAME_SECRETS,
};

/**
 * Meta's deliveries (store/phones.ts, store/username-change-batches.ts): numbers found by
 * BatchGetItem of their lookup items and records; state written in TransactWriteItems that also
 * check the de-duplication markers (ConditionCheckItem); the one-change path's GetItem and
 * UpdateItem. No index.
 */
const WEBHOOK_ACCESS: FunctionAccess = {
  table: {
    actions: ["BatchGetItem", "GetItem", "UpdateItem", "PutItem", "DeleteItem", "ConditionCheckItem"],
  },
  secrets: ["MetaAppSecret", "MetaAppSecretPrevious", "MetaVerifyToken"],
};

/**
 * The tenant read API (/v1) answers from the table alone: the API key (GetItem), one Query per
 * page. Every /v1 route's access is wrapped in tenantApiAccess: it also counts the request
 * against the tenant's read limit (UpdateItem of its counter, `READLIMIT#<t>` only).
 */
const readAccess = (queries?: readonly ["byTenant"]): FunctionAccess =>
  tenantApiAccess({
    table: {
      actions: ["GetItem", ...(queries ? [] : (["Query"] as const))],
      ...(queries ? { queries } : {}),
    },
  });

export const routes: readonly RouteDefinition[] = [
  {
    method: "GET",
    path: "/meta/whatsapp/{version}/{phone_number_id}/username",
    handler: "functions/username-api/get-username.ts",
    functionName: "GetUsername",
    // Records the state Meta reports, when no change holds the number.
    access: RECORDS_READ_STATE,
    audience: "api",
  },
  {
    method: "GET",
    path: "/meta/whatsapp/{version}/{phone_number_id}/username_suggestions",
    handler: "functions/username-api/get-username-suggestions.ts",
    functionName: "GetUsernameSuggestions",
    // Stores nothing.
    access: { table: { actions: READ_KEY_AND_NUMBER }, secrets: USERNAME_SECRETS },
    audience: "api",
  },
  {
    method: "POST",
    path: "/meta/whatsapp/{version}/{phone_number_id}/username",
    handler: "functions/username-api/claim-username.ts",
    functionName: "ClaimUsername",
    // `method=get` runs the GET's read, which records Meta's state like GET does.
    access: RECORDS_READ_STATE,
    audience: "api",
  },
  {
    method: "DELETE",
    path: "/meta/whatsapp/{version}/{phone_number_id}/username",
    handler: "functions/username-api/delete-username.ts",
    functionName: "DeleteUsername",
    access: RECORDS_STATE,
    audience: "api",
  },
  {
    method: "GET",
    path: "/meta/whatsapp/webhook",
    handler: "functions/meta-webhook/meta-webhook.ts",
    functionName: "MetaWebhook",
    access: WEBHOOK_ACCESS,
    audience: "meta",
  },
  {
    method: "POST",
    path: "/meta/whatsapp/webhook",
    handler: "functions/meta-webhook/meta-webhook.ts",
    functionName: "MetaWebhook",
    access: WEBHOOK_ACCESS,
    audience: "meta",
  },
  {
    method: "GET",
    path: "/v1/phone_numbers",
    handler: "functions/v1/list-phone-numbers.ts",
    functionName: "ListPhoneNumbers",
    // The tenant's numbers: Query on byTenant.
    access: readAccess(["byTenant"]),
    audience: "api",
  },
  {
    method: "GET",
    path: "/v1/phone_numbers/{phone_number_id}",
    handler: "functions/v1/get-phone-number.ts",
    functionName: "GetPhoneNumber",
    access: tenantApiAccess({ table: { actions: ["GetItem"] } }),
    audience: "api",
  },
  {
    method: "GET",
    path: "/v1/phone_numbers/{phone_number_id}/username_history",
    handler: "functions/v1/list-username-history.ts",
    functionName: "ListUsernameHistory",
    // The number (GetItem) and its history items (Query on the table).
    access: readAccess(),
    audience: "api",
  },
  {
    method: "GET",
    path: "/v1/username_changes",
    handler: "functions/v1/list-username-changes.ts",
    functionName: "ListUsernameChanges",
    // The tenant's feed partition (Query on the table).
    access: readAccess(),
    audience: "api",
  },
  // --- Self-service under /v1: the tenant's webhook endpoints and API keys (issue 20) -------
  // Reads as the read routes have them; every write only on the kind of item it writes
  // (`scoped`: IAM's dynamodb:LeadingKeys on store/keys.ts's partition keys). Another tenant's
  // endpoint or key is read by the caller's own key (ENDPOINTS#<t>, APIKEYS#<t>): no other read.
  {
    method: "POST",
    path: "/v1/webhook_endpoints",
    handler: "functions/v1/create-webhook-endpoint.ts",
    functionName: "CreateWebhookEndpoint",
    // The tenant's endpoints and their list's version (Query: the limit), the new one and its id
    // pointer with the version moved on (one transaction: two puts, an update), read back
    // (GetItem); the secret sealed with the token key.
    access: tenantApiAccess({
      table: {
        actions: ["GetItem", "Query"],
        scoped: [
          { actions: ["PutItem"], partitionKeys: ["ENDPOINTS#*", "ENDPOINTID#*"] },
          { actions: ["UpdateItem"], partitionKeys: ["ENDPOINTS#*"] },
        ],
      },
      secrets: ["TokenEncryptionKey"],
    }),
    audience: "api",
  },
  {
    method: "GET",
    path: "/v1/webhook_endpoints",
    handler: "functions/v1/list-webhook-endpoints.ts",
    functionName: "ListWebhookEndpoints",
    // The tenant's endpoint partition (one Query).
    access: tenantApiAccess({ table: { actions: ["GetItem", "Query"] } }),
    audience: "api",
  },
  {
    method: "GET",
    path: "/v1/webhook_endpoints/{id}",
    handler: "functions/v1/get-webhook-endpoint.ts",
    functionName: "GetWebhookEndpoint",
    access: tenantApiAccess({ table: { actions: ["GetItem"] } }),
    audience: "api",
  },
  {
    method: "POST",
    path: "/v1/webhook_endpoints/{id}",
    handler: "functions/v1/update-webhook-endpoint.ts",
    functionName: "UpdateWebhookEndpoint",
    // The API key and the endpoint (GetItem, keyed by the caller's tenant: another tenant's
    // endpoint is not there), then its event types and description (UpdateItem of that item).
    access: tenantApiAccess({
      table: { actions: ["GetItem"], scoped: [{ actions: ["UpdateItem"], partitionKeys: ["ENDPOINTS#*"] }] },
    }),
    audience: "api",
  },
  {
    method: "DELETE",
    path: "/v1/webhook_endpoints/{id}",
    handler: "functions/v1/delete-webhook-endpoint.ts",
    functionName: "DeleteWebhookEndpoint",
    // The endpoint (GetItem, by tenant, then by its id pointer), then both deleted.
    access: tenantApiAccess({
      table: {
        actions: ["GetItem"],
        scoped: [{ actions: ["DeleteItem"], partitionKeys: ["ENDPOINTS#*", "ENDPOINTID#*"] }],
      },
    }),
    audience: "api",
  },
  {
    method: "POST",
    path: "/v1/webhook_endpoints/{id}/rotate_secret",
    handler: "functions/v1/rotate-webhook-endpoint-secret.ts",
    functionName: "RotateWebhookEndpointSecret",
    // The endpoint (GetItem), its new sealed secret (UpdateItem of the endpoint item).
    access: tenantApiAccess({
      table: { actions: ["GetItem"], scoped: [{ actions: ["UpdateItem"], partitionKeys: ["ENDPOINTS#*"] }] },
      secrets: ["TokenEncryptionKey"],
    }),
    audience: "api",
  },
  {
    method: "GET",
    path: "/v1/webhook_endpoints/{id}/deliveries",
    handler: "functions/v1/list-webhook-deliveries.ts",
    functionName: "ListWebhookDeliveries",
    // The endpoint (GetItem), a page of the feed (Query), its deliveries (BatchGetItem).
    access: tenantApiAccess({ table: { actions: ["GetItem", "Query", "BatchGetItem"] } }),
    audience: "api",
  },
  {
    method: "POST",
    path: "/v1/webhook_endpoints/{id}/deliveries/{event_id}/redeliver",
    handler: "functions/v1/redeliver-webhook-event.ts",
    functionName: "RedeliverWebhookEvent",
    // The endpoint and the event (GetItem each), the delivery's new round (UpdateItem).
    access: tenantApiAccess({
      table: { actions: ["GetItem"], scoped: [{ actions: ["UpdateItem"], partitionKeys: ["DELIVERY#*"] }] },
    }),
    audience: "api",
  },
  {
    method: "GET",
    path: "/v1/api_keys",
    handler: "functions/v1/list-api-keys.ts",
    functionName: "ListApiKeys",
    // The tenant's key index (Query); once per tenant, keys older than the index are indexed from
    // byTenant (Query) into it (PutItem).
    access: tenantApiAccess({
      table: {
        actions: ["GetItem", "Query"],
        queries: ["byTenant"],
        scoped: [{ actions: ["PutItem"], partitionKeys: ["APIKEYS#*"] }],
      },
    }),
    audience: "api",
  },
  {
    method: "POST",
    path: "/v1/api_keys",
    handler: "functions/v1/create-api-key.ts",
    functionName: "CreateApiKey",
    // The tenant's key index (Query: the limit; indexing older keys as ListApiKeys does), then the
    // key's record, id pointer and index entry with the index's list version moved on (one
    // transaction: three puts, and an update of APIKEYS#<t>, which every /v1 function may update
    // to record a key's use).
    access: tenantApiAccess({
      table: {
        actions: ["GetItem", "Query"],
        queries: ["byTenant"],
        scoped: [{ actions: ["PutItem"], partitionKeys: ["APIKEY#*", "APIKEYID#*", "APIKEYS#*"] }],
      },
    }),
    audience: "api",
  },
  {
    method: "DELETE",
    path: "/v1/api_keys/{id}",
    handler: "functions/v1/revoke-api-key.ts",
    functionName: "RevokeApiKey",
    // The key's entry with the index marker (BatchGetItem), the tenant's other keys (Query), then
    // one transaction: the record and entry revoked (UpdateItem), another key checked active
    // (ConditionCheckItem). Indexing older keys as ListApiKeys does.
    access: tenantApiAccess({
      table: {
        actions: ["GetItem", "BatchGetItem", "Query"],
        queries: ["byTenant"],
        scoped: [
          { actions: ["UpdateItem", "ConditionCheckItem"], partitionKeys: ["APIKEY#*", "APIKEYS#*"] },
          { actions: ["PutItem"], partitionKeys: ["APIKEYS#*"] },
        ],
      },
    }),
    audience: "api",
  },
  // --- end of self-service -----------------------------------------------------------------
  {
    method: "GET",
    path: "/health",
    handler: "functions/health/health.ts",
    functionName: "Health",
    // One GetItem of a key nothing writes (store/health-probe.ts). No secret: which required
    // secrets are set is resolved at deploy time (infra/api.ts, REQUIRED_SECRETS_SET).
    access: { table: { actions: ["GetItem"] } },
    audience: "operator",
  },
  // The tenant console (console/, docs/architecture.md "The console"): its page and its
  // content-hashed files, from one small function, on the API's own origin. No table, no secret:
  // the page is the same for everyone; what it shows comes from the routes above, with the key
  // the person signs in with. API Gateway routes `/console/` here as well (a trailing slash is not
  // part of route selection).
  {
    method: "GET",
    path: "/console",
    handler: "functions/console/serve-console.ts",
    functionName: "Console",
    access: {},
    audience: "console",
  },
  {
    method: "GET",
    path: "/console/assets/{asset}",
    handler: "functions/console/serve-console.ts",
    functionName: "Console",
    access: {},
    audience: "console",
  },
];

/**
 * A route's part of logical names (its alarms, infra/alarms.ts): its function and method
 * (`GetUsernameGet`, `MetaWebhookPost`), and, for a further route of the same function and
 * method, the literal path segments the function's first such route does not have
 * (`ConsoleGet` for `/console`, `ConsoleGetAssets` for `/console/assets/{asset}`).
 */
export function routeLogicalName(route: Pick<RouteDefinition, "functionName" | "method" | "path">): string {
  const base = `${route.functionName}${route.method[0]}${route.method.slice(1).toLowerCase()}`;
  const first = routes.find((r) => r.functionName === route.functionName && r.method === route.method);
  if (!first || first.path === route.path) return base;
  const known = new Set(first.path.split("/"));
  const extra = route.path
    .split("/")
    .filter((segment) => segment !== "" && !segment.startsWith("{") && !known.has(segment))
    .map((segment) => segment.replace(/(^|[_-])(\w)/g, (_, _sep: string, c: string) => c.toUpperCase()));
  return `${base}${extra.join("")}`;
}

/**
 * API Gateway's `$default` route: every request that no route above matches (an unknown path,
 * a method a path does not take). Without it API Gateway answers `{"message":"Not Found"}`
 * itself, which no Graph client can parse and which lacks our security headers. The local
 * gateway sends unmatched requests here too.
 */
export const fallbackRoute = {
  routeKey: "$default",
  handler: "functions/fallback/not-found.ts",
  functionName: "NotFound",
  // Touches nothing: no table, no secret.
  access: {} as FunctionAccess,
  audience: "api",
} as const satisfies Pick<RouteDefinition, "handler" | "functionName" | "access" | "audience"> & {
  routeKey: "$default";
};
