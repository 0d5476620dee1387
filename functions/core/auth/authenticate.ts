import { config } from "../config.ts";
import { graphErrors } from "../http/graph-error.ts";
import { getApiKeyByHash } from "../store/api-keys.ts";
import { hashApiKey, looksLikeApiKey, presentedApiKey, sameHash } from "./api-keys.ts";

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

export async function authenticate(headers: Record<string, string | undefined>): Promise<Caller> {
  const apiKey = presentedApiKey(headers);
  // A malformed key cannot exist: refuse it without a storage read.
  if (!apiKey || !looksLikeApiKey(apiKey)) throw graphErrors.invalidApiKey();
  const keyHash = hashApiKey(apiKey);

  const cached = cache.get(keyHash);
  if (cached && cached.expiresAt > Date.now()) return cached.caller;
  cache.delete(keyHash);

  const record = await getApiKeyByHash(keyHash);
  if (!record || record.revokedAt || !sameHash(record.keyHash, keyHash)) throw graphErrors.invalidApiKey();

  const caller = { tenantId: record.tenantId, keyId: record.id };
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
