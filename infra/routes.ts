/**
 * THE route table: `infra/api.ts` turns it into API Gateway routes and Lambdas, the local
 * gateway (`dev/`) serves it, and the OpenAPI document describes it. Plain data, no SST import.
 */
export interface RouteDefinition {
  method: "GET" | "POST" | "DELETE";
  /** API Gateway path syntax: `{name}` is a path parameter. */
  path: string;
  /** Entry point, relative to the repository root; it exports `handler`. */
  handler: string;
  /** Logical name of the function (SST component name). */
  functionName: string;
  /** Which resources the function is linked to: least privilege. */
  links: ReadonlyArray<
    | "Table"
    | "TokenEncryptionKey"
    | "TokenEncryptionKeyPrevious"
    | "MetaAppSecret"
    | "MetaAppSecretPrevious"
    | "MetaVerifyToken"
  >;
  /** Who calls it. */
  audience: "api" | "meta";
}

const USERNAME_LINKS = ["Table", "TokenEncryptionKey", "TokenEncryptionKeyPrevious"] as const;
const WEBHOOK_LINKS = ["Table", "MetaAppSecret", "MetaAppSecretPrevious", "MetaVerifyToken"] as const;
/** The tenant read API answers from the table alone: no token, no Meta. */
const READ_LINKS = ["Table"] as const;

export const routes: readonly RouteDefinition[] = [
  {
    method: "GET",
    path: "/meta/whatsapp/{version}/{phone_number_id}/username",
    handler: "functions/username/get-username.ts",
    functionName: "GetUsername",
    links: USERNAME_LINKS,
    audience: "api",
  },
  {
    method: "GET",
    path: "/meta/whatsapp/{version}/{phone_number_id}/username_suggestions",
    handler: "functions/username/get-username-suggestions.ts",
    functionName: "GetUsernameSuggestions",
    links: USERNAME_LINKS,
    audience: "api",
  },
  {
    method: "POST",
    path: "/meta/whatsapp/{version}/{phone_number_id}/username",
    handler: "functions/username/claim-username.ts",
    functionName: "ClaimUsername",
    links: USERNAME_LINKS,
    audience: "api",
  },
  {
    method: "DELETE",
    path: "/meta/whatsapp/{version}/{phone_number_id}/username",
    handler: "functions/username/delete-username.ts",
    functionName: "DeleteUsername",
    links: USERNAME_LINKS,
    audience: "api",
  },
  {
    method: "GET",
    path: "/meta/whatsapp/webhook",
    handler: "functions/webhook/meta-webhook.ts",
    functionName: "MetaWebhook",
    links: WEBHOOK_LINKS,
    audience: "meta",
  },
  {
    method: "POST",
    path: "/meta/whatsapp/webhook",
    handler: "functions/webhook/meta-webhook.ts",
    functionName: "MetaWebhook",
    links: WEBHOOK_LINKS,
    audience: "meta",
  },
  {
    method: "GET",
    path: "/v1/phone_numbers",
    handler: "functions/v1/list-phone-numbers.ts",
    functionName: "ListPhoneNumbers",
    links: READ_LINKS,
    audience: "api",
  },
  {
    method: "GET",
    path: "/v1/phone_numbers/{phone_number_id}",
    handler: "functions/v1/get-phone-number.ts",
    functionName: "GetPhoneNumber",
    links: READ_LINKS,
    audience: "api",
  },
  {
    method: "GET",
    path: "/v1/phone_numbers/{phone_number_id}/username_history",
    handler: "functions/v1/list-username-history.ts",
    functionName: "ListUsernameHistory",
    links: READ_LINKS,
    audience: "api",
  },
  {
    method: "GET",
    path: "/v1/username_changes",
    handler: "functions/v1/list-username-changes.ts",
    functionName: "ListUsernameChanges",
    links: READ_LINKS,
    audience: "api",
  },
];

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
  links: [] as RouteDefinition["links"],
  audience: "api",
} as const satisfies Pick<RouteDefinition, "handler" | "functionName" | "links" | "audience"> & {
  routeKey: "$default";
};
