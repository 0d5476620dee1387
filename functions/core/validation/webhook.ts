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

/** The object whose changes this service applies; one Meta app may deliver others to the same URL. */
export const WHATSAPP_OBJECT = "whatsapp_business_account";

/** A delivery as Meta documents it (the OpenAPI document's shape). */
export const webhookPayloadSchema = z.looseObject({
  object: z.literal(WHATSAPP_OBJECT),
  entry: z.array(webhookEntrySchema),
});

/**
 * What a delivery is parsed with: the envelope only. Entries are checked one by one
 * (webhookEntrySchema), so one malformed entry never keeps the valid ones from being applied.
 */
export const webhookEnvelopeSchema = z.looseObject({
  object: z.literal(WHATSAPP_OBJECT),
  entry: z.array(z.unknown()),
});
export type WebhookEnvelope = z.infer<typeof webhookEnvelopeSchema>;
export type WebhookEntry = z.infer<typeof webhookEntrySchema>;

/**
 * A delivery for another product of the same Meta app (`"object": "page"`, `"instagram"`...): one
 * app may send several products to one callback URL, and each is acknowledged and ignored.
 */
export const otherObjectPayloadSchema = z.looseObject({
  object: z.string().check(z.refine((object) => object !== WHATSAPP_OBJECT)),
});

export const usernameUpdateValueSchema = z.looseObject({
  display_phone_number: z.string().check(z.regex(/\d/, "display_phone_number must contain digits")),
  /**
   * Omitted when status is `deleted`. Meta is the judge of names, so any text is taken, but not
   * control characters or more than 100 characters: no name Meta gives looks like that.
   */
  username: z.optional(
    z
      .string()
      .check(
        z.minLength(1),
        z.maxLength(100),
        z.regex(/^[^\p{Cc}]*$/u, "username must not contain control characters"),
      ),
  ),
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
