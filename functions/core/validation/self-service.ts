/**
 * Schemas of the tenant's self-service routes under `/v1` (docs/spec.md, "Self-service: webhook
 * endpoints and API keys"): path ids, the request bodies, and the objects answered (webhook
 * endpoints, their deliveries, API keys). Edge types are `z.infer` of these; openapi/ documents
 * them from here. The URL rules of an endpoint are tenant-webhooks/endpoint-url.ts's, checked
 * after these shapes and still before any I/O.
 */
import * as z from "zod/mini";
import { WEBHOOK_EVENT_TYPES } from "./tenant-api.ts";

export const ENDPOINT_ID_PATTERN = /^ep_[0-9a-f]{20}$/;
export const API_KEY_ID_PATTERN = /^key_[0-9a-f]{16}$/;
/** `evt_` + a ULID (functions/core/event-id.ts). */
export const EVENT_ID_PATTERN = /^evt_[0-9A-Z]{26}$/;

export const DESCRIPTION_MAX_LENGTH = 256;
export const API_KEY_NAME_MAX_LENGTH = 100;
/** A URL longer than this is refused by the URL rules with their own message; the schema only caps what is read. */
const URL_READ_LIMIT = 8_192;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

const endpointId = z
  .string()
  .check(z.regex(ENDPOINT_ID_PATTERN, "must be a webhook endpoint id: ep_ and 20 hexadecimal digits"));

export const endpointPathSchema = z.object({ id: endpointId });
export type EndpointPath = z.infer<typeof endpointPathSchema>;

export const endpointEventPathSchema = z.object({
  id: endpointId,
  event_id: z.string().check(z.regex(EVENT_ID_PATTERN, "must be an event id: evt_ and 26 characters")),
});
export type EndpointEventPath = z.infer<typeof endpointEventPathSchema>;

export const apiKeyPathSchema = z.object({
  id: z.string().check(z.regex(API_KEY_ID_PATTERN, "must be an API key id: key_ and 16 hexadecimal digits")),
});
export type ApiKeyPath = z.infer<typeof apiKeyPathSchema>;

/** Printable text of 1 to `max` characters, without control characters (a line break included). */
function label(max: number) {
  return z
    .string()
    .check(
      z.refine(
        (value) => value.trim() !== "" && value.length <= max && !CONTROL_CHARACTERS.test(value),
        `must be 1 to ${max} printable characters`,
      ),
    );
}

/**
 * The event types an endpoint subscribes to: one or more of WEBHOOK_EVENT_TYPES, each once. A
 * JSON array; in a form or the query string, the same array as JSON text (as Graph takes arrays)
 * or the names separated by commas.
 */
export const eventTypesSchema = z.pipe(
  z.union([z.array(z.string()), z.string()]),
  z.transform((value, context) => {
    const names = typeof value === "string" ? eventTypeNames(value) : value;
    const unknown = names.filter((name) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(name));
    if (names.length === 0 || unknown.length > 0 || new Set(names).size !== names.length) {
      context.issues.push({
        code: "custom",
        input: value,
        message: `must name one or more of ${WEBHOOK_EVENT_TYPES.join(", ")}, each once${unknown.length ? ` (unknown: ${unknown.slice(0, 3).join(", ")})` : ""}`,
      });
      return z.NEVER;
    }
    return names as (typeof WEBHOOK_EVENT_TYPES)[number][];
  }),
);

/** A form's `event_types`: a JSON array's text, or names separated by commas. */
function eventTypeNames(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed) && parsed.every((name) => typeof name === "string")) return parsed;
    } catch {
      // Not JSON: refused below as an unknown name.
    }
    return [trimmed];
  }
  return trimmed === "" ? [] : trimmed.split(",").map((name) => name.trim());
}

/** `POST /v1/webhook_endpoints`: where events go, which, and a note for the tenant's own people. */
export const createEndpointBodySchema = z.object({
  url: z.string().check(z.minLength(1, "must not be empty"), z.maxLength(URL_READ_LIMIT, "is too long")),
  description: z.optional(label(DESCRIPTION_MAX_LENGTH)),
  event_types: z.optional(eventTypesSchema),
});
export type CreateEndpointBody = z.output<typeof createEndpointBodySchema>;

/**
 * `POST /v1/webhook_endpoints/{id}`: a new URL (the URL rules of a new endpoint), event types
 * and/or description (an empty description removes it); at least one of them.
 */
export const updateEndpointBodySchema = z
  .object({
    url: z.optional(createEndpointBodySchema.shape.url),
    event_types: z.optional(eventTypesSchema),
    description: z.optional(z.union([z.literal(""), label(DESCRIPTION_MAX_LENGTH)])),
  })
  .check(
    z.refine(
      (body) => body.url !== undefined || body.event_types !== undefined || body.description !== undefined,
      {
        message: "send url, event_types or description (one or more)",
        path: ["event_types"],
      },
    ),
  );
