/**
 * The console's API client: openapi-fetch over the types generated from docs/openapi.json
 * (./openapi.d.ts, `npm run console:api`), so every path, parameter and answer is checked by the
 * compiler against the HTTP contract. The key goes in the `X-API-Key` header of every request,
 * never in a URL. Failed answers become `ApiError`s (./errors.ts).
 *
 * Pages call the operations below, one per route they use; a route a page needs later is one more
 * operation here, through `client` (typed as soon as `npm run openapi` has regenerated the types)
 * and `unwrap`, exactly as these do.
 */
import createClient, { type Client } from "openapi-fetch";
import { ApiError, apiErrorOf, networkError } from "./errors.ts";
import type { components, paths } from "./openapi.d.ts";

/** A number of the tenant and its recorded username state (GET /v1/phone_numbers). */
export type PhoneNumber = components["schemas"]["PhoneNumber"];
/** A page of numbers, in Graph's paging envelope. */
export type PhoneNumberPage = components["schemas"]["PhoneNumberPage"];
/** One change of a number's username state (history, feed and webhooks alike). */
export type UsernameChangeEvent = components["schemas"]["UsernameChangeEvent"];
/** A page of changes, in Graph's paging envelope. */
export type UsernameChangePage = components["schemas"]["UsernameChangePage"];

/** A webhook endpoint of the tenant: never its secret (GET /v1/webhook_endpoints). */
export type WebhookEndpoint = components["schemas"]["WebhookEndpoint"];
/** What adding an endpoint sends (POST /v1/webhook_endpoints). */
export type NewWebhookEndpoint = components["schemas"]["CreateWebhookEndpointRequest"];
/** What changing an endpoint sends (POST /v1/webhook_endpoints/{id}): its event types, its description. */
export type WebhookEndpointChange = components["schemas"]["UpdateWebhookEndpointRequest"];
/** What an endpoint may receive: `username.updated` (every change), `username.changed_outside`. */
export type WebhookEventType = WebhookEndpoint["event_types"][number];
/** The endpoint just added, with its signing secret: the only answer that carries it. */
export type CreatedWebhookEndpoint = components["schemas"]["CreatedWebhookEndpoint"];
/** The endpoint after a rotation, its new secret (shown this once) and until when the previous one verifies. */
export type RotatedWebhookEndpoint = components["schemas"]["RotatedWebhookEndpoint"];
/** One event of the tenant's feed and its delivery to one endpoint (the endpoint's delivery log). */
export type WebhookDelivery = components["schemas"]["WebhookDelivery"];
/** An API key of the tenant: never the key itself (GET /v1/api_keys). */
export type ApiKey = components["schemas"]["ApiKey"];
/** The key just made, with the key itself: the only answer that carries it. */
export type CreatedApiKey = components["schemas"]["CreatedApiKey"];

/**
 * A change's data: its username state, what made it (`source`), who (`origin`) and, for a request
 * through this service, the id of the key that asked (`requested_by`).
 */
export type UsernameChangeData = UsernameChangeEvent["data"];

/** The Graph API version the console speaks through the proxy (the version Meta documents usernames in). */
export const GRAPH_VERSION = "v24.0";

/** Where a list page starts: the first page, or one side of a cursor of the same listing. */
export type PageCursor = { after: string } | { before: string } | undefined;

/** Graph's paging envelope, as every list of the tenant API answers it. */
export interface Page<T> {
  data: T[];
  paging: { cursors: { before?: string; after?: string }; next?: string; previous?: string };
}

/** What `fetch`-based results look like from openapi-fetch. */
type FetchResult<T> = Promise<{ data?: T; error?: unknown; response: Response }>;

/** The contract's path each answer came from (set by the client's middleware), for its `ApiError`. */
const answeredRoute = new WeakMap<Response, string>();

