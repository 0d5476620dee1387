/**
 * The tenant's self-service routes under `/v1` (docs/spec.md, "Self-service: webhook endpoints and
 * API keys"): the path schemas every one of them reads, and the rules' constants. Their request
 * bodies are in self-service-bodies.ts and the objects they answer in self-service-views.ts:
 * every zod schema of a module is built when a Lambda loads it (a module's top level is never
 * tree-shaken), so each function loads the schemas it uses and no others (docs/benchmarks.md,
 * cold start).
 */
import * as z from "zod/mini";

export const ENDPOINT_ID_PATTERN = /^ep_[0-9a-f]{20}$/;
export const API_KEY_ID_PATTERN = /^key_[0-9a-f]{16}$/;
/** `evt_` + a ULID (functions/core/event-id.ts). */
export const EVENT_ID_PATTERN = /^evt_[0-9A-Z]{26}$/;

export const DESCRIPTION_MAX_LENGTH = 256;
export const API_KEY_NAME_MAX_LENGTH = 100;
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

/** The longest overlap a rotation may ask for, in seconds: 7 days (admin/webhooks.ts's too). */
export const ROTATION_OVERLAP_MAX_SECONDS = 7 * 24 * 3600;

/** `overlap_seconds` as a number of seconds; undefined when it is not one from 0 to 7 days. */
export function overlapSecondsOf(value: number | string): number | undefined {
  const seconds = typeof value === "string" ? (/^\d{1,7}$/.test(value) ? Number(value) : Number.NaN) : value;
  return Number.isInteger(seconds) && seconds >= 0 && seconds <= ROTATION_OVERLAP_MAX_SECONDS
    ? seconds
    : undefined;
}

export const DELIVERY_STATUSES = [
  "pending",
  "delivered",
  "failed",
  "not_attempted",
  "not_subscribed",
] as const;

export const API_KEY_STATUSES = ["active", "revoked"] as const;
