import * as z from "zod/mini";

/** Meta's Graph API error envelope: every error this service answers itself has this shape. */
export const graphErrorSchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    code: z.number(),
    error_subcode: z.optional(z.number()),
    is_transient: z.optional(z.boolean()),
    error_data: z.optional(
      z.object({
        messaging_product: z.literal("whatsapp"),
        details: z.string(),
      }),
    ),
    fbtrace_id: z.optional(z.string()),
  }),
});

export type GraphErrorBody = z.infer<typeof graphErrorSchema>;

/**
 * What counts as an error answer from Meta: a JSON object whose `error` is an object, whatever
 * else either holds. Meta's real errors vary (no `type`, `error_data` as a JSON string or without
 * `messaging_product`, extra fields), and each is passed on to the client untouched, so nothing
 * beyond the envelope is required; the two fields the proxy acts on are read only when well typed.
 */
export const metaErrorEnvelopeSchema = z.looseObject({
  error: z.looseObject({
    code: z.optional(z.unknown()),
    is_transient: z.optional(z.unknown()),
  }),
});

export type MetaErrorEnvelope = z.infer<typeof metaErrorEnvelopeSchema>;

/**
 * Graph error codes that mean "throttled": application (4), user (17), page (32), custom (613)
 * and WhatsApp Business (80007, 130429, 131056) rate limits. An answer with one of them (or HTTP
 * 429) is never retried by the proxy, and never stored as an Idempotency-Key's final answer.
 */
export const THROTTLING_CODES: ReadonlySet<number> = new Set([4, 17, 32, 613, 80007, 130429, 131056]);

/** The `error` object of a Meta answer's parsed body, or undefined when it is not an error envelope. */
export function metaErrorOf(json: unknown): MetaErrorEnvelope["error"] | undefined {
  const parsed = metaErrorEnvelopeSchema.safeParse(json);
  return parsed.success ? parsed.data.error : undefined;
}

/** HTTP 429, or a Graph throttling code whatever the status it came with. */
export function isThrottling(status: number, error: MetaErrorEnvelope["error"] | undefined): boolean {
  return status === 429 || (typeof error?.code === "number" && THROTTLING_CODES.has(error.code));
}
