/**
 * Operator actions (admin CLI, local seeding, tests) on tenants and API keys; phone numbers are
 * admin/numbers.ts. Never reachable from the HTTP API.
 */
import { generateApiKey, hashApiKey } from "../auth/api-keys.ts";
import { createApiKeyRecord } from "../store/api-keys.ts";

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
