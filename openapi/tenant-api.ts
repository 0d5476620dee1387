/**
 * What the document says about the tenant read API (`/v1`) and the tenant events: operations,
 * paging parameters, schemas (generated from functions/core/validation/tenant-api.ts) and the
 * OpenAPI 3.1 `webhooks` entry of the `username.updated` event sent to tenant endpoints.
 */

import { DEFAULT_WEBHOOK_RETRY_DELAYS } from "../functions/core/config.ts";
import { graphErrors } from "../functions/core/errors/graph-error.ts";
import { RESPONSE_EXCERPT_CHARS } from "../functions/core/tenant-webhooks/http-attempt.ts";
import {
  PAGE_LIMIT_DEFAULT,
  PAGE_LIMIT_MAX,
  pageSchema,
  phoneNumberSchema,
  usernameChangeEventSchema,
} from "../functions/core/validation/tenant-api.ts";
import { describeProperties, type JsonSchema, jsonSchemaOf, propertiesOf } from "./json-schema.ts";
import type { OperationInfo } from "./operations.ts";
import { ref } from "./schemas.ts";
import {
  selfServiceOperations,
  selfServiceParameters,
  selfServiceResponses,
  selfServiceSchemas,
} from "./self-service.ts";

const EXAMPLE_TRACE_ID = "AbCdEf0123456789";
const json = (schema: unknown, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const error = (name: string) => ({ $ref: `#/components/responses/${name}` });
const SECURITY = [{ ApiKey: [] }, { BearerApiKey: [] }, { AccessToken: [] }];
const FROM_STORE = "Answered from the service's own records: Meta is never called.";

/**
 * The errors every /v1 route can answer (no Meta call: no 403, 502 or 504, no Meta header); the
 * 429 is the tenant's read limit or API Gateway's throttle.
 */
const READ_ERRORS = {
  "400": error("ReadBadRequest"),
  "401": error("Unauthorized"),
  "413": error("PayloadTooLarge"),
  "429": error("ReadRateLimited"),
  "503": error("Unavailable"),
  default: error("InternalError"),
};

const PAGING_PARAMETERS = [
  { $ref: "#/components/parameters/limit" },
  { $ref: "#/components/parameters/after" },
  { $ref: "#/components/parameters/before" },
];

export function tenantApiParameters(): Record<string, unknown> {
  const cursor = (name: "after" | "before", which: string) => ({
    name,
    in: "query",
    required: false,
    description: `A cursor from \`paging.cursors.${name}\` of this same listing: ${which}. Opaque, and tied to the listing and its scope (the tenant; the phone number for a history): another's is refused (code 100), as is a change-feed position past the feed's head. Send at most one of after and before.`,
    schema: { type: "string", minLength: 1, maxLength: 200 },
  });
  return {
    limit: {
      name: "limit",
      in: "query",
      required: false,
      description: `Items per page, 1 to ${PAGE_LIMIT_MAX}.`,
      schema: { type: "integer", minimum: 1, maximum: PAGE_LIMIT_MAX, default: PAGE_LIMIT_DEFAULT },
    },
    after: cursor("after", "the page that follows"),
    before: cursor("before", "the page that precedes"),
    ...selfServiceParameters(),
  };
}

export const tenantApiOperations: Record<string, OperationInfo> = {
  "GET /v1/phone_numbers": {
    operationId: "listPhoneNumbers",
    tags: ["tenant API"],
    summary: "List the tenant's phone numbers and their username state",
    description: `Ordered by phone number id, paged as Graph pages. ${FROM_STORE}`,
    security: SECURITY,
    parameters: PAGING_PARAMETERS,
    responses: { "200": json(ref("PhoneNumberPage"), "A page of the tenant's numbers"), ...READ_ERRORS },
  },
  "GET /v1/phone_numbers/{phone_number_id}": {
    operationId: "getPhoneNumber",
    tags: ["tenant API"],
    summary: "Get one phone number and its username state",
    description: `Another tenant's number is answered exactly like an unknown one (400, code 33). ${FROM_STORE}`,
    security: SECURITY,
    responses: { "200": json(ref("PhoneNumber"), "The number"), ...READ_ERRORS },
  },
  "GET /v1/phone_numbers/{phone_number_id}/username_history": {
    operationId: "listUsernameHistory",
    tags: ["tenant API"],
    summary: "A phone number's username changes, newest first",
    description:
      "The same event objects as the change feed and the webhooks. `after` pages towards older changes, " +
      `\`before\` towards newer ones. ${FROM_STORE}`,
    security: SECURITY,
    parameters: PAGING_PARAMETERS,
    responses: { "200": json(ref("UsernameChangePage"), "A page of the number's changes"), ...READ_ERRORS },
  },
  "GET /v1/username_changes": {
    operationId: "listUsernameChanges",
    tags: ["tenant API"],
    summary: "The tenant's change feed, oldest first from the cursor",
    description:
      "Every change of every number of the tenant, in one order. Keep `paging.cursors.after` (present in every " +
      "answer, an empty one included) and call again with `after=<it>`: you get exactly the changes since, none " +
      "twice and none missing, across pages, restarts and concurrent changes. `next` is present while more " +
      "changes are already available. A change appears here within moments of being recorded. " +
      FROM_STORE,
    security: SECURITY,
    parameters: PAGING_PARAMETERS,
    responses: { "200": json(ref("UsernameChangePage"), "A page of the feed"), ...READ_ERRORS },
  },
  ...selfServiceOperations,
};

const EVENT_EXAMPLE = {
  id: "evt_01JD3Q8ZK5N4W6T9X2C7B1M0AF",
  type: "username.updated",
  created_time: "2026-11-26T15:39:12.345Z",
  data: {
    phone_number_id: "106540352242922",
    waba_id: "102290129340398",
    display_phone_number: "15550783881",
    username: "lucky_shrub",
    status: "approved",
    previous: { username: "lucky_shrub", status: "reserved" },
    source: "webhook",
    origin: "this_service",
    requested_by: "key_5f0c2a9e41d7b836",
  },
};

/** A change made outside the service: Meta's webhook told of it, no request of ours explains it. */
const { requested_by: _ours, ...THIS_SERVICE_DATA } = EVENT_EXAMPLE.data;
const OUTSIDE_CHANGE_DATA = {
  ...THIS_SERVICE_DATA,
  username: "shrub_and_co",
  previous: { username: "lucky_shrub", status: "approved" },
  origin: "outside",
};

function usernameChangeEvent(): JsonSchema {
  const schema = jsonSchemaOf(usernameChangeEventSchema);
  describeProperties(schema, {
    id: "Stable and unique (`evt_` + a ULID): the same in the feed, the history and every webhook attempt (`webhook-id`).",
    created_time: "When the change was recorded (ISO 8601, UTC).",
  });
  const data = propertiesOf(schema).data as JsonSchema;
  describeProperties(data, {
    display_phone_number: "Digits only.",
    username: "Absent when the number has no username after the change.",
    status: "`reserved`, `approved`, `deleted`, or a value Meta adds later.",
    previous: "The state before the change (fields absent when there was none).",
    source:
      "What changed it: `api` (a call through this service), `webhook` (Meta's business_username_updates), " +
      "`reconcile` (a read of Meta's state), `transfer` (Meta moved the name to another number of the portfolio).",
    origin:
      "Who made it: `this_service` when a request through this service explains it (the answer to a POST or " +
      "DELETE, Meta's later approval or deletion of what was asked for, the reconciler settling such a request), " +
      "`outside` otherwise (another partner, WhatsApp Manager, Meta's revocation, drift), `unknown` for changes " +
      "recorded before origins were. Endpoints subscribed to `username.changed_outside` get only `outside` ones.",
    requested_by: "For `this_service`: the id of the API key whose request it was (never the key).",
    context: "Meta's context when it sent one, e.g. `revoked`.",
    transferred_to: "On a `transfer` event: the number of the same portfolio that took the name.",
    transferred_from: "On the change of the number that took a name: the number it took it from.",
  });
  return {
    description: "One change of a number's username state.",
    ...schema,
    examples: [
      EVENT_EXAMPLE,
      {
        id: "evt_01JD3QA0B1C2D3E4F5G6H7J8K9",
        type: "username.updated",
        created_time: "2026-11-26T15:40:00.000Z",
        data: {
          phone_number_id: "106540352242923",
          waba_id: "102290129340398",
          display_phone_number: "15550783882",
          status: "deleted",
          previous: { username: "lucky_shrub", status: "approved" },
          source: "transfer",
          origin: "outside",
          transferred_to: "106540352242922",
        },
      },
    ],
  };
}

function page(item: string, description: string): JsonSchema {
  const schema = jsonSchemaOf(
    pageSchema(item === "PhoneNumber" ? phoneNumberSchema : usernameChangeEventSchema),
  );
  const properties = propertiesOf(schema);
  properties.data = { type: "array", items: ref(item) };
  return {
    description: `${description} Graph's paging envelope: \`next\`/\`previous\` are present when that page exists.`,
    ...schema,
  };
}

export function tenantApiSchemas(): Record<string, JsonSchema> {
  return {
    PhoneNumber: {
      description:
        "A phone number of the tenant and its recorded username state (absent fields: none recorded).",
      ...describeProperties(jsonSchemaOf(phoneNumberSchema), {
        display_phone_number: "Digits only.",
        username_status: "`reserved`, `approved`, `deleted`, or a value Meta adds later.",
        username_updated_time: "When the state last changed (ISO 8601, UTC).",
        username_source: "What made the last change (see UsernameChangeEvent.data.source).",
      }),
      examples: [
        {
          id: "106540352242922",
          display_phone_number: "15550783881",
          waba_id: "102290129340398",
          business_id: "506914307656634",
          username: "lucky_shrub",
          username_status: "approved",
          username_updated_time: "2026-11-26T15:39:12.345Z",
          username_source: "webhook",
        },
      ],
    },
    PhoneNumberPage: page("PhoneNumber", "A page of the tenant's phone numbers."),
    UsernameChangeEvent: usernameChangeEvent(),
    UsernameChangePage: page("UsernameChangeEvent", "A page of username changes."),
    ...selfServiceSchemas(),
  };
}

export function tenantApiResponses() {
  return {
    ...selfServiceResponses(),
    ReadBadRequest: {
      description:
        "Invalid path, `limit`, or cursor (code 100), or a phone number that is unknown or not the caller's " +
        "tenant's (code 33, the same answer for both).",
      content: {
        "application/json": {
          schema: ref("ServiceError"),
          examples: {
            invalidCursor: {
              summary: "Not a cursor of this listing (code 100)",
              value: graphErrors
                .invalidParameter(
                  "Invalid parameter: after is not a cursor of this listing",
                  "after: send a cursor from paging.cursors of a username_changes answer",
                )
                .toBody(EXAMPLE_TRACE_ID),
            },
            phoneNotAccessible: {
              summary: "Unknown phone number, or another tenant's (code 33)",
              value: graphErrors.phoneNumberNotAccessible("106540352242922").toBody(EXAMPLE_TRACE_ID),
            },
          },
        },
      },
    },
  };
}

const RETRY_SCHEDULE = DEFAULT_WEBHOOK_RETRY_DELAYS.split(",").map(Number);

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${seconds / 60} min`;
  return `${seconds / 3600} h`;
}

/**
 * OpenAPI 3.1 `webhooks`: what the service POSTs to a tenant's endpoint, one entry per event type
 * an endpoint subscribes to (tenant-webhooks/event-types.ts): `username.updated` for every change,
 * `username.changed_outside` for those made outside the service.
 */
export function tenantWebhooks() {
  const header = (name: string, description: string, example: string) => ({
    name,
    in: "header",
    required: true,
    description,
    schema: { type: "string" },
    example,
  });
  const event = (
    type: "username.updated" | "username.changed_outside",
    operationId: string,
    summary: string,
    which: string,
  ) => ({
    post: {
      operationId,
      tags: ["tenant events"],
      summary,
      description: [
        "Registered by the tenant (`POST /v1/webhook_endpoints`) or an operator (`npm run admin -- webhook add",
        "--tenant <t> --url <https url>`); either answers the endpoint's signing secret (`whsec_…`) once; its",
        "`event_types` choose what it receives (`username.updated` unless it chose otherwise).",
        which,
        "Signed per Standard Webhooks: verify",
        "`webhook-signature` with any Standard Webhooks library (e.g. npm `standardwebhooks`) before trusting the",
        "body, and use `webhook-id` (the event id) to drop duplicates: delivery is at least once, and events of",
        "different numbers may arrive in any order.",
        "",
        `A 2xx answer within 10 s delivers the event. Anything else (another status, a redirect, which is never`,
        `followed, a timeout, a refused connection) is retried after ${RETRY_SCHEDULE.map(duration).join(", ")}`,
        `(${RETRY_SCHEDULE.length + 1} attempts over about ${Math.round(RETRY_SCHEDULE.reduce((a, b) => a + b, 0) / 3600)} hours), with the same \`webhook-id\`; then the`,
        `delivery is marked failed (the tenant sees it in \`GET /v1/webhook_endpoints/{id}/deliveries\` and can redeliver it;`,
        `operators with \`webhook deliveries --failed\` and \`webhook redeliver\`),`,
        `and the event stays in the change feed. Only the first ${RESPONSE_EXCERPT_CHARS} characters of an answer's body are kept.`,
      ].join("\n"),
      parameters: [
        header("webhook-id", "The event id: the same on every attempt of the event.", EVENT_EXAMPLE.id),
        header(
          "webhook-timestamp",
          "Unix seconds of this attempt (reject ones far from your clock).",
          "1795966752",
        ),
        header(
          "webhook-signature",
          "`v1,` + base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` under the endpoint's secret (the " +
            "base64 after `whsec_`); space-separated when there are several.",
          "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
        ),
      ],
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: ref("UsernameChangeEvent"),
            example:
              type === "username.updated"
                ? EVENT_EXAMPLE
                : {
                    ...EVENT_EXAMPLE,
                    type,
                    data: OUTSIDE_CHANGE_DATA,
                  },
          },
        },
      },
      responses: {
        "2XX": { description: "Received: the delivery is complete." },
        default: { description: "Any other answer, or none in time: the attempt failed and is retried." },
      },
    },
  });
  return {
    "username.updated": event(
      "username.updated",
      "usernameUpdatedEvent",
      "A username change, POSTed to each of the tenant's webhook endpoints that receive every change",
      "Every change of one of the tenant's numbers is sent as one event, the same object as in `GET /v1/username_changes`.",
    ),
    "username.changed_outside": event(
      "username.changed_outside",
      "usernameChangedOutsideEvent",
      "A username change made outside this service, POSTed to the endpoints subscribed to only those",
      "A change whose `data.origin` is `outside` (no request through this service explains it: WhatsApp Manager, " +
        "another partner) is sent to an endpoint subscribed to `username.changed_outside` alone as the feed's event " +
        "with `type: username.changed_outside`; the same `id` as in `GET /v1/username_changes`. An endpoint " +
        "subscribed to both types receives it once, as `username.updated`.",
    ),
  };
}
