/**
 * Key layout of the single table. Only `functions/core/store/` knows these names.
 *
 *   API key         pk APIKEY#<sha256>          sk APIKEY       gsi2 TENANT#<t> / KEY#<id>
 *   API key id      pk APIKEYID#<id>            sk APIKEYID     -> the hash (revoke by id)
 *   phone number    pk PHONE#<id>               sk PHONE        gsi1 WABA#<w>#DISPLAY#<digits> / PHONE#<id>
 *                                                               gsi2 TENANT#<t> / PHONE#<id>
 *   history event   pk PHONE#<id>               sk HISTORY#<version, zero-padded>
 *   webhook marker  pk PHONE#<id>               sk WEBHOOK#<time>#<status>#<username>   (TTL)
 *   username holder pk BUSINESS#<businessId>    sk USERNAME#<lower-case name>
 *   tenant          pk TENANTS                  sk TENANT#<t>
 */
export const keys = {
  apiKey: (hash: string) => ({ pk: `APIKEY#${hash}`, sk: "APIKEY" }),
  apiKeyId: (id: string) => ({ pk: `APIKEYID#${id}`, sk: "APIKEYID" }),
  phone: (phoneNumberId: string) => ({ pk: `PHONE#${phoneNumberId}`, sk: "PHONE" }),
  history: (phoneNumberId: string, version: number) => ({
    pk: `PHONE#${phoneNumberId}`,
    sk: `HISTORY#${String(version).padStart(12, "0")}`,
  }),
  historyPrefix: "HISTORY#",
  webhookMarker: (phoneNumberId: string, time: number, status: string, username: string | undefined) => ({
    pk: `PHONE#${phoneNumberId}`,
    sk: `WEBHOOK#${time}#${status}#${username?.toLowerCase() ?? ""}`,
  }),
  usernameHolder: (businessId: string, usernameKey: string) => ({
    pk: `BUSINESS#${businessId}`,
    sk: `USERNAME#${usernameKey}`,
  }),
  tenant: (tenantId: string) => ({ pk: "TENANTS", sk: `TENANT#${tenantId}` }),
  tenantsPartition: "TENANTS",
  byWabaPhone: (wabaId: string, displayDigits: string) => `WABA#${wabaId}#DISPLAY#${displayDigits}`,
  byTenant: (tenantId: string) => `TENANT#${tenantId}`,
};
