/**
 * The API keys page's logic without a browser: the checks of a new key's name before sending, and
 * how messages, buttons and a number's history name a key.
 */
import type { ApiKey, ConsoleApi, PageCursor } from "./api/client.ts";
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

/** The key that asked for a change, as the history names it: by its name where `keys` knows it, else its id. */
export function requesterLabel(id: string, keys: readonly Pick<ApiKey, "id" | "name">[] | undefined): string {
  const key = keys?.find((candidate) => candidate.id === id);
  return key ? apiKeyLabel(key) : id;
}

/**
 * The tenant's keys, active and revoked, read page by page (at most `maxPages` pages of 100): what
 * a number's history names its requesters from.
 */
export async function tenantApiKeys(api: Pick<ConsoleApi, "listApiKeys">, maxPages = 5): Promise<ApiKey[]> {
  const keys: ApiKey[] = [];
  let cursor: PageCursor;
  for (let i = 0; i < maxPages; i++) {
    const page = await api.listApiKeys(cursor, 100);
    keys.push(...page.data);
    const after = page.paging.cursors.after;
    if (!page.paging.next || !after) break;
    cursor = { after };
  }
  return keys;
}
