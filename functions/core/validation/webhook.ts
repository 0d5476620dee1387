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

/**
 * An id Meta gives (a WABA id: digits; kept lenient on letters, strict on length and charset):
 * it is stored and logged, so nothing that could carry a control sequence or fill an item.
 */
const META_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A word Meta uses as a value (`approved`, `reserved`, `deleted`, `revoked`, and those it adds
 * later, which are stored as given): a letter, then letters, digits, `_`, `.` or `-`.
 */
const metaWord = (max: number, what: string) =>
  z
    .string()
    .check(
      z.regex(
        new RegExp(`^[A-Za-z][A-Za-z0-9_.-]{0,${max - 1}}$`),
        `${what} must be a word of at most ${max} letters, digits, _ . or -`,
      ),
    );

export const webhookEntrySchema = z.looseObject({
  /** The WABA id. */
  id: z.string().check(z.regex(META_ID, "id must be 1 to 64 letters, digits, _ or -")),
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

/**
 * One `business_username_updates` value. Every field is stored (and shown to operators and
 * tenants), so each has a charset and a length: a change whose field breaks them is malformed
 * (counted, skipped), never the whole delivery (docs/spec.md, "Deliveries").
 */
export const usernameUpdateValueSchema = z.looseObject({
  /** Digits, with the spaces, `+`, `-`, `.` and parentheses Meta formats them with; at most 32 characters. */
  display_phone_number: z
    .string()
    .check(
      z.maxLength(32),
      z.regex(
        /^[+\d\s().-]*\d[+\d\s().-]*$/,
        "display_phone_number must be digits (with + - . ( ) or spaces)",
      ),
    ),
  /**
   * Omitted when status is `deleted`. Meta is the judge of names, so any text is taken, but not
   * control, format (bidi) or line-separator characters, nor more than 100 characters: no name
   * Meta gives looks like that.
   */
  username: z.optional(
    z
      .string()
      .check(
        z.minLength(1),
        z.maxLength(100),
        z.regex(/^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$/u, "username must not contain control or format characters"),
      ),
  ),
  /** `approved`, `reserved`, `deleted`, or a value Meta adds later (stored as given). */
  status: metaWord(40, "status"),
  /** e.g. `revoked`. */
  context: z.optional(metaWord(64, "context")),
});
export type UsernameUpdateValue = z.infer<typeof usernameUpdateValueSchema>;

export const webhookVerificationQuerySchema = z.object({
  "hub.mode": z.literal("subscribe"),
  "hub.verify_token": z.string(),
  "hub.challenge": z.string(),
});
