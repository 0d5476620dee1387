import { config } from "../config.ts";
import { graphErrors } from "../errors/graph-error.ts";
import { type ApiKeyRecord, getApiKeyAndPhone, getApiKeyByHash } from "../store/api-keys.ts";
import type { PhoneRecord } from "../username-state/records.ts";
import { hashApiKey, looksLikeApiKey, presentedApiKey, sameHash } from "./api-keys.ts";
import { noteApiKeyUse } from "./key-use.ts";

export interface Caller {
  tenantId: string;
  keyId: string;
}

/**
 * Valid keys are cached per container for `API_KEY_CACHE_TTL_MS` (default 60 s) so a warm GET
 * costs one DynamoDB read. The price: a revoked key keeps working on a warm container for at
 * most that long. Unknown and revoked keys are never cached.
 */
const cache = new Map<string, { caller: Caller; expiresAt: number }>();
const CACHE_LIMIT = 1_000;

/** The caller the request's key stands for (`presentedApiKey`), or the 401 for none or a bad one. */
export async function authenticate(
  headers: Record<string, string | undefined>,
  accessToken?: string,
): Promise<Caller> {
  const keyHash = presentedKeyHash(headers, accessToken);
  return cachedCaller(keyHash) ?? admit(keyHash, await getApiKeyByHash(keyHash));
}

export interface CallerAndPhone {
  caller: Caller;
  /**
   * The phone number the request names, when it was read with the key (a key not in the cache:
   * one BatchGetItem for both); `null` when read and absent, undefined when not read.
   */
  phone?: PhoneRecord | null;
}

/** `authenticate`, reading the request's phone number in the same round trip as an uncached key. */
export async function authenticateFor(
  headers: Record<string, string | undefined>,
  phoneNumberId: string,
  accessToken?: string,
): Promise<CallerAndPhone> {
  const keyHash = presentedKeyHash(headers, accessToken);
  const cached = cachedCaller(keyHash);
  if (cached) return { caller: cached };
  const { apiKey, phone } = await getApiKeyAndPhone(keyHash, phoneNumberId);
  return { caller: admit(keyHash, apiKey), phone: phone ?? null };
}

function presentedKeyHash(headers: Record<string, string | undefined>, accessToken?: string): string {
  const apiKey = presentedApiKey(headers, accessToken);
  if (!apiKey) throw graphErrors.invalidApiKey("missing");
  // A malformed key cannot exist: refuse it without a storage read.
  if (!looksLikeApiKey(apiKey)) throw graphErrors.invalidApiKey();
  return hashApiKey(apiKey);
}

function cachedCaller(keyHash: string): Caller | undefined {
  const cached = cache.get(keyHash);
  if (cached && cached.expiresAt > Date.now()) return cached.caller;
  cache.delete(keyHash);
  return undefined;
}

/** The caller a stored key record stands for (then cached), or the 401 for a missing or revoked key. */
function admit(keyHash: string, record: ApiKeyRecord | undefined): Caller {
  if (!record || record.revokedAt || !sameHash(record.keyHash, keyHash)) throw graphErrors.invalidApiKey();

  const caller = { tenantId: record.tenantId, keyId: record.id };
  noteApiKeyUse(caller);
  const ttl = config.apiKeyCacheTtlMs();
  if (ttl > 0) {
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(keyHash, { caller, expiresAt: Date.now() + ttl });
  }
  return caller;
}

/** For tests: forget cached keys. */
export function clearApiKeyCache(): void {
  cache.clear();
}
