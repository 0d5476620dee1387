/**
 * Schemas of the tenant read API (`/v1`): path and query parameters, the phone number object and
 * the username change event (the same object in the change feed, the history and the webhooks).
 * Edge types are `z.infer` of these; openapi/document.ts documents them from here.
 */
import * as z from "zod/mini";
import { PHONE_NUMBER_ID_PATTERN } from "./username-request.ts";

export const CHANGE_SOURCES = ["api", "webhook", "reconcile", "transfer"] as const;

export const phoneNumberPathSchema = z.object({
  phone_number_id: z
    .string()
    .check(z.regex(PHONE_NUMBER_ID_PATTERN, "phone_number_id must be 1 to 20 digits")),
});

export const PAGE_LIMIT_DEFAULT = 25;
export const PAGE_LIMIT_MAX = 100;
/** Generous: a cursor is a short base64url token; anything longer is not ours. */
const CURSOR_MAX_LENGTH = 200;

const cursorSchema = z
  .string()
  .check(z.minLength(1, "must not be empty"), z.maxLength(CURSOR_MAX_LENGTH, "is not a cursor"));

/** `limit`, `after`, `before` (one cursor at most); other query parameters are ignored, as Graph does. */
export const pageQuerySchema = z
  .object({
    limit: z.optional(
      z.string().check(
        // One check, so a bad value is described once.
        z.refine(
          (value) => /^\d{1,3}$/.test(value) && Number(value) >= 1 && Number(value) <= PAGE_LIMIT_MAX,
          `limit must be an integer from 1 to ${PAGE_LIMIT_MAX}`,
        ),
      ),
    ),
    after: z.optional(cursorSchema),
    before: z.optional(cursorSchema),
  })
  .check(
    z.refine((query) => !(query.after !== undefined && query.before !== undefined), {
      message: "send either after or before, not both",
      path: ["before"],
    }),
  );
export type PageQuery = z.infer<typeof pageQuerySchema>;

/** A phone number of the caller's tenant and its recorded username state. */
export const phoneNumberSchema = z.object({
  id: z.string(),
  display_phone_number: z.string(),
  waba_id: z.string(),
  business_id: z.string(),
  username: z.optional(z.string()),
  username_status: z.optional(z.string()),
  username_updated_time: z.optional(z.string()),
  username_source: z.optional(z.enum(CHANGE_SOURCES)),
});
export type PhoneNumber = z.infer<typeof phoneNumberSchema>;

export const USERNAME_CHANGE_EVENT_TYPE = "username.updated";

/**
 * The event types a tenant's webhook endpoint subscribes to (docs/spec.md, "Event types"):
 * `username.updated`, every change (the change feed's one type); `username.changed_outside`, only
 * the changes whose `origin` is `outside`, sent with that type. An endpoint subscribed to both
 * receives each event once, as `username.updated`.
 */
export const WEBHOOK_EVENT_TYPES = [USERNAME_CHANGE_EVENT_TYPE, "username.changed_outside"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** What an endpoint that never chose receives (every endpoint made before types existed too). */
export const DEFAULT_WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = [USERNAME_CHANGE_EVENT_TYPE];

/**
 * Who made a change (docs/reliability.md, "Who changed it"): `this_service`, `outside`, or
 * `unknown` for changes recorded before origins were (never guessed).
 */
export const CHANGE_ORIGINS = ["this_service", "outside", "unknown"] as const;

/** One change of a number's username state. */
export const usernameChangeEventSchema = z.object({
  id: z.string(),
  /** `username.updated` in the feed; a webhook carries the type its endpoint subscribed to. */
  type: z.enum(WEBHOOK_EVENT_TYPES),
  created_time: z.string(),
  data: z.object({
    phone_number_id: z.string(),
    waba_id: z.string(),
    display_phone_number: z.string(),
    username: z.optional(z.string()),
    status: z.optional(z.string()),
    previous: z.object({ username: z.optional(z.string()), status: z.optional(z.string()) }),
    source: z.enum(CHANGE_SOURCES),
    origin: z.enum(CHANGE_ORIGINS),
    /** The API key id whose request made the change, for `this_service`. */
    requested_by: z.optional(z.string()),
    context: z.optional(z.string()),
    transferred_to: z.optional(z.string()),
    transferred_from: z.optional(z.string()),
  }),
});
export type UsernameChangeEvent = z.infer<typeof usernameChangeEventSchema>;

/**
 * The event with its fields in the schema's order, absent ones left out: what a stored copy
 * (DynamoDB keeps no order of map keys) is turned back into before it is sent or listed. A copy
 * stored before origins (or types) existed reads `origin: "unknown"` (`type: "username.updated"`).
 */
export function inSchemaOrder(event: UsernameChangeEvent): UsernameChangeEvent {
  const pick = <T extends object>(source: T, fields: readonly (keyof T)[]): T =>
    Object.fromEntries(
      fields.filter((f) => source[f] !== undefined && source[f] !== null).map((f) => [f, source[f]]),
    ) as T;
  const data = pick(event.data, [
    "phone_number_id",
    "waba_id",
    "display_phone_number",
    "username",
    "status",
    "previous",
    "source",
    "origin",
    "requested_by",
    "context",
    "transferred_to",
    "transferred_from",
  ]);
  data.previous = pick(event.data.previous ?? {}, ["username", "status"]);
  // Events stored before origins were recorded (0.3) say so: `unknown`, never a guess.
  if (!data.origin) data.origin = "unknown";
  return { id: event.id, type: event.type ?? "username.updated", created_time: event.created_time, data };
}

/** Graph's paging envelope: `data`, then cursors and the URLs of the neighbouring pages. */
export function pageSchema<T extends z.ZodMiniType>(item: T) {
  return z.object({
    data: z.array(item),
    paging: z.object({
      cursors: z.object({ before: z.optional(z.string()), after: z.optional(z.string()) }),
      next: z.optional(z.string()),
      previous: z.optional(z.string()),
    }),
  });
}
