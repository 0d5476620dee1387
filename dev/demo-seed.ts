/**
 * The demo data `npm start` puts into an empty store when the Meta sandbox is its upstream (the
 * demo numbers' tokens are made up: only the sandbox accepts them), and, on a later start, which
 * tenant and number the banner's commands should use.
 */
import { randomBytes } from "node:crypto";
import { issueApiKey } from "../functions/core/admin/admin.ts";
import {
  listNumbers as listPhones,
  listTenantIds as listTenants,
  registerPhone,
} from "../functions/core/admin/numbers.ts";
import type { MetaSandbox } from "../meta-sandbox/index.ts";
import { SANDBOX_DISPLAY_NAME } from "./sandbox-phones.ts";

export const DEMO_TENANT_ID = "demo";

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

/** What a later start's banner shows: the stored tenants, and the one (with a number) to try. */
export interface StoredData {
  tenants: string[];
  /** The demo tenant when it is there, else the first tenant with a phone number, else the first. */
  tenantId: string;
  /** That tenant's first phone number (by id), if it has one. */
  phoneNumberId?: string;
}

/** Seeds the demo tenant when the store has no tenant at all; describes what is there otherwise. */
export async function seedDemoIfEmpty(
  sandbox: MetaSandbox,
): Promise<{ seeded: DemoSeed } | { stored: StoredData }> {
  const stored = await describeStore();
  if (stored.tenants.length > 0) return { stored };
  const [key] = await Promise.all([
    issueApiKey(DEMO_TENANT_ID, "npm start demo"),
    ...DEMO_PHONES.map(async (phone) => {
      // A dev-only stand-in for a Meta access token; the sandbox accepts exactly this one.
      const accessToken = `EAAG${randomBytes(24).toString("hex")}`;
      await registerPhone({ tenantId: DEMO_TENANT_ID, ...phone, accessToken });
      sandbox.addPhone({ ...phone, accessToken, displayName: SANDBOX_DISPLAY_NAME });
    }),
  ]);
  return { seeded: { tenantId: DEMO_TENANT_ID, apiKey: key.apiKey, keyId: key.id, phones: DEMO_PHONES } };
}

/** The stored tenants, and the tenant and number a returning developer most likely wants to try again. */
export async function describeStore(): Promise<StoredData> {
  const tenants = (await listTenants()).sort();
  const candidates = tenants.includes(DEMO_TENANT_ID)
    ? [DEMO_TENANT_ID, ...tenants.filter((t) => t !== DEMO_TENANT_ID)]
    : [...tenants];
  for (const tenantId of candidates) {
    const [first] = (await listPhones(tenantId)).map((p) => p.phoneNumberId).sort();
    if (first) return { tenants, tenantId, phoneNumberId: first };
  }
  return { tenants, tenantId: candidates[0] ?? DEMO_TENANT_ID };
}