export type UpdateEndpointBody = z.output<typeof updateEndpointBodySchema>;

/** `POST /v1/api_keys`: a name to recognise the key by. */
export const createApiKeyBodySchema = z.object({ name: z.optional(label(API_KEY_NAME_MAX_LENGTH)) });
export type CreateApiKeyBody = z.infer<typeof createApiKeyBodySchema>;

/** A webhook endpoint of the tenant, as every route shows it: never its secret. */
export const webhookEndpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.optional(z.string()),
  created_time: z.string(),
  secret_rotated_time: z.optional(z.string()),
  /** While a rotation's overlap lasts: until when the previous secret still signs (ISO 8601). */
  previous_secret_expires_time: z.optional(z.string()),
  event_types: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
});
export type WebhookEndpointView = z.infer<typeof webhookEndpointSchema>;

/** The answer of `POST /v1/webhook_endpoints`: the endpoint and its signing secret, shown this once. */
export const createdWebhookEndpointSchema = z.object({
  ...webhookEndpointSchema.shape,
  secret: z.string(),
});

/** The longest overlap a rotation may ask for, in seconds: 7 days (admin/webhooks.ts's too). */
export const ROTATION_OVERLAP_MAX_SECONDS = 7 * 24 * 3600;

/**
 * `POST …/rotate_secret`: how long the previous secret keeps signing beside the new one, in whole
 * seconds from 0 (it stops at once, e.g. after a leak) to 7 days; absent: 24 hours. A JSON number,
 * or its digits in a form or the query string.
 */
export const rotateSecretBodySchema = z.object({
  overlap_seconds: z.optional(
    z
      .union([z.number(), z.string()])
      .check(
        z.refine(
          (value) => overlapSecondsOf(value) !== undefined,
          `must be a whole number of seconds from 0 to ${ROTATION_OVERLAP_MAX_SECONDS} (7 days)`,
        ),
      ),
  ),
});
export type RotateSecretBody = z.infer<typeof rotateSecretBodySchema>;

/** `overlap_seconds` as a number of seconds; undefined when it is not one from 0 to 7 days. */
export function overlapSecondsOf(value: number | string): number | undefined {
  const seconds = typeof value === "string" ? (/^\d{1,7}$/.test(value) ? Number(value) : Number.NaN) : value;
  return Number.isInteger(seconds) && seconds >= 0 && seconds <= ROTATION_OVERLAP_MAX_SECONDS
    ? seconds
    : undefined;
}

/** The answer of `…/rotate_secret`: the endpoint, its new secret (shown this once), and the old one's end. */
export const rotatedWebhookEndpointSchema = z.object({
  ...webhookEndpointSchema.shape,
  secret: z.string(),
  previous_secret_expires_time: z.string(),
});

export const DELIVERY_STATUSES = [
  "pending",
  "delivered",
  "failed",
  "not_attempted",
  "not_subscribed",
] as const;

/** One event of the tenant's feed and its delivery to one endpoint. */
export const webhookDeliverySchema = z.object({
  event_id: z.string(),
  event_type: z.string(),
  event_created_time: z.string(),
  /** What the event is about, so a person reading the log knows which change each row is. */
  phone_number_id: z.string(),
  display_phone_number: z.string(),
  /** The number's username after the change; absent once deleted. */
  username: z.optional(z.string()),
  /** The username's status after the change (Meta's: `approved`, `reserved`, `deleted`, …). */
  username_status: z.optional(z.string()),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number(),
  last_attempt_time: z.optional(z.string()),
  last_response_status: z.optional(z.number()),
  last_error: z.optional(z.string()),
  last_response_excerpt: z.optional(z.string()),
  next_attempt_time: z.optional(z.string()),
  delivered_time: z.optional(z.string()),
  failed_time: z.optional(z.string()),
});
export type WebhookDeliveryView = z.infer<typeof webhookDeliverySchema>;

export const API_KEY_STATUSES = ["active", "revoked"] as const;

/** An API key of the tenant as listed: never the key, never its hash. */
export const apiKeySchema = z.object({
  id: z.string(),
  name: z.optional(z.string()),
  created_time: z.string(),
  last_used_time: z.optional(z.string()),
  status: z.enum(API_KEY_STATUSES),
  revoked_time: z.optional(z.string()),
});
export type ApiKeyView = z.infer<typeof apiKeySchema>;

/** The answer of `POST /v1/api_keys`: the key's object and the key itself, shown this once. */
export const createdApiKeySchema = z.object({ ...apiKeySchema.shape, key: z.string() });

/** Graph's answer of an action with nothing more to say (DELETE, redeliver). */
export const successSchema = z.object({ success: z.literal(true) });
