/**
 * What the document says about the tenant's self-service routes under `/v1` (webhook endpoints,
 * their delivery logs, API keys): operations, path parameters, schemas (generated from
 * functions/core/validation/self-service.ts) and their errors, with examples produced by the very
 * code that answers them. openapi/tenant-api.ts adds these to the tenant API's part.
 */
import {
  DEFAULT_API_KEYS_PER_TENANT,
  DEFAULT_WEBHOOK_ENDPOINTS_PER_TENANT,
} from "../functions/core/config.ts";
import { graphErrors } from "../functions/core/errors/graph-error.ts";
import {
  API_KEY_ID_PATTERN,
  ENDPOINT_ID_PATTERN,
  EVENT_ID_PATTERN,
} from "../functions/core/validation/self-service.ts";
import {
  createApiKeyBodySchema,
  createEndpointBodySchema,
  rotateSecretBodySchema,
  updateEndpointBodySchema,
} from "../functions/core/validation/self-service-bodies.ts";
import {
  apiKeySchema,
  createdApiKeySchema,
  createdWebhookEndpointSchema,
  rotatedWebhookEndpointSchema,
  successSchema,
  webhookDeliverySchema,
  webhookEndpointSchema,
} from "../functions/core/validation/self-service-views.ts";
import { PAGE_LIMIT_MAX, pageSchema, WEBHOOK_EVENT_TYPES } from "../functions/core/validation/tenant-api.ts";
import { describeProperties, type JsonSchema, jsonSchemaOf, propertiesOf } from "./json-schema.ts";
import type { OperationInfo } from "./operations.ts";
import { ref } from "./schemas.ts";

