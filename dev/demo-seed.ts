/**
 * The demo data `npm start` puts into an empty store, and the step that makes the in-memory
 * Meta sandbox know every stored phone number again after a restart.
 */
import { randomBytes } from "node:crypto";
import { issueApiKey, registerPhone } from "../functions/core/admin/admin.ts";
import { decryptToken } from "../functions/core/crypto/token-cipher.ts";
import { listPhones, listTenants } from "../functions/core/store/phones.ts";
import type { MetaSandbox } from "./meta-sandbox/index.ts";

export const DEMO_TENANT_ID = "demo";
/** Meta's own example business: the sandbox derives username suggestions from this name. */
const DEMO_DISPLAY_NAME = "Lucky Shrub";

/** Two numbers of one business portfolio (and one WABA), so force_transfer can be tried. */
export const DEMO_PHONES = [
  { phoneNumberId: "100000000000001", displayPhoneNumber: "15550100001" },
  { phoneNumberId: "100000000000002", displayPhoneNumber: "15550100002" },
].map((phone) => ({ ...phone, wabaId: "200000000000001", businessId: "300000000000001" }));

export interface DemoSeed {
  tenantId: string;
  apiKey: string;
  keyId: string;
  phones: typeof DEMO_PHONES;
}

/** Seeds the demo tenant when the store has no tenant at all; returns the tenants otherwise. */
export async function seedDemoIfEmpty(
  sandbox: MetaSandbox | undefined,
): Promise<{ seeded: DemoSeed } | { tenants: string[] }> {
  const tenants = await listTenants();
  if (tenants.length > 0) return { tenants };
  const [key] = await Promise.all([
    issueApiKey(DEMO_TENANT_ID, "npm start demo"),
    ...DEMO_PHONES.map(async (phone) => {
      // A dev-only stand-in for a Meta access token; the sandbox accepts exactly this one.
      const accessToken = `EAAG${randomBytes(24).toString("hex")}`;
      await registerPhone({ tenantId: DEMO_TENANT_ID, ...phone, accessToken });
      sandbox?.addPhone({ ...phone, accessToken, displayName: DEMO_DISPLAY_NAME });
    }),
  ]);
  return { seeded: { tenantId: DEMO_TENANT_ID, apiKey: key.apiKey, keyId: key.id, phones: DEMO_PHONES } };
}

/**
 * Registers every stored phone number in the sandbox, with its own token and stored username,
 * so a persisted store keeps working against a freshly started (empty) sandbox. Returns how
 * many were registered and which could not be (token sealed under another encryption key).
 */
export async function registerStoredPhonesInSandbox(
  sandbox: MetaSandbox,
): Promise<{ registered: number; unreadable: string[] }> {
  let registered = 0;
  const unreadable: string[] = [];
  for (const tenantId of await listTenants()) {
    for (const phone of await listPhones(tenantId)) {
      let accessToken: string;
      try {
        accessToken = decryptToken(phone.accessTokenEncrypted, phone.phoneNumberId);
      } catch {
        unreadable.push(phone.phoneNumberId);
        continue;
      }
      sandbox.addPhone({
        phoneNumberId: phone.phoneNumberId,
        accessToken,
        wabaId: phone.wabaId,
        businessId: phone.businessId,
        displayPhoneNumber: phone.displayPhoneNumber,
        displayName: DEMO_DISPLAY_NAME,
        ...(phone.username ? { username: phone.username } : {}),
        ...(phone.status ? { status: phone.status } : {}),
      });
      registered += 1;
    }
  }
  return { registered, unreadable };
}