/** The data of a successful answer, or the `ApiError` of a failed one (or of no answer). */
export async function unwrap<T>(request: FetchResult<T>): Promise<T> {
  let result: Awaited<FetchResult<T>>;
  try {
    result = await request;
  } catch (cause) {
    throw cause instanceof ApiError ? cause : networkError(cause);
  }
  if (!result.response.ok) {
    throw apiErrorOf(result.response, result.error, answeredRoute.get(result.response));
  }
  return result.data as T;
}

/** The calls the console makes; each resolves to the answer's data or rejects with an `ApiError`. */
export interface ConsoleApi {
  /** The typed openapi-fetch client, the key already in its headers: for a call no operation below makes. */
  client: Client<paths>;
  listPhoneNumbers(cursor?: PageCursor, limit?: number): Promise<Page<PhoneNumber>>;
  getPhoneNumber(id: string): Promise<PhoneNumber>;
  listUsernameHistory(id: string, cursor?: PageCursor, limit?: number): Promise<Page<UsernameChangeEvent>>;
  /** POST …/username: Meta's answer, `{ status }` (`reserved` or `approved`). */
  claimUsername(
    id: string,
    username: string,
    transferAction: "none" | "force_transfer",
  ): Promise<{ status?: string }>;
  /** DELETE …/username: whether Meta removed a name. */
  deleteUsername(id: string): Promise<boolean>;
  /** Meta's suggested names for the number, flattened. */
  usernameSuggestions(id: string): Promise<string[]>;

  /** The tenant's webhook endpoints, oldest first. */
  listWebhookEndpoints(cursor?: PageCursor, limit?: number): Promise<Page<WebhookEndpoint>>;
  getWebhookEndpoint(id: string): Promise<WebhookEndpoint>;
  /** Adds an endpoint; the answer's `secret` is the only time the secret is shown. */
  createWebhookEndpoint(endpoint: NewWebhookEndpoint): Promise<CreatedWebhookEndpoint>;
  /** Changes what the endpoint receives (`event_types`) or its description; answers it as it is now. */
  updateWebhookEndpoint(id: string, change: WebhookEndpointChange): Promise<WebhookEndpoint>;
  /** Removes an endpoint: whether the service said it did. */
  deleteWebhookEndpoint(id: string): Promise<boolean>;
  /**
   * A new signing secret; `overlapSeconds` is how long the previous one keeps verifying (absent:
   * the service's default, 24 h; 0: it stops at once).
   */
  rotateWebhookEndpointSecret(id: string, overlapSeconds?: number): Promise<RotatedWebhookEndpoint>;
  /** The endpoint's delivery log, newest first: `after` pages towards older events. */
  listWebhookDeliveries(id: string, cursor?: PageCursor, limit?: number): Promise<Page<WebhookDelivery>>;
  /** Sends the event to the endpoint again (a new round, the same `webhook-id`): whether it was scheduled. */
  redeliverWebhookEvent(id: string, eventId: string): Promise<boolean>;

  /** The tenant's API keys, active and revoked, by id. */
  listApiKeys(cursor?: PageCursor, limit?: number): Promise<Page<ApiKey>>;
  /** Makes a key; the answer's `key` is the only time the key is shown. */
  createApiKey(name?: string): Promise<CreatedApiKey>;
  /** Revokes a key: whether the service said it did. */
  revokeApiKey(id: string): Promise<boolean>;
}

export interface ApiOptions {
  /** The service's origin (default: the page's own, as the console is served by the API itself). */
  baseUrl?: string;
  /** For tests: the fetch to send with. */
  fetch?: typeof globalThis.fetch;
}

function pageQuery(cursor: PageCursor, limit: number) {
  return { limit, ...(cursor ?? {}) };
}

