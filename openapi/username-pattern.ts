/**
 * The username format as one regular expression, for OpenAPI clients. The service checks the
 * rules one by one (functions/core/validation/username-format.ts) so it can name the rule a
 * name breaks; this pattern is built from the same constants and a unit test checks that the
 * two accept exactly the same names.
 */
import {
  FORBIDDEN_DOMAIN_SUFFIXES,
  USERNAME_MAX_LENGTH,
  USERNAME_MIN_LENGTH,
} from "../functions/core/validation/username-format.ts";

/** `com` -> `[cC][oO][mM]`: JSON Schema patterns have no case-insensitive flag. */
function anyCase(text: string): string {
  return [...text].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c)).join("");
}

export function usernamePattern(): string {
  return [
    "^",
    `(?!${anyCase("www")})`,
    "(?!\\.)",
    "(?!.*\\.$)",
    "(?!.*\\.\\.)",
    "(?=.*[A-Za-z])",
    `(?!.*\\.(?:${FORBIDDEN_DOMAIN_SUFFIXES.map(anyCase).join("|")})$)`,
    `[A-Za-z0-9._]{${USERNAME_MIN_LENGTH},${USERNAME_MAX_LENGTH}}`,
    "$",
  ].join("");
}
