/**
 * Operator actions (admin CLI, local seeding, tests): tenants, API keys and phone numbers.
 * Never reachable from the HTTP API.
 */
import { generateApiKey, hashApiKey } from "../auth/api-keys.ts";
import { encryptToken } from "../crypto/token-cipher.ts";
import { createApiKeyRecord } from "../store/api-keys.ts";
import { createPhone, type NewPhone, type PhoneRecord, setPhoneToken } from "../store/phones.ts";

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

export interface PhoneRegistration extends Omit<NewPhone, "accessTokenEncrypted"> {
  accessToken: string;
}

export function registerPhone({ accessToken, ...phone }: PhoneRegistration): Promise<PhoneRecord> {
  return createPhone({ ...phone, accessTokenEncrypted: encryptToken(accessToken, phone.phoneNumberId) });
}

export function replacePhoneToken(phoneNumberId: string, accessToken: string): Promise<boolean> {
  return setPhoneToken(phoneNumberId, encryptToken(accessToken, phoneNumberId));
}