/** A client that sends `apiKey` with every request. */
export function createConsoleApi(apiKey: string, options: ApiOptions = {}): ConsoleApi {
  const client = createClient<paths>({
    baseUrl: options.baseUrl ?? (globalThis as { location?: { origin: string } }).location?.origin ?? "",
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  client.use({
    onRequest({ request }) {
      request.headers.set("X-API-Key", apiKey);
      return request;
    },
    onResponse({ response, schemaPath }) {
      answeredRoute.set(response, schemaPath);
    },
  });
  const number = (id: string) => ({ version: GRAPH_VERSION, phone_number_id: id });
  return {
    client,
    listPhoneNumbers: (cursor, limit = 25) =>
      unwrap(client.GET("/v1/phone_numbers", { params: { query: pageQuery(cursor, limit) } })),
    getPhoneNumber: (id) =>
      unwrap(
        client.GET("/v1/phone_numbers/{phone_number_id}", { params: { path: { phone_number_id: id } } }),
      ),
    listUsernameHistory: (id, cursor, limit = 10) =>
      unwrap(
        client.GET("/v1/phone_numbers/{phone_number_id}/username_history", {
          params: { path: { phone_number_id: id }, query: pageQuery(cursor, limit) },
        }),
      ),
    claimUsername: async (id, username, transferAction) => {
      // The document's POST answers a claim, a `method=delete` or a `method=get`: a claim (no
      // `method`) is answered `{ status }`.
      const answer = await unwrap(
        client.POST("/meta/whatsapp/{version}/{phone_number_id}/username", {
          params: { path: number(id) },
          body: { username, transfer_action: transferAction },
        }),
      );
      return { ...(typeof answer.status === "string" ? { status: answer.status } : {}) };
    },
    deleteUsername: async (id) => {
      const answer = await unwrap(
        client.DELETE("/meta/whatsapp/{version}/{phone_number_id}/username", {
          params: { path: number(id) },
        }),
      );
      return answer?.success === true;
    },
    usernameSuggestions: async (id) => {
      const answer = await unwrap(
        client.GET("/meta/whatsapp/{version}/{phone_number_id}/username_suggestions", {
          params: { path: number(id) },
        }),
      );
      return (answer?.data ?? []).flatMap((entry) => entry.username_suggestions ?? []);
    },

    listWebhookEndpoints: (cursor, limit = 25) =>
      unwrap(client.GET("/v1/webhook_endpoints", { params: { query: pageQuery(cursor, limit) } })),
    getWebhookEndpoint: (id) =>
      unwrap(client.GET("/v1/webhook_endpoints/{id}", { params: { path: { id } } })),
    createWebhookEndpoint: (endpoint) => unwrap(client.POST("/v1/webhook_endpoints", { body: endpoint })),
    updateWebhookEndpoint: (id, change) =>
      unwrap(client.POST("/v1/webhook_endpoints/{id}", { params: { path: { id } }, body: change })),
    deleteWebhookEndpoint: async (id) => {
      const answer = await unwrap(client.DELETE("/v1/webhook_endpoints/{id}", { params: { path: { id } } }));
      return answer?.success === true;
    },
    rotateWebhookEndpointSecret: (id, overlapSeconds) =>
      unwrap(
        client.POST("/v1/webhook_endpoints/{id}/rotate_secret", {
          params: { path: { id } },
          // An empty object leaves the overlap to the service (24 h): the console states no default of its own.
          body: overlapSeconds === undefined ? {} : { overlap_seconds: overlapSeconds },
        }),
      ),
    listWebhookDeliveries: (id, cursor, limit = 10) =>
      unwrap(
        client.GET("/v1/webhook_endpoints/{id}/deliveries", {
          params: { path: { id }, query: pageQuery(cursor, limit) },
        }),
      ),
    redeliverWebhookEvent: async (id, eventId) => {
      const answer = await unwrap(
        client.POST("/v1/webhook_endpoints/{id}/deliveries/{event_id}/redeliver", {
          params: { path: { id, event_id: eventId } },
        }),
      );
      return answer?.success === true;
    },

    listApiKeys: (cursor, limit = 25) =>
      unwrap(client.GET("/v1/api_keys", { params: { query: pageQuery(cursor, limit) } })),
    createApiKey: (name) => unwrap(client.POST("/v1/api_keys", { body: name === undefined ? {} : { name } })),
    revokeApiKey: async (id) => {
      const answer = await unwrap(client.DELETE("/v1/api_keys/{id}", { params: { path: { id } } }));
      return answer?.success === true;
    },
  };
}
