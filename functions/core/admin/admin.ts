/**
 * Operator actions (admin CLI, local seeding, tests): tenants, API keys and phone numbers.
 * Never reachable from the HTTP API.
 */
import { generateApiKey, hashApiKey } from "../auth/api-keys.ts";
import { decryptToken, encryptToken, sealedUnderCurrentKey } from "../crypto/token-cipher.ts";
import { createApiKeyRecord } from "../store/api-keys.ts";
import { createPhone, listPhones, listTenants, setPhoneToken } from "../store/phones.ts";
import type { NewPhone, PhoneRecord } from "../username-state/records.ts";

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

export interface ReencryptionReport {
  phones: number;
  reencrypted: string[];
  /** Numbers whose token opens under neither key (or changed meanwhile): fix with `phone set-token`. */
  failed: string[];
}

/**
 * Key rotation, step two (docs/deploy.md): every token not yet sealed under the current key is
 * decrypted (current or previous key) and sealed again under the current one. Idempotent: a
 * second run finds nothing to do.
 */
export async function reencryptAllTokens(): Promise<ReencryptionReport> {
  const report: ReencryptionReport = { phones: 0, reencrypted: [], failed: [] };
  for (const tenantId of await listTenants()) {
    for (const phone of await listPhones(tenantId)) {
      report.phones++;
      const { phoneNumberId, accessTokenEncrypted: sealed } = phone;
      if (sealedUnderCurrentKey(sealed, phoneNumberId)) continue;
      try {
        const resealed = encryptToken(decryptToken(sealed, phoneNumberId), phoneNumberId);
        if (await setPhoneToken(phoneNumberId, resealed, sealed)) report.reencrypted.push(phoneNumberId);
        else report.failed.push(phoneNumberId);
      } catch {
        report.failed.push(phoneNumberId);
      }
    }
  }
  return report;
}
