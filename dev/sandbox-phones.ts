/**
 * The Meta sandbox's view of the phone numbers in the service's store, for `npm start`: the
 * sandbox plays Meta, and Meta knows every number a tenant registers. At start every stored
 * number is registered in the (empty, in-memory) sandbox; while it runs, `storedPhoneSource`
 * lets the sandbox look up any number it does not know yet, or whose token changed, so numbers
 * registered or changed with the admin CLI work at once (meta-sandbox/phone-source.ts).
 */
import { decryptToken } from "../functions/core/crypto/token-cipher.ts";
import { getPhone, listPhones, listTenants } from "../functions/core/store/phones.ts";
import type { PhoneRecord } from "../functions/core/username-state/records.ts";
import type { MetaSandbox, PhoneSource, SandboxPhoneInput } from "../meta-sandbox/index.ts";

/** Meta's own example business: the sandbox derives username suggestions from this name. */
export const SANDBOX_DISPLAY_NAME = "Lucky Shrub";

/** The number as the sandbox's Meta knows it; undefined when its token does not decrypt here. */
export function sandboxPhoneOf(phone: PhoneRecord): SandboxPhoneInput | undefined {
  let accessToken: string;
  try {
    accessToken = decryptToken(phone.accessTokenEncrypted, phone.phoneNumberId);
  } catch {
    return undefined;
  }
  return {
    phoneNumberId: phone.phoneNumberId,
    accessToken,
    wabaId: phone.wabaId,
    businessId: phone.businessId,
    displayPhoneNumber: phone.displayPhoneNumber,
    displayName: SANDBOX_DISPLAY_NAME,
    ...(phone.username ? { username: phone.username } : {}),
    ...(phone.status ? { status: phone.status } : {}),
  };
}

/** Looks a number up in the store as it is now (a strongly consistent read: the CLI may have just written it). */
export const storedPhoneSource: PhoneSource = async (phoneNumberId) => {
  const phone = await getPhone(phoneNumberId, true);
  return phone && sandboxPhoneOf(phone);
};

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
      const known = sandboxPhoneOf(phone);
      if (!known) {
        unreadable.push(phone.phoneNumberId);
        continue;
      }
      sandbox.addPhone(known);
      registered += 1;
    }
  }
  return { registered, unreadable };
}
