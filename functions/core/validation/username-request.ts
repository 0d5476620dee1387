/** Schemas of the username API's requests and Meta's answers: the edge types come from here. */
import * as z from "zod/mini";
import { brokenUsernameRule } from "./username-format.ts";

export const GRAPH_VERSION_PATTERN = /^v\d{1,3}\.\d{1,3}$/;
export const PHONE_NUMBER_ID_PATTERN = /^\d{1,20}$/;

export const pathParametersSchema = z.object({
  version: z.string().check(z.regex(GRAPH_VERSION_PATTERN, "version must look like v24.0")),
  phone_number_id: z
    .string()
    .check(z.regex(PHONE_NUMBER_ID_PATTERN, "phone_number_id must be 1 to 20 digits")),
});
export type PathParameters = z.infer<typeof pathParametersSchema>;

/** What a value is, in the words of a JSON document (`null`, `array`, `object`, `number`...). */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

/** A required string parameter whose errors name the field: "username must be a string, not a number". */
function stringParameter(name: string) {
  return z.string({
    error: (issue) =>
      issue.input === undefined
        ? `${name} is required`
        : `${name} must be a string, not ${kindOf(issue.input)}`,
  });
}

export const usernameSchema = stringParameter("username").check(
  z.superRefine((name, ctx) => {
    const rule = brokenUsernameRule(name);
    if (rule)
      ctx.addIssue({ code: "custom", message: `username ${rule.message}`, params: { rule: rule.id } });
  }),
);

export const TRANSFER_ACTIONS = ["none", "force_transfer"] as const;
export const transferActionSchema = z.enum(TRANSFER_ACTIONS, {
  error: `transfer_action must be one of: ${TRANSFER_ACTIONS.join(", ")}`,
});

/** POST parameters (JSON, form or query string). Unknown fields are dropped (never forwarded to Meta). */
export const claimUsernameBodySchema = z.object({
  username: usernameSchema,
  transfer_action: z.optional(transferActionSchema),
});
export type ClaimUsernameBody = z.infer<typeof claimUsernameBodySchema>;

/**
 * Graph's `method` parameter on a POST (case-insensitive): `delete` makes it the path's DELETE and
 * `get` the path's GET, for clients that cannot send those methods (Go Graph clients read with
 * `POST …?method=GET`); `post` changes nothing.
 */
export const methodOverrideSchema = z.object({
  method: z.optional(
    z.string({ error: "method must be a string" }).check(
      z.toLowerCase(),
      z.refine(
        (value) => value === "post" || value === "delete" || value === "get",
        "method must be post, get or delete",
      ),
    ),
  ),
});

/** Meta's answers, loosely: unknown future statuses and extra fields pass through. */
export const usernameResponseSchema = z.looseObject({
  username: z.optional(z.string()),
  status: z.optional(z.string()),
});
export type UsernameResponse = z.infer<typeof usernameResponseSchema>;

export const claimResponseSchema = z.looseObject({ status: z.string() });
export type ClaimResponse = z.infer<typeof claimResponseSchema>;

export const deleteResponseSchema = z.looseObject({ success: z.boolean() });
export type DeleteResponse = z.infer<typeof deleteResponseSchema>;

export const suggestionsResponseSchema = z.looseObject({
  data: z.array(z.looseObject({ username_suggestions: z.array(z.string()) })),
});
export type SuggestionsResponse = z.infer<typeof suggestionsResponseSchema>;
