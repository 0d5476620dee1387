import type { z } from "zod/mini";

/**
 * One readable sentence from a schema failure: every issue, with the field it concerns. A value
 * of the wrong kind says what it must be, and a missing one that it is required, instead of
 * zod's bare "Invalid input" (zod/mini loads no messages); `input` is what was parsed, to tell
 * the two apart.
 */
export function describeIssues(error: z.core.$ZodError, input?: unknown): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.map(String).join(".");
      const message =
        issue.code === "invalid_type"
          ? typeMessage(issue, input)
          : issue.code === "invalid_union"
            ? unionMessage(issue)
            : issue.message;
      return field && !message.startsWith(field) ? `${field}: ${message}` : message;
    })
    .join("; ");
}

const KINDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "an array",
  object: "an object",
};

function typeMessage(issue: z.core.$ZodIssueInvalidType, input: unknown): string {
  if (issue.message !== "Invalid input") return issue.message;
  const parent = valueAt(input, issue.path.slice(0, -1));
  const key = issue.path.at(-1);
  const missing =
    issue.path.length > 0 &&
    typeof parent === "object" &&
    parent !== null &&
    (key === undefined || (parent as Record<PropertyKey, unknown>)[key as PropertyKey] === undefined);
  if (missing) return "is required";
  const kind = KINDS[issue.expected];
  return kind ? `must be ${kind}` : issue.message;
}

/**
 * A value none of a union's members takes. When one member took its kind but broke a rule of its
 * own, that rule's message ("must be 1 to 256 printable characters"); otherwise what each member
 * expected ("must be a number or a string"; a member that is a string literal is one more
 * string); zod's own message when neither tells.
 */
function unionMessage(issue: z.core.$ZodIssueInvalidUnion): string {
  if (issue.message !== "Invalid input") return issue.message;
  const ruled = issue.errors
    .flat()
    .find((inner) => inner.code !== "invalid_type" && inner.code !== "invalid_value");
  if (ruled) return ruled.message;
  const kinds: string[] = [];
  for (const inner of issue.errors.flat()) {
    const kind =
      inner.code === "invalid_type"
        ? KINDS[inner.expected]
        : inner.code === "invalid_value" && inner.values.every((value) => typeof value === "string")
          ? KINDS.string
          : undefined;
    if (!kind || inner.path.length > 0) return issue.message;
    if (!kinds.includes(kind)) kinds.push(kind);
  }
  return kinds.length > 0 ? `must be ${kinds.join(" or ")}` : issue.message;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
