/**
 * Key layout of the single table. Only `functions/core/store/` knows these names.
 *
 *   API key         pk APIKEY#<sha256>          sk APIKEY       gsi2 TENANT#<t> / KEY#<id>
 *   API key id      pk APIKEYID#<id>            sk APIKEYID     -> the hash (revoke by id)
 *   tenant's key    pk APIKEYS#<t>              sk KEY#<id>     id, hash, name, created, revoked, last used:
 *                                                               the tenant's own keys, strongly consistent
 *   key index mark  pk APIKEYS#<t>              sk INDEX        present once every key of the tenant has its
 *                                                               KEY# item (keys made before 0.3.0 included);
 *                                                               listVersion: moved on by every key the tenant
 *                                                               creates (the limit's check)
 *   phone number    pk PHONE#<id>               sk PHONE        gsi2 TENANT#<t> / PHONE#<id>
 *   WhatsApp acct   pk WAACCOUNT#<id>           sk WAACCOUNT    -> the phone number id (an alias in paths)
 *   WABA phone      pk WABAPHONE#<w>#<digits>   sk WABAPHONE    -> the phone number id, one per account id of the
 *                                                               number (WABA or Messaging Account): one record per Meta
 *                                                               number (unique), found by webhooks with
 *                                                               strongly consistent (Batch)GetItem
 *   line            pk PHONE#<id>               sk INTENT       the number's line of changes through Meta: tickets,
 *                                                               lease, outcome unknown (store/number-line.ts);
 *                                                               gsi3 INTENT#DUE / <due ms, 15 digits>#<id> (when due)
 *   (earlier line)  pk PHONE#<id>               sk QUEUE        tickets of the layout before the line was one item:
 *                                                               no longer read or written
 *   history event   pk PHONE#<id>               sk HISTORY#<version, zero-padded>
 *   webhook marker  pk PHONE#<id>               sk WEBHOOK#<time>#<status>#<username>   (TTL)
 *   username holder pk BUSINESS#<businessId>    sk USERNAME#<lower-case name>
 *   portfolio owner pk BUSINESS#<businessId>    sk TENANT       -> the tenant: a portfolio's numbers are one tenant's
 *   tenant          pk TENANTS                  sk TENANT#<t>
 *   idempotency key pk IDEMPOTENCY#<t>#<phone>  sk KEY#<sha256 of the client's key>             (TTL)
 *   write counter   pk RATELIMIT#<t>            sk MINUTE#<epoch minute>                       (TTL)
 *   read counter    pk READLIMIT#<t>            sk MINUTE#<epoch minute>                       (TTL)
 *   drift sweep     pk RECONCILER               sk SWEEP        the sweep's progress
 *   health probe    pk HEALTH                   sk PROBE        never written: GET /health reads it
 *   feed head       pk FEED#<t>                 sk HEAD         -> the tenant's last sequence number
 *   feed event      pk FEED#<t>                 sk SEQ#<sequence number, zero-padded>
 *   event           pk EVENT#<event id>         sk EVENT        -> tenant, sequence number (de-duplication)
 *   endpoint        pk ENDPOINTS#<t>            sk ENDPOINT#<id>
 *   endpoint list   pk ENDPOINTS#<t>            sk VERSION      -> moved on by every creation (the limit's check)
 *   endpoint id     pk ENDPOINTID#<id>          sk ENDPOINTID   -> the tenant (commands by id)
 *   delivery        pk DELIVERY#<event id>      sk ENDPOINT#<id>                               (TTL)
 *                   while unfinished:           gsi2 TENANT#<t> / DELIVERY#<sequence number>#<endpoint id>
 *                   while waiting to retry:     gsi3 DUE#<shard> / <due epoch ms, zero-padded>#<event id>#<endpoint id>
 *                                               (written before 0.3: read until they drain) or, grouped by tenant,
 *                                               gsi3 DUE#<shard> / T#<tenant, URI-encoded>#<due epoch ms, zero-padded>#<event id>#<endpoint id>
 */
