/**
 * What the document says about each route of infra/routes.ts, keyed by "METHOD path". The
 * builder fails on a route missing here or an entry for a route that no longer exists.
 */

import { errorResponses } from "./error-responses.ts";
import { replayedHeader } from "./idempotency-key.ts";
import {
  accessTokenParameter,
  claimQueryParameters,
  claimRequestBody,
  metaHeaders,
} from "./parameter-forms.ts";
import { ref } from "./schemas.ts";

const json = (schema: unknown, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
/** Meta's answer, with the Meta headers clients act on. */
const fromMeta = (schema: unknown, description: string) => ({
  ...json(schema, description),
  headers: metaHeaders(),
});
const error = (name: string) => ({ $ref: `#/components/responses/${name}` });

/** The errors every username route can answer. */
const USERNAME_ERRORS = {
  "400": error("BadRequest"),
  "401": error("UnauthorizedOrFromMeta"),
  "403": error("Forbidden"),
  "413": error("PayloadTooLarge"),
  "429": error("RateLimited"),
  "502": error("BadGateway"),
  "503": error("ServiceUnavailable"),
  "504": error("GatewayTimeout"),
  default: error("UnexpectedError"),
};

/** POST and DELETE change state: they take an Idempotency-Key (every Meta-bound request counts against the tenant's limit). */
const IDEMPOTENT = {
  parameters: [{ $ref: "#/components/parameters/IdempotencyKey" }],
  errors: { "409": error("IdempotencyKeyInFlight"), "422": error("IdempotencyKeyReused") },
};
const replayable = (schema: unknown) => ({
  ...json(schema, "Meta's answer, passed through (or replayed for a repeated Idempotency-Key)"),
  headers: { ...metaHeaders(), ...replayedHeader() },
});

/**
 * Meta's final refusals (a 400 such as 147001, a 403, any other status but "retry later") are
 * kept for the Idempotency-Key too, so their replay carries `idempotent-replayed`: the error
 * responses of POST and DELETE that Meta's may be, with that header added.
 */
const REPLAYABLE_ERRORS = ["BadRequest", "Forbidden", "UnexpectedError"] as const;
function replayableErrors() {
  const components = errorResponses() as Record<string, { headers?: Record<string, unknown> }>;
  return Object.fromEntries(
    REPLAYABLE_ERRORS.map((name) => {
      const status = name === "BadRequest" ? "400" : name === "Forbidden" ? "403" : "default";
      const component = components[name] ?? {};
      return [status, { ...component, headers: { ...component.headers, ...replayedHeader() } }];
    }),
  );
}

const USERNAME_SECURITY = [{ ApiKey: [] }, { BearerApiKey: [] }, { AccessToken: [] }];
const upstream = (method: string, edge: string) =>
  `Forwarded to Meta as \`${method} /{version}/{phone_number_id}/${edge}\` with the number's own access token.`;

export interface OperationInfo {
  operationId: string;
  tags: string[];
  summary: string;
  description: string;
  /** Parameters other than the path's, e.g. query or header. */
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
  security?: unknown[];
}

export const operations: Record<string, OperationInfo> = {
  "GET /meta/whatsapp/{version}/{phone_number_id}/username": {
    operationId: "getUsername",
    tags: ["usernames"],
    summary: "Get a phone number's username",
    description: `${upstream("GET", "username")} Meta's answer becomes the stored state of the number.`,
    security: USERNAME_SECURITY,
    parameters: [accessTokenParameter()],
    responses: {
      "200": fromMeta(ref("UsernameResponse"), "Meta's answer, passed through"),
      ...USERNAME_ERRORS,
    },
  },
  "GET /meta/whatsapp/{version}/{phone_number_id}/username_suggestions": {
    operationId: "getUsernameSuggestions",
    tags: ["usernames"],
    summary: "Get username suggestions for a phone number",
    description: `${upstream("GET", "username_suggestions")} Nothing is recorded.`,
    security: USERNAME_SECURITY,
    parameters: [accessTokenParameter()],
    responses: {
      "200": fromMeta(ref("UsernameSuggestionsResponse"), "Meta's answer, passed through"),
      ...USERNAME_ERRORS,
    },
  },
  "POST /meta/whatsapp/{version}/{phone_number_id}/username": {
    operationId: "claimUsername",
    tags: ["usernames"],
    summary: "Request a username for a phone number",
    description:
      `${upstream("POST", "username")} The username format is checked first; a bad name never reaches Meta. On success the name ` +
      "is stored with the returned status; with `force_transfer`, any other number of the same business " +
      "portfolio that held the name loses it in the same write. The parameters may come as JSON, a form or " +
      "the query string (see the request body). Graph's `method` override makes it the path's DELETE " +
      "(`method=delete`) or GET (`method=get`, as Go Graph clients send every call), answered as those are.",
    security: USERNAME_SECURITY,
    parameters: [...IDEMPOTENT.parameters, accessTokenParameter(), ...claimQueryParameters()],
    requestBody: claimRequestBody("The username to request"),
    responses: {
      "200": {
        ...replayable({
          anyOf: [ref("ClaimUsernameResponse"), ref("DeleteUsernameResponse"), ref("UsernameResponse")],
        }),
        description:
          "Meta's answer, passed through (or replayed for a repeated Idempotency-Key): `ClaimUsernameResponse` " +
          "for a claim, `DeleteUsernameResponse` for `method=delete`, `UsernameResponse` for `method=get`.",
      },
      ...USERNAME_ERRORS,
      ...IDEMPOTENT.errors,
      ...replayableErrors(),
    },
  },
  "DELETE /meta/whatsapp/{version}/{phone_number_id}/username": {
    operationId: "deleteUsername",
    tags: ["usernames"],
    summary: "Remove a phone number's username",
    description:
      `${upstream("DELETE", "username")} \`success: true\` stores status \`deleted\` and clears the username. ` +
      "Clients that cannot send DELETE may POST with `method=delete`.",
    security: USERNAME_SECURITY,
    parameters: [...IDEMPOTENT.parameters, accessTokenParameter()],
    responses: {
      "200": replayable(ref("DeleteUsernameResponse")),
      ...USERNAME_ERRORS,
      ...IDEMPOTENT.errors,
      ...replayableErrors(),
    },
  },
  "GET /meta/whatsapp/webhook": {
    operationId: "verifyWebhook",
    tags: ["webhook"],
    summary: "Meta's webhook verification handshake",
    description: "Answers the challenge when `hub.verify_token` matches the configured verify token.",
    security: [],
    parameters: [
      { name: "hub.mode", in: "query", required: true, schema: { type: "string", const: "subscribe" } },
      {
        name: "hub.verify_token",
        in: "query",
        required: true,
        description: "Must equal the configured verify token (compared in constant time).",
        schema: { type: "string" },
      },
      {
        name: "hub.challenge",
        in: "query",
        required: true,
        description: "Echoed back byte for byte.",
        schema: { type: "string" },
      },
    ],
    responses: {
      "200": {
        description: "The challenge, as plain text",
        content: { "text/plain": { schema: { type: "string" }, example: "1158201444" } },
      },
      "403": error("WebhookForbidden"),
      "429": error("Throttled"),
      default: error("InternalError"),
    },
  },
  "POST /meta/whatsapp/webhook": {
    operationId: "receiveWebhook",
    tags: ["webhook"],
    summary: "Meta's signed webhook deliveries",
    description:
      "`business_username_updates` changes update the stored state of the number; every other field, and " +
      "a delivery for another `object` (a Page, Instagram), is acknowledged and ignored. Delivery is at least once and unordered: a duplicate changes nothing, an event " +
      "older than the stored state does not overwrite it, an unknown number is logged and acknowledged.",
    security: [],
    parameters: [
      {
        name: "X-Hub-Signature-256",
        in: "header",
        required: true,
        description: "`sha256=` and the hex HMAC-SHA256 of the raw body bytes with the Meta app secret.",
        schema: { type: "string", pattern: "^sha256=[0-9a-fA-F]{64}$" },
      },
    ],
    requestBody: { required: true, ...json(ref("WebhookPayload"), "Meta's payload") },
    responses: {
      "200": json(ref("WebhookAcknowledgement"), "Processed (also for unknown numbers and ignored fields)"),
      "400": error("WebhookBadRequest"),
      "401": error("WebhookUnauthorized"),
      "413": error("WebhookPayloadTooLarge"),
      "429": error("Throttled"),
      "500": error("WebhookNotStored"),
      "503": error("Unavailable"),
      default: error("InternalError"),
    },
  },
};
