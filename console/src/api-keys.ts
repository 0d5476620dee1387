/**
 * The API keys page's logic without a browser: the checks of a new key's name before sending, and
 * how messages and buttons name a key.
 */
import type { ApiKey } from "./api/client.ts";
import { hasUnprintable } from "./format.ts";

/** The service's limit on a key's name (docs/spec.md, "Self-service: webhook endpoints and API keys"). */
export const API_KEY_NAME_MAX_LENGTH = 100;

/** What is wrong with a new key's name before sending (undefined: send it; empty: no name). */
export function apiKeyNameProblem(name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed.length > API_KEY_NAME_MAX_LENGTH)
    return `A name has at most ${API_KEY_NAME_MAX_LENGTH} characters (this one has ${trimmed.length}).`;
  if (hasUnprintable(trimmed)) return "The name has a character that cannot be printed.";
  return undefined;
}

/** A key as buttons and messages name it: its name, else its id. */
export function apiKeyLabel(key: Pick<ApiKey, "id" | "name">): string {
  return key.name ? `${key.name} (${key.id})` : key.id;
}
