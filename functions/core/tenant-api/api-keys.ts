/**
 * The tenant's own API keys under `/v1/api_keys` (docs/spec.md, "Self-service: webhook endpoints
 * and API keys"): list them (never a key or its hash), make one (shown once), revoke one, on the
 * operator's code underneath (admin/admin.ts). A tenant never revokes its last active key; another
 * tenant's key answers exactly like an unknown id (400 code 33, after the same single read of the
 * caller's own key index).
 */
import {
  ApiKeyContentionError,
  ApiKeyLimitError,
  issueTenantApiKey,
  LastActiveApiKeyError,
  revokeTenantApiKey,
  tenantApiKeysPage,
  UnknownApiKeyError,
} from "../admin/admin.ts";
import { clearApiKeyCache } from "../auth/authenticate.ts";
import { graphErrors } from "../errors/graph-error.ts";
import type { TenantApiKeyEntry } from "../store/api-keys.ts";
import { API_KEY_ID_PATTERN, type ApiKeyPath } from "../validation/self-service.ts";
import type { CreateApiKeyBody } from "../validation/self-service-bodies.ts";
import type { ApiKeyView } from "../validation/self-service-views.ts";
import { envelope, parsePageRequest } from "./paging.ts";
import type { TenantRequest } from "./tenant-request.ts";

/**
 * What the tenant sees of a key: never the key, never its hash; `current` when it is the key the
 * request was made with (`callerKeyId`), so a person can tell which key their own session uses.
 */
export function apiKeyView(
  entry: Omit<TenantApiKeyEntry, "keyHash" | "tenantId">,
  callerKeyId: string,
): ApiKeyView {
  return {
    id: entry.id,
    ...(entry.name ? { name: entry.name } : {}),
    created_time: entry.createdAt,
    ...(entry.lastUsedAt ? { last_used_time: entry.lastUsedAt } : {}),
    status: entry.revokedAt ? "revoked" : "active",
    ...(entry.revokedAt ? { revoked_time: entry.revokedAt } : {}),
    current: entry.id === callerKeyId,
  };
}

const keyPosition = (position: string) => (API_KEY_ID_PATTERN.test(position) ? position : undefined);

/** `GET /v1/api_keys`: the tenant's keys, active and revoked, by id, paged (one Query per page). */
export async function listApiKeys({ caller, event }: TenantRequest<unknown>) {
  const of = { listing: "api_keys", scope: caller.tenantId } as const;
  const page = parsePageRequest(event, of, keyPosition);
  const { entries, more, cursorHeld } = await tenantApiKeysPage(caller.tenantId, page);
  const backwards = page.before !== undefined;
  return envelope({
    event,
    of,
    limit: page.limit,
    data: entries.map((entry) => apiKeyView(entry, caller.keyId)),
    ...(entries[0] ? { first: entries[0].id } : {}),
    ...(entries.at(-1) ? { last: (entries.at(-1) as TenantApiKeyEntry).id } : {}),
    hasNext: backwards ? cursorHeld : more,
    hasPrevious: backwards ? more : cursorHeld,
  });
}

/** `POST /v1/api_keys`: a new key of the caller's tenant, in this answer only. */
export async function createApiKey({ caller, body }: TenantRequest<unknown, CreateApiKeyBody>) {
  try {
    const { record, apiKey } = await issueTenantApiKey(caller.tenantId, body.name);
    return { ...apiKeyView(record, caller.keyId), key: apiKey };
  } catch (error) {
    if (error instanceof ApiKeyLimitError) {
      throw graphErrors.invalidParameter(
        `This tenant has ${error.limit} active API keys, the most it may have: revoke one first`,
        "revoke a key you no longer use (DELETE /v1/api_keys/{id}) before creating another",
      );
    }
    throw error;
  }
}

/**
 * `DELETE /v1/api_keys/{id}`: revokes the key, the caller's own included while another key of
 * the tenant stays active. This container forgets every key it trusted, so the revoked one is
 * refused here at once; other containers trust a key they looked up for at most
 * API_KEY_CACHE_TTL_MS (60 s).
 */
export async function revokeApiKey({ caller, path }: TenantRequest<ApiKeyPath>) {
  try {
    await revokeTenantApiKey(caller.tenantId, path.id, caller.keyId);
  } catch (error) {
    if (error instanceof UnknownApiKeyError) throw graphErrors.objectNotAccessible(path.id);
    if (error instanceof LastActiveApiKeyError) {
      throw graphErrors.invalidParameter(
        "Cannot revoke the tenant's last active API key: create another key first",
        "create a key (POST /v1/api_keys), use it, then revoke this one",
      );
    }
    if (error instanceof ApiKeyContentionError) {
      throw graphErrors.upstreamUnavailable(
        503,
        "other changes to this tenant's API keys are in progress: retry",
      );
    }
    throw error;
  }
  // The cache holds keys by hash: forgetting them all is how the revoked one goes at once.
  clearApiKeyCache();
  return { success: true as const };
}
