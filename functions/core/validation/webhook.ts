/**
 * Meta's webhook payloads (docs/spec.md, "Deliveries"). Loose objects throughout: Meta adds properties without
 * notice (`context: "revoked"` was one), and an unknown property must never fail a delivery.
 */
import * as z from "zod/mini";

/** Both spellings Meta's documents use for the same field. */
export const USERNAME_UPDATE_FIELDS = ["business_username_updates", "business_username_update"] as const;

export const webhookChangeSchema = z.looseObject({
  field: z.string(),
  value: z.optional(z.unknown()),
});

export const webhookEntrySchema = z.looseObject({
  /** The WABA id. */
  id: z.string(),
  /** Unix seconds. Message webhooks omit it; username updates carry it. */
  time: z.optional(z.number()),
  changes: z.optional(z.array(webhookChangeSchema)),
});

export const webhookPayloadSchema = z.looseObject({
  object: z.literal("whatsapp_business_account"),
  entry: z.array(webhookEntrySchema),
});
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

export const usernameUpdateValueSchema = z.looseObject({
  display_phone_number: z.string().check(z.regex(/\d/, "display_phone_number must contain digits")),
  /** Omitted when status is `deleted`. */
  username: z.optional(z.string()),
  /** `approved`, `reserved`, `deleted`, or a value Meta adds later (stored as given). */
  status: z.string().check(z.minLength(1)),
  /** e.g. `revoked`. */
  context: z.optional(z.string()),
});
export type UsernameUpdateValue = z.infer<typeof usernameUpdateValueSchema>;

export const webhookVerificationQuerySchema = z.object({
  "hub.mode": z.literal("subscribe"),
  "hub.verify_token": z.string(),
  "hub.challenge": z.string(),
});
