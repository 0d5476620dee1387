/**
 * Operator actions (admin CLI, local seeding, tests) on tenants and API keys; phone numbers are
 * admin/numbers.ts. A tenant's own keys (listing, creating, revoking: the tenant API's
 * `/v1/api_keys`) are the tenant-scoped functions of the second part, which the CLI's `key list`
 * shares.
 */
import { generateApiKey, hashApiKey } from "../auth/api-keys.ts";
import { retryOnConflict } from "../concurrency.ts";
import { config } from "../config.ts";
import {
  ApiKeyListChangedError,
  type ApiKeyRecord,
  createApiKeyRecord,
  getTenantApiKeyEntry,
  indexLegacyApiKeys,
  revokeApiKey,
  revokeKeepingAnother,
  type TenantApiKeyEntry,
  type TenantApiKeyPage,
  tenantApiKeyEntries,
  tenantApiKeyPage,
} from "../store/api-keys.ts";

/** A tenant's key as its index holds it (`key list`, `GET /v1/api_keys`). */
export type { TenantApiKeyEntry };

export interface IssuedApiKey {
  id: string;
  tenantId: string;
  /** Shown once: only its hash is stored. */
  apiKey: string;
}

export async function issueApiKey(tenantId: string, name?: string): Promise<IssuedApiKey> {
  const { apiKey, id } = generateApiKey();
  await createApiKeyRecord({ id, tenantId, keyHash: hashApiKey(apiKey), ...(name ? { name } : {}) });
  return { id, tenantId, apiKey };
}

// --- A tenant's own keys (the tenant API, /v1, and `key list`) ----------------------------

/** The key id is not one of the tenant's keys: unknown, or another tenant's (the same to the caller). */
export class UnknownApiKeyError extends Error {
  override name = "UnknownApiKeyError";
  readonly keyId: string;
  constructor(keyId: string) {
    super(`no API key with id '${keyId}'`);
    this.keyId = keyId;
  }
}

/** Revoking it would leave the tenant without an active key. */
export class LastActiveApiKeyError extends Error {
  override name = "LastActiveApiKeyError";
  constructor() {
    super("cannot revoke the tenant's last active API key");
  }
}

/** The tenant holds as many active keys as it may (`limit`, API_KEYS_PER_TENANT). */
export class ApiKeyLimitError extends Error {
  override name = "ApiKeyLimitError";
  readonly limit: number;
  constructor(limit: number) {
    super(`the tenant has ${limit} active API keys already`);
    this.limit = limit;
  }
}

/** Revocations of the tenant's keys kept colliding (transaction conflicts): nothing changed, retry. */
export class ApiKeyContentionError extends Error {
  override name = "ApiKeyContentionError";
}

/** Every key of the tenant from its index (strongly consistent), indexing keys older than the index first. */
export async function tenantApiKeys(tenantId: string): Promise<TenantApiKeyEntry[]> {
  const read = await tenantApiKeyEntries(tenantId);
  if (read.indexed) return read.entries;
  await indexLegacyApiKeys(tenantId);
  return (await tenantApiKeyEntries(tenantId)).entries;
}

/**
 * A page of the tenant's keys by id (one strongly consistent Query); a first page of a tenant
 * whose index is not complete yet indexes its older keys first.
 */
export async function tenantApiKeysPage(
  tenantId: string,
  range: { limit: number; after?: string; before?: string },
): Promise<TenantApiKeyPage> {
  const page = await tenantApiKeyPage(tenantId, range);
  if (page.indexed || range.after !== undefined || range.before !== undefined) return page;
  await indexLegacyApiKeys(tenantId);
  return tenantApiKeyPage(tenantId, range);
}

/** A key made by the tenant itself: shown once, like `issueApiKey`'s, with its stored record. */
export interface IssuedTenantApiKey {
  record: ApiKeyRecord;
  /** Shown once: only its hash is stored. */
  apiKey: string;
}

/**
 * A new key for the tenant, unless it holds API_KEYS_PER_TENANT active keys already
 * (ApiKeyLimitError). The key commits only if the tenant's key list is still the one counted
 * (store: createApiKeyRecord's expectedListVersion), so requests creating keys at the same moment
 * cannot together pass the limit; ApiKeyContentionError when they kept colliding.
 */
export async function issueTenantApiKey(tenantId: string, name?: string): Promise<IssuedTenantApiKey> {
  const limit = config.apiKeysPerTenant();
  const { apiKey, id } = generateApiKey();
  const record = await retryOnConflict(
    limit + 8,
    (error) => error instanceof ApiKeyListChangedError,
    () => new ApiKeyContentionError("concurrent changes to the tenant's API keys: retry"),
    async () => {
      let read = await tenantApiKeyEntries(tenantId);
      if (!read.indexed) {
        await indexLegacyApiKeys(tenantId);
        read = await tenantApiKeyEntries(tenantId);
      }
      const { entries, listVersion } = read;
      if (entries.filter((entry) => !entry.revokedAt).length >= limit) throw new ApiKeyLimitError(limit);
      return createApiKeyRecord(
        { id, tenantId, keyHash: hashApiKey(apiKey), ...(name ? { name } : {}) },
        { touchTenant: false, expectedListVersion: listVersion },
      );
    },
  );
  return { record, apiKey };
}

const REVOCATION_ATTEMPTS = 8;

/**
 * Revokes one of the tenant's keys, never its last active one (LastActiveApiKeyError): the
 * revocation commits only together with the check that another key of the tenant is active at
 * that moment (store: revokeKeepingAnother), the caller's own key checked first when it is not
 * the one revoked. The first read is the key's entry in the tenant's own index, so another
 * tenant's key costs what an unknown id costs (UnknownApiKeyError for both). Revoking a revoked
 * key changes nothing.
 */
export async function revokeTenantApiKey(
  tenantId: string,
  keyId: string,
  callerKeyId?: string,
): Promise<void> {
  let { entry, indexed } = await getTenantApiKeyEntry(tenantId, keyId);
  if (!entry && !indexed) {
    await indexLegacyApiKeys(tenantId);
    ({ entry } = await getTenantApiKeyEntry(tenantId, keyId));
  }
  if (!entry) throw new UnknownApiKeyError(keyId);
  if (entry.revokedAt) return;
  const ruledOut = new Set([keyId]);
  for (let attempt = 0; attempt < REVOCATION_ATTEMPTS; attempt++) {
    const candidates = (await tenantApiKeyEntries(tenantId)).entries
      .filter((other) => !other.revokedAt && !ruledOut.has(other.id))
      .sort((a, b) => Number(b.id === callerKeyId) - Number(a.id === callerKeyId));
    const keep = candidates[0];
    if (!keep) throw new LastActiveApiKeyError();
    const outcome = await revokeKeepingAnother(tenantId, entry, keep);
    if (outcome === "revoked") return;
    if (outcome === "targetGone") throw new UnknownApiKeyError(keyId);
    if (outcome === "keptKeyInactive") ruledOut.add(keep.id);
    else await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));
  }
  throw new ApiKeyContentionError("concurrent changes to the tenant's API keys: retry");
}

/**
 * Revokes a key by id, whatever its tenant (the operator's `key revoke`; the operator may revoke a
 * tenant's last key, which a tenant cannot). Returns the revoked record, or undefined when no key
 * has that id; revoking twice keeps the first time.
 */
export function revokeApiKeyById(keyId: string): Promise<ApiKeyRecord | undefined> {
  return revokeApiKey(keyId);
}
