import * as z from "zod/mini";

/** Meta's Graph API error envelope: every error this service answers has this shape. */
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