const EXAMPLE_TRACE_ID = "AbCdEf0123456789";
const json = (schema: unknown, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const error = (name: string) => ({ $ref: `#/components/responses/${name}` });
const SECURITY = [{ ApiKey: [] }, { BearerApiKey: [] }, { AccessToken: [] }];
const PAGING = [
  { $ref: "#/components/parameters/limit" },
  { $ref: "#/components/parameters/after" },
  { $ref: "#/components/parameters/before" },
];
/** The tenant API's tag (document.ts): the self-service routes are part of it. */
const TAG = "tenant API";

/** Every self-service route's errors (no Meta call). */
const ERRORS = {
  "400": error("SelfServiceBadRequest"),
  "401": error("Unauthorized"),
  "413": error("PayloadTooLarge"),
  // Every /v1 request counts against the tenant's limit (docs/reliability.md, "Fair share").
  "429": error("ReadRateLimited"),
  "503": error("ServiceUnavailable"),
  default: error("UnexpectedError"),
};

const requestBody = (schema: string, description: string, required = true) => ({
  required,
  description: `${description} A JSON object (as a form or in the query string too, as Graph takes parameters; the body wins). Unknown fields are ignored.`,
  content: { "application/json": { schema: ref(schema) } },
});

const ENDPOINT_EXAMPLE = {
  id: "ep_4f1c2a9e8b7d6c5e4f3a",
  url: "https://hooks.example.com/whatsapp-usernames",
  description: "orders service",
  created_time: "2026-12-02T09:15:00.000Z",
  event_types: ["username.updated"],
};
const SECRET_EXAMPLE = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw3nB1Q9TbXKs=";
const KEY_EXAMPLE = {
  id: "key_9a8b7c6d5e4f3a2b",
  name: "ci deploys",
  created_time: "2026-12-02T09:20:00.000Z",
  last_used_time: "2026-12-02T10:05:00.000Z",
  status: "active",
  current: true,
};

/** components.parameters for the self-service path ids: `{id}` (an endpoint's or a key's) and `{event_id}`. */
export function selfServiceParameters(): Record<string, unknown> {
  return {
    id: {
      name: "id",
      in: "path",
      required: true,
      description:
        "The object's id, as its listing shows it: `ep_…` for a webhook endpoint, `key_…` for an API key. Another " +
        "tenant's is answered exactly like an unknown one (400, code 33).",
      schema: {
        type: "string",
        pattern: `^(?:${ENDPOINT_ID_PATTERN.source.slice(1, -1)}|${API_KEY_ID_PATTERN.source.slice(1, -1)})$`,
      },
    },
    event_id: {
      name: "event_id",
      in: "path",
      required: true,
      description: "The event's id (`evt_…`), as the change feed, the delivery log and `webhook-id` show it.",
      schema: { type: "string", pattern: EVENT_ID_PATTERN.source },
    },
  };
}

/** The operations of the ten self-service routes, keyed "METHOD path" as infra/routes.ts has them. */
export const selfServiceOperations: Record<string, OperationInfo> = {
  "POST /v1/webhook_endpoints": {
    operationId: "createWebhookEndpoint",
    tags: [TAG],
    summary: "Add a webhook endpoint; its signing secret is in this answer only",
    description:
      "Every change of the tenant's numbers is POSTed to it from now on, signed per Standard Webhooks with the " +
      "secret answered here (`whsec_…`): store it now, it is never shown again (rotate it to get a new one). The " +
      "URL must be `https` to a host name or a public address (no loopback, private, link-local or CGNAT " +
      "literal; a local store also takes loopback over http), without credentials or a fragment, at most 2048 " +
      "characters; redirects are never followed. `event_types` chooses which changes it receives (default " +
      `\`username.updated\`, every change). A tenant has at most ${DEFAULT_WEBHOOK_ENDPOINTS_PER_TENANT} ` +
      "endpoints (`WEBHOOK_ENDPOINTS_PER_TENANT`). Not idempotent: a retry adds another endpoint.",
    security: SECURITY,
    requestBody: requestBody("CreateWebhookEndpointRequest", "Where events go."),
    responses: { "200": json(ref("CreatedWebhookEndpoint"), "The endpoint and its secret"), ...ERRORS },
  },
  "GET /v1/webhook_endpoints": {
    operationId: "listWebhookEndpoints",
    tags: [TAG],
    summary: "List the tenant's webhook endpoints (never their secrets)",
    description: "Oldest first, paged as Graph pages.",
    security: SECURITY,
    parameters: PAGING,
    responses: { "200": json(ref("WebhookEndpointPage"), "A page of the tenant's endpoints"), ...ERRORS },
  },
  "GET /v1/webhook_endpoints/{id}": {
    operationId: "getWebhookEndpoint",
    tags: [TAG],
    summary: "Get one webhook endpoint (never its secret)",
    description: "Another tenant's endpoint is answered exactly like an unknown one (400, code 33).",
    security: SECURITY,
    responses: { "200": json(ref("WebhookEndpoint"), "The endpoint"), ...ERRORS },
  },
  "POST /v1/webhook_endpoints/{id}": {
    operationId: "updateWebhookEndpoint",
    tags: [TAG],
    summary: "Change the endpoint's URL, event types or description",
    description:
      "`url`: a new address, by a new endpoint's rules (the secret stays). `event_types`: `username.updated` (every change), `username.changed_outside` (only the changes made outside " +
      "this service, sent with that type), or both (every change once, as `username.updated`). Events already " +
      "handed to the endpoint are delivered as they were. An empty `description` removes it.",
    security: SECURITY,
    requestBody: requestBody(
      "UpdateWebhookEndpointRequest",
      "What changes: url, event_types, description, or several.",
    ),
    responses: { "200": json(ref("WebhookEndpoint"), "The endpoint as it is now"), ...ERRORS },
  },
  "DELETE /v1/webhook_endpoints/{id}": {
    operationId: "deleteWebhookEndpoint",
    tags: [TAG],
    summary: "Remove a webhook endpoint",
    description: "Nothing more is sent to it; its pending retries end (`endpoint removed`).",
    security: SECURITY,
    responses: { "200": json(ref("Success"), "Removed"), ...ERRORS },
  },
  "POST /v1/webhook_endpoints/{id}/rotate_secret": {
    operationId: "rotateWebhookEndpointSecret",
    tags: [TAG],
    summary: "Give the endpoint a new signing secret, in this answer only",
    description:
      "Every attempt from now on is signed with the new secret, retries of earlier events included. " +
      "`previous_secret_expires_time` says until when the previous secret still verifies deliveries (signatures " +
      "under both are sent meanwhile, as Standard Webhooks allows several); when it equals " +
      "`secret_rotated_time`, the previous secret stopped at once. `overlap_seconds` chooses how long the previous " +
      "secret keeps signing: 24 hours when absent, 0 to stop it at once (a leaked secret).",
    security: SECURITY,
    requestBody: requestBody(
      "RotateWebhookEndpointSecretRequest",
      "How long the previous secret keeps signing (optional).",
      false,
    ),
    responses: { "200": json(ref("RotatedWebhookEndpoint"), "The endpoint and its new secret"), ...ERRORS },
  },
  "GET /v1/webhook_endpoints/{id}/deliveries": {
    operationId: "listWebhookDeliveries",
    tags: [TAG],
    summary: "The endpoint's delivery log: each event, newest first, with its delivery",
    description:
      "Every event of the tenant's change feed with its delivery to this endpoint: status, attempts, the last " +
      "attempt's outcome (HTTP status, error, at most 256 characters of the answer) and the next attempt. " +
      "`not_attempted`: no attempt recorded yet (in flight, or the event came before the endpoint). `after` pages " +
      "towards older events, `before` towards newer ones. Delivery records are kept 30 days after they finish.",
    security: SECURITY,
    parameters: PAGING,
    responses: { "200": json(ref("WebhookDeliveryPage"), "A page of the log"), ...ERRORS },
  },
  "POST /v1/webhook_endpoints/{id}/deliveries/{event_id}/redeliver": {
    operationId: "redeliverWebhookEvent",
    tags: [TAG],
    summary: "Send an event to the endpoint again",
    description:
      "A new round of attempts, due now, with the same `webhook-id` and the same retries; the delivery's " +
      "`attempts` count from 1 again. Any event of the tenant's feed may be sent, an earlier one than the endpoint " +
      "included. An event no feed of the tenant holds is an unknown object (400, code 33).",
    security: SECURITY,
    responses: { "200": json(ref("Success"), "Scheduled"), ...ERRORS },
  },
  "GET /v1/api_keys": {
    operationId: "listApiKeys",
    tags: [TAG],
    summary: "List the tenant's API keys: ids, names, created and last used (never a key)",
    description:
      "Active and revoked keys, ordered by id, paged as Graph pages. `last_used_time` is recorded at most once " +
      "per key every 5 minutes (`API_KEY_USE_PERIOD_SECONDS`) by each running function: it may be up to that " +
      "much behind.",
    security: SECURITY,
    parameters: PAGING,
    responses: { "200": json(ref("ApiKeyPage"), "A page of the tenant's keys"), ...ERRORS },
  },
  "POST /v1/api_keys": {
    operationId: "createApiKey",
    tags: [TAG],
    summary: "Make an API key for the tenant; the key is in this answer only",
    description:
      "The key works at once, with the same reach as every key of the tenant; only its SHA-256 is stored, so " +
      `store it now. A tenant holds at most ${DEFAULT_API_KEYS_PER_TENANT} active keys (\`API_KEYS_PER_TENANT\`). ` +
      "Not idempotent: a retry makes another key.",
    security: SECURITY,
    requestBody: requestBody("CreateApiKeyRequest", "A name to recognise the key by (optional)."),
    responses: { "200": json(ref("CreatedApiKey"), "The key, shown once"), ...ERRORS },
  },
  "DELETE /v1/api_keys/{id}": {
    operationId: "revokeApiKey",
    tags: [TAG],
    summary: "Revoke an API key",
    description:
      "The key making the call may revoke itself while another key of the tenant stays active; the tenant's last " +
      "active key cannot be revoked (400, code 100). The revocation is refused at once by the function instance " +
      "that made it, and by every other within `API_KEY_CACHE_TTL_MS` (60 s). Revoking a revoked key changes " +
      "nothing. Another tenant's key is answered exactly like an unknown one (400, code 33).",
    security: SECURITY,
    responses: { "200": json(ref("Success"), "Revoked"), ...ERRORS },
  },
};

function page(item: string, zod: Parameters<typeof pageSchema>[0], description: string): JsonSchema {
  const schema = jsonSchemaOf(pageSchema(zod));
  propertiesOf(schema).data = { type: "array", items: ref(item) };
  return {
    description: `${description} Graph's paging envelope: \`next\`/\`previous\` are present when that page exists (\`limit\` 1 to ${PAGE_LIMIT_MAX}).`,
    ...schema,
  };
}

const ENDPOINT_FIELDS = {
  url: "Where events are POSTed.",
  description: "The tenant's own note, when it gave one.",
  created_time: "When the endpoint was added (ISO 8601, UTC).",
  secret_rotated_time: "When its secret was last rotated, if ever.",
  previous_secret_expires_time:
    "While a rotation's overlap lasts: until when the previous secret still signs deliveries beside the new one.",
  event_types:
    "What it receives: `username.updated` (every change) and/or `username.changed_outside` (only changes made " +
    "outside this service, sent with that type).",
};

/** `event_types` in a request: the names, each once (a form may send the array's JSON text or names with commas). */
const EVENT_TYPES_REQUEST: JsonSchema = {
  description:
    "One or more of `username.updated` (every change) and `username.changed_outside` (only changes made outside " +
    "this service, sent with that type), each once. In a form or the query string: the array's JSON text, or the " +
    "names separated by commas.",
  anyOf: [
    { type: "array", items: { enum: [...WEBHOOK_EVENT_TYPES] }, minItems: 1, uniqueItems: true },
    { type: "string" },
  ],
};

/** A request schema whose `event_types` is documented as EVENT_TYPES_REQUEST (zod's input side is any strings). */
function withEventTypes(schema: JsonSchema): JsonSchema {
  return { ...schema, properties: { ...propertiesOf(schema), event_types: EVENT_TYPES_REQUEST } };
}

/** components.schemas of the request bodies and the objects answered, from validation/self-service.ts. */
export function selfServiceSchemas(): Record<string, JsonSchema> {
  return {
    CreateWebhookEndpointRequest: {
      description: "A new webhook endpoint.",
      ...describeProperties(withEventTypes(jsonSchemaOf(createEndpointBodySchema)), {
        url: "Where events go: https, a host name or a public address, no credentials or fragment, at most 2048 characters.",
        description: "A note for the tenant's own people: 1 to 256 printable characters.",
      }),
      examples: [
        { url: ENDPOINT_EXAMPLE.url, description: ENDPOINT_EXAMPLE.description },
        { url: ENDPOINT_EXAMPLE.url, event_types: ["username.changed_outside"] },
      ],
    },
    UpdateWebhookEndpointRequest: {
      description: "What changes of an endpoint: at least one of url, event_types and description.",
      ...describeProperties(withEventTypes(jsonSchemaOf(updateEndpointBodySchema)), {
        url:
          "A new URL, by a new endpoint's rules; the secret stays, and every attempt from now on (retries of earlier " +
          "events included) goes there.",
        description: "A note for the tenant's own people (1 to 256 printable characters); empty removes it.",
      }),
      examples: [
        { event_types: ["username.updated", "username.changed_outside"] },
        { description: "" },
        { url: ENDPOINT_EXAMPLE.url },
      ],
    },
    WebhookEndpoint: {
      description: "A webhook endpoint of the tenant. Its signing secret is never shown here.",
      ...describeProperties(jsonSchemaOf(webhookEndpointSchema), ENDPOINT_FIELDS),
      examples: [ENDPOINT_EXAMPLE],
    },
    CreatedWebhookEndpoint: {
      description: "The new endpoint and its signing secret: the only time the secret is shown.",
      ...describeProperties(jsonSchemaOf(createdWebhookEndpointSchema), {
        ...ENDPOINT_FIELDS,
        secret:
          "`whsec_` + base64 of 32 random bytes: verify `webhook-signature` with it (any Standard Webhooks library).",
      }),
      examples: [{ ...ENDPOINT_EXAMPLE, secret: SECRET_EXAMPLE }],
    },
    RotatedWebhookEndpoint: {
      description: "The endpoint and its new signing secret: the only time that secret is shown.",
      ...describeProperties(jsonSchemaOf(rotatedWebhookEndpointSchema), {
        ...ENDPOINT_FIELDS,
        secret: "The new secret: every attempt from now on is signed with it.",
        previous_secret_expires_time:
          "Until when the previous secret still verifies deliveries (both signatures are sent meanwhile); equal to " +
          "`secret_rotated_time` when the previous secret stopped at once.",
      }),
      examples: [
        {
          ...ENDPOINT_EXAMPLE,
          secret_rotated_time: "2026-12-03T08:00:00.000Z",
          secret: SECRET_EXAMPLE,
          previous_secret_expires_time: "2026-12-04T08:00:00.000Z",
        },
      ],
    },
    WebhookEndpointPage: page(
      "WebhookEndpoint",
      webhookEndpointSchema,
      "A page of the tenant's webhook endpoints.",
    ),
    WebhookDelivery: {
      description: "One event of the tenant's feed and its delivery to one endpoint.",
      ...describeProperties(jsonSchemaOf(webhookDeliverySchema), {
        event_id: "The event's id: `webhook-id` of every attempt.",
        phone_number_id: "The number whose username changed (the event's `data.phone_number_id`).",
        display_phone_number: "That number as Meta displays it.",
        username: "The number's username after the change; absent once deleted.",
        username_status: "The username's status after the change (the event's `data.status`).",
        origin:
          "Who made the change (the event's `data.origin`): `this_service`, `outside`, or `unknown` for changes " +
          "recorded before origins were.",
        transferred_to:
          "When the name moved to another number of the business portfolio: that number's phone number id.",
        transferred_from:
          "When the name came from another number of the portfolio: that number's phone number id.",
        status:
          "`pending` (waiting for a retry), `delivered` (a 2xx answer), `failed` (after the last attempt), " +
          "`not_attempted` (no attempt recorded: in flight, or the event came before the endpoint), " +
          "`not_subscribed` (the endpoint's event types do not select it).",
        attempts: "Attempts of the current round (a redelivery starts a new one).",
        last_response_status: "The endpoint's HTTP status at the last attempt, when it answered.",
        last_error: "Why the last attempt failed, in a few words (timeout, connection refused, redirect…).",
        last_response_excerpt: "At most the first 256 characters of the last answer's body.",
        next_attempt_time: "When the next attempt is due, while pending.",
      }),
      examples: [
        {
          event_id: "evt_01JD3Q8ZK5N4W6T9X2C7B1M0AF",
          event_type: "username.updated",
          event_created_time: "2026-12-02T09:30:00.000Z",
          phone_number_id: "106540352242922",
          display_phone_number: "+1 555-010-0001",
          username: "green_leaf",
          username_status: "approved",
          origin: "this_service",
          status: "pending",
          attempts: 2,
          last_attempt_time: "2026-12-02T09:30:05.120Z",
          last_response_status: 503,
          last_error: "HTTP 503",
          last_response_excerpt: "upstream busy",
          next_attempt_time: "2026-12-02T09:35:05.120Z",
        },
      ],
    },
    WebhookDeliveryPage: page(
      "WebhookDelivery",
      webhookDeliverySchema,
      "A page of an endpoint's delivery log.",
    ),
    RotateWebhookEndpointSecretRequest: {
      description: "A rotation's overlap.",
      ...describeProperties(jsonSchemaOf(rotateSecretBodySchema), {
        overlap_seconds:
          "Seconds the previous secret keeps signing beside the new one: a whole number from 0 (it stops at once) to " +
          "604800 (7 days); 24 hours when absent. Digits in a form or the query string.",
      }),
      examples: [{ overlap_seconds: 3600 }, { overlap_seconds: 0 }, {}],
    },
    CreateApiKeyRequest: {
      description: "A new API key.",
      ...describeProperties(jsonSchemaOf(createApiKeyBodySchema), {
        name: "A name to recognise the key by: 1 to 100 printable characters.",
      }),
      examples: [{ name: "ci deploys" }, {}],
    },
    ApiKey: {
      description: "An API key of the tenant: never the key, never its hash.",
      ...describeProperties(jsonSchemaOf(apiKeySchema), {
        last_used_time:
          "When the key was last used, recorded at most once per key every 5 minutes per running function; absent " +
          "when no use was recorded.",
        revoked_time: "When the key was revoked.",
        current:
          "True for the key this request was made with (whichever header carried it), false for every other: " +
          "revoking the current key ends the caller's own access.",
      }),
      examples: [KEY_EXAMPLE],
    },
    CreatedApiKey: {
      description: "The new key's object and the key itself: the only time the key is shown.",
      ...describeProperties(jsonSchemaOf(createdApiKeySchema), {
        key: "`wau_` + 32 characters: send it as X-API-Key (or Authorization: Bearer).",
      }),
      examples: [
        {
          id: KEY_EXAMPLE.id,
          name: KEY_EXAMPLE.name,
          created_time: KEY_EXAMPLE.created_time,
          status: "active",
          current: false,
          key: "wau_3q2-7wVd9Rk1mXb0yTz4Lp8sGhJ6nC5e",
        },
      ],
    },
    ApiKeyPage: page("ApiKey", apiKeySchema, "A page of the tenant's API keys."),
    Success: {
      description: "Graph's answer to an action with nothing more to say.",
      ...jsonSchemaOf(successSchema),
      examples: [{ success: true }],
    },
  };
}

/** components.responses: the self-service routes' 400, with examples made by graphErrors. */
export function selfServiceResponses() {
  const example = (summary: string, value: unknown) => ({ summary, value });
  return {
    SelfServiceBadRequest: {
      description:
        "Invalid path, parameter, `limit` or cursor, a URL the rules refuse, a limit reached, or the tenant's " +
        "last active key (code 100); an endpoint, key or event that is unknown or another tenant's (code 33, " +
        "the same answer for both). Nothing is stored.",
      content: {
        "application/json": {
          schema: ref("GraphError"),
          examples: {
            urlRule: example(
              "A URL the rules refuse (code 100)",
              graphErrors
                .invalidParameter("Invalid parameter: url must be https", "url must be https")
                .toBody(EXAMPLE_TRACE_ID),
            ),
            endpointLimit: example(
              "The tenant's endpoint limit (code 100)",
              graphErrors
                .invalidParameter(
                  `This tenant has ${DEFAULT_WEBHOOK_ENDPOINTS_PER_TENANT} webhook endpoints, the most it may have: remove one first`,
                  "remove an endpoint (DELETE /v1/webhook_endpoints/{id}) before adding another",
                )
                .toBody(EXAMPLE_TRACE_ID),
            ),
            lastActiveKey: example(
              "The tenant's last active API key (code 100)",
              graphErrors
                .invalidParameter(
                  "Cannot revoke the tenant's last active API key: create another key first",
                  "create a key (POST /v1/api_keys), use it, then revoke this one",
                )
                .toBody(EXAMPLE_TRACE_ID),
            ),
            notAccessible: example(
              "Unknown endpoint, key or event, or another tenant's (code 33)",
              graphErrors.objectNotAccessible(ENDPOINT_EXAMPLE.id).toBody(EXAMPLE_TRACE_ID),
            ),
          },
        },
      },
    },
  };
}
