/**
 * The objects the tenant's self-service routes answer (docs/spec.md, "Self-service: webhook
 * endpoints and API keys"): webhook endpoints, their deliveries, API keys. The functions use their
 * types only (`import type`), so no Lambda builds these schemas (self-service.ts says why);
 * openapi/ documents the answers from them.
 */
import * as z from "zod/mini";
import { API_KEY_STATUSES, DELIVERY_STATUSES } from "./self-service.ts";
import { CHANGE_ORIGINS, WEBHOOK_EVENT_TYPES } from "./tenant-api.ts";

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

/** The answer of `…/rotate_secret`: the endpoint, its new secret (shown this once), and the old one's end. */
export const rotatedWebhookEndpointSchema = z.object({
  ...webhookEndpointSchema.shape,
  secret: z.string(),
  previous_secret_expires_time: z.string(),
});

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
  /** Who made the change (the event's `data.origin`). */
  origin: z.enum(CHANGE_ORIGINS),
  /** A name moved between two numbers of a portfolio: the number it went to, or came from. */
  transferred_to: z.optional(z.string()),
  transferred_from: z.optional(z.string()),
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

/** An API key of the tenant as listed: never the key, never its hash. */
export const apiKeySchema = z.object({
  id: z.string(),
  name: z.optional(z.string()),
  created_time: z.string(),
  last_used_time: z.optional(z.string()),
  status: z.enum(API_KEY_STATUSES),
  revoked_time: z.optional(z.string()),
  /** The key the request was made with. */
  current: z.boolean(),
});
export type ApiKeyView = z.infer<typeof apiKeySchema>;

/** The answer of `POST /v1/api_keys`: the key's object and the key itself, shown this once. */
export const createdApiKeySchema = z.object({ ...apiKeySchema.shape, key: z.string() });

/** Graph's answer of an action with nothing more to say (DELETE, redeliver). */
export const successSchema = z.object({ success: z.literal(true) });