export const keys = {
  healthProbe: () => ({ pk: "HEALTH", sk: "PROBE" }),
  apiKey: (hash: string) => ({ pk: `APIKEY#${hash}`, sk: "APIKEY" }),
  apiKeyId: (id: string) => ({ pk: `APIKEYID#${id}`, sk: "APIKEYID" }),
  /** One key in its tenant's index (the tenant API's listing, ownership and last-key checks). */
  tenantApiKey: (tenantId: string, keyId: string) => ({ pk: `APIKEYS#${tenantId}`, sk: `KEY#${keyId}` }),
  /** Marks the tenant's key index complete; sorts before every `KEY#` item of the partition. */
  tenantApiKeyIndex: (tenantId: string) => ({ pk: `APIKEYS#${tenantId}`, sk: "INDEX" }),
  tenantApiKeyPrefix: "KEY#",
  phone: (phoneNumberId: string) => ({ pk: `PHONE#${phoneNumberId}`, sk: "PHONE" }),
  wabaPhone: (wabaId: string, displayDigits: string) => ({
    pk: `WABAPHONE#${wabaId}#${displayDigits}`,
    sk: "WABAPHONE",
  }),
  /** A WhatsApp Account id standing for a phone number id in paths (unique: one number each). */
  whatsappAccount: (whatsappAccountId: string) => ({ pk: `WAACCOUNT#${whatsappAccountId}`, sk: "WAACCOUNT" }),
  intent: (phoneNumberId: string) => ({ pk: `PHONE#${phoneNumberId}`, sk: "INTENT" }),
  /** The earlier layout's ticket item (test/integration/deployed-data.test.ts writes it; nothing reads it). */
  intentQueue: (phoneNumberId: string) => ({ pk: `PHONE#${phoneNumberId}`, sk: "QUEUE" }),
  history: (phoneNumberId: string, version: number) => ({
    pk: `PHONE#${phoneNumberId}`,
    sk: `HISTORY#${String(version).padStart(12, "0")}`,
  }),
  historyPrefix: "HISTORY#",
  /**
   * A webhook event's de-duplication marker: its sort key is the event's identity
   * (`WEBHOOK#<time>#<status>#<lower-case name>`, username-state/planner.ts `eventKey`), the same
   * string the record keeps as `stateEvent`.
   */
  webhookMarker: (phoneNumberId: string, eventKey: string) => ({
    pk: `PHONE#${phoneNumberId}`,
    sk: eventKey,
  }),
  /** The tenant a business portfolio belongs to (written with its first number). */
  businessTenant: (businessId: string) => ({ pk: `BUSINESS#${businessId}`, sk: "TENANT" }),
  usernameHolder: (businessId: string, usernameKey: string) => ({
    pk: `BUSINESS#${businessId}`,
    sk: `USERNAME#${usernameKey}`,
  }),
  tenant: (tenantId: string) => ({ pk: "TENANTS", sk: `TENANT#${tenantId}` }),
  tenantsPartition: "TENANTS",
  /** Scoped to tenant and number: the same key sent for another number is another request. */
  idempotencyRecord: (tenantId: string, phoneNumberId: string, keyHash: string) => ({
    pk: `IDEMPOTENCY#${tenantId}#${phoneNumberId}`,
    sk: `KEY#${keyHash}`,
  }),
  /** The tenant's calls that reach Meta in one minute (rate-limit/tenant-meta-limit.ts). */
  metaCallCounter: (tenantId: string, epochMinute: number) => ({
    pk: `RATELIMIT#${tenantId}`,
    sk: `MINUTE#${epochMinute}`,
  }),
  /** The tenant's `/v1` reads in one minute (rate-limit/tenant-read-limit.ts). */
  readCounter: (tenantId: string, epochMinute: number) => ({
    pk: `READLIMIT#${tenantId}`,
    sk: `MINUTE#${epochMinute}`,
  }),
  feedHead: (tenantId: string) => ({ pk: `FEED#${tenantId}`, sk: "HEAD" }),
  feedEvent: (tenantId: string, sequence: number) => ({
    pk: `FEED#${tenantId}`,
    sk: `SEQ#${String(sequence).padStart(12, "0")}`,
  }),
  feedEventPrefix: "SEQ#",
  event: (eventId: string) => ({ pk: `EVENT#${eventId}`, sk: "EVENT" }),
  endpoint: (tenantId: string, endpointId: string) => ({
    pk: `ENDPOINTS#${tenantId}`,
    sk: `ENDPOINT#${endpointId}`,
  }),
  endpointsOf: (tenantId: string) => `ENDPOINTS#${tenantId}`,
  endpointPrefix: "ENDPOINT#",
  /**
   * The version of the tenant's endpoint list: every creation moves it on, conditional on the
   * version its limit check read (store/webhook-endpoints.ts createEndpoint).
   */
  endpointListVersion: (tenantId: string) => ({ pk: `ENDPOINTS#${tenantId}`, sk: "VERSION" }),
  endpointId: (endpointId: string) => ({ pk: `ENDPOINTID#${endpointId}`, sk: "ENDPOINTID" }),
  delivery: (eventId: string, endpointId: string) => ({
    pk: `DELIVERY#${eventId}`,
    sk: `ENDPOINT#${endpointId}`,
  }),
  unfinishedDelivery: (sequence: number, endpointId: string) =>
    `DELIVERY#${String(sequence).padStart(12, "0")}#${endpointId}`,
  dueShard: (shard: number) => `DUE#${shard}`,
  dueAt: (epochMs: number, eventId: string, endpointId: string) =>
    `${String(Math.max(0, Math.floor(epochMs))).padStart(13, "0")}#${eventId}#${endpointId}`,
  byTenant: (tenantId: string) => `TENANT#${tenantId}`,
  /**
   * Sorts after every key of the tenant's region of a due shard (`T#<tenant>#…`) and before the next
   * tenant's: the tenant is URI-encoded (and `!` escaped), so every character of it sorts after `$`.
   */
  tenantDueEnd: (tenantId: string) => `T#${encodeURIComponent(tenantId).replaceAll("!", "%21")}$`,
  tenantDueAt: (tenantId: string, epochMs: number, eventId: string, endpointId: string) =>
    `T#${encodeURIComponent(tenantId).replaceAll("!", "%21")}#${String(Math.max(0, Math.floor(epochMs))).padStart(13, "0")}#${eventId}#${endpointId}`,
  /** Where the tenants' regions of a due shard begin (legacy keys, all digits first, sort below). */
  tenantDueRegion: "T#",
  driftSweep: { pk: "RECONCILER", sk: "SWEEP" },
};
