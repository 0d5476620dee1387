/**
 * Schema failures read as sentences a caller can act on: a missing field is "required", a value
 * of the wrong kind says what it must be, never zod/mini's bare "Invalid input".
 */
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { describeIssues } from "../../functions/core/validation/issues.ts";

const schema = z.object({
  url: z.string(),
  limit: z.optional(z.number()),
  nested: z.optional(z.object({ flag: z.boolean() })),
  tags: z.optional(z.array(z.string())),
});

function described(input: unknown): string {
  const result = schema.safeParse(input);
  if (result.success) throw new Error("expected a failure");
  return describeIssues(result.error, input);
}

describe("describeIssues", () => {
  it.each([
    [{}, "url: is required"],
    [{ url: 123 }, "url: must be a string"],
    [{ url: "x", limit: "ten" }, "limit: must be a number"],
    [{ url: "x", nested: {} }, "nested.flag: is required"],
    [{ url: "x", nested: { flag: "yes" } }, "nested.flag: must be true or false"],
    [{ url: "x", tags: "a" }, "tags: must be an array"],
    [{ url: "x", tags: ["a", 1] }, "tags.1: must be a string"],
    [[], "must be an object"],
  ])("%j → %s", (input, expected) => {
    expect(described(input)).toBe(expected);
    expect(described(input)).not.toContain("Invalid input");
  });

  it.each([
    [z.union([z.number(), z.string()]), null, "value: must be a number or a string"],
    [z.union([z.literal(""), z.string().check(z.minLength(1))]), null, "value: must be a string"],
    [z.union([z.array(z.string()), z.string()]), 7, "value: must be an array or a string"],
    [
      z.union([z.literal(""), z.string().check(z.refine((v) => !v.includes("!"), "must not shout"))]),
      "hey!",
      "value: must not shout",
    ],
  ])("a union says what each of its kinds is (%#)", (member, value, expected) => {
    const union = z.object({ value: z.optional(member) });
    const result = union.safeParse({ value });
    expect(result.success).toBe(false);
    if (!result.success) expect(describeIssues(result.error, { value })).toBe(expected);
  });

  it("keeps a rule's own message", () => {
    const ruled = z.object({ name: z.string().check(z.minLength(2, "must have 2 characters or more")) });
    const result = ruled.safeParse({ name: "a" });
    expect(result.success).toBe(false);
    if (!result.success)
      expect(describeIssues(result.error, { name: "a" })).toBe("name: must have 2 characters or more");
  });
});
