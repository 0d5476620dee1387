/**
 * The request bodies of the tenant's self-service routes (docs/spec.md, "Self-service: webhook
 * endpoints and API keys"): a new endpoint, an endpoint's update, a rotation, a new API key. Only
 * the functions that take a body load this module (self-service.ts says why). The URL rules of an
 * endpoint are tenant-webhooks/endpoint-url.ts's, checked after these shapes and still before any
 * I/O.
 */
import * as z from "zod/mini";
import {
  API_KEY_NAME_MAX_LENGTH,
  DESCRIPTION_MAX_LENGTH,
  overlapSecondsOf,
  ROTATION_OVERLAP_MAX_SECONDS,
} from "./self-service.ts";
import { WEBHOOK_EVENT_TYPES } from "./tenant-api.ts";
import { hasUnprintable } from "./unprintable.ts";

/** A URL longer than this is refused by the URL rules with their own message; the schema only caps what is read. */
const URL_READ_LIMIT = 8_192;

/** Printable text of 1 to `max` characters: no control, C1 or bidirectional character (a line break included). */
function label(max: number) {
  return z
    .string()
    .check(
      z.refine(
        (value) => value.trim() !== "" && value.length <= max && !hasUnprintable(value),
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
      },
    ),
  );
export type UpdateEndpointBody = z.output<typeof updateEndpointBodySchema>;

/** `POST /v1/api_keys`: a name to recognise the key by. */
export const createApiKeyBodySchema = z.object({ name: z.optional(label(API_KEY_NAME_MAX_LENGTH)) });
export type CreateApiKeyBody = z.infer<typeof createApiKeyBodySchema>;

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
