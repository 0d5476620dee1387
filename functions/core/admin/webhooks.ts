import { DEFAULT_WEBHOOK_ENDPOINTS_PER_TENANT } from "../config.ts";
import {
  type FeedEntry,
  findSequencedEvent,
  getFeedEvents,
  latestFeedEntries,
  readFeed,
} from "../store/event-feed.ts";
import { listTenants } from "../store/phones.ts";
import {
  type DeliveryRecord,
  deliveryId,
  getDeliveries,
  scheduleRedelivery,
  unfinishedDeliveries,
} from "../store/webhook-deliveries.ts";
import {
  findEndpoint,
  getEndpoint,
  listEndpoints,
  removeEndpoint,
  replaceEndpointSecret,
  resealEndpointSecret,
  resealPreviousSecret,
  updateEndpointSettings,
  type WebhookEndpoint,
} from "../store/webhook-endpoints.ts";
import {
  endpointSecretUnderCurrentKey,
  openEndpointSecret,
  previousSecretActive,
  sealEndpointSecret,
} from "../tenant-webhooks/endpoint-secret.ts";
import { endpointReceives, subscribedTypes } from "../tenant-webhooks/event-types.ts";
import { newEndpointSecret } from "../tenant-webhooks/webhook-signature.ts";
import { ROTATION_OVERLAP_MAX_SECONDS } from "../validation/self-service.ts";
import type { UsernameChangeEvent, WebhookEventType } from "../validation/tenant-api.ts";

/**
 * Endpoints per tenant by default (each event is one delivery per endpoint); a stage may set
 * WEBHOOK_ENDPOINTS_PER_TENANT (config.webhookEndpointsPerTenant), which addEndpoint applies.
 */
export const MAX_ENDPOINTS_PER_TENANT = DEFAULT_WEBHOOK_ENDPOINTS_PER_TENANT;

/** An operator mistake or an unknown id: the message says which. */
export class WebhookAdminError extends Error {
  override name = "WebhookAdminError";
}

/** The tenant has as many endpoints as it may have (`limit`); the CLI and the tenant API both refuse more. */
export class EndpointLimitError extends WebhookAdminError {
  override name = "EndpointLimitError";
  readonly limit: number;
  constructor(tenantId: string, limit: number) {
    super(`tenant ${tenantId} has ${limit} endpoints already (webhook remove one first)`);
    this.limit = limit;
  }
}

/** Creations of the tenant's endpoints kept colliding: nothing was created, retry. */
export class EndpointContentionError extends WebhookAdminError {
  override name = "EndpointContentionError";
}

/** What is shown of an endpoint: never its secret. */
export interface EndpointView {
  id: string;
  tenantId: string;
  url: string;
  createdAt: string;
  secretRotatedAt?: string;
  /** While a rotation's overlap lasts: when the previous secret stops signing (ISO). */
  previousSecretExpiresAt?: string;
  /** The event types it receives (tenant-webhooks/event-types.ts). */
  eventTypes: readonly WebhookEventType[];
}

export function endpointView(endpoint: WebhookEndpoint, now: number = Date.now()): EndpointView {
  return {
    id: endpoint.id,
    tenantId: endpoint.tenantId,
    url: endpoint.url,
    createdAt: endpoint.createdAt,
    ...(endpoint.secretRotatedAt ? { secretRotatedAt: endpoint.secretRotatedAt } : {}),
    ...(previousSecretActive(endpoint, now)
      ? { previousSecretExpiresAt: endpoint.previousSecretExpiresAt as string }
      : {}),
    eventTypes: subscribedTypes(endpoint),
  };
}

/** The tenant's endpoints as `webhook list` shows them (never a secret), oldest first. */
export async function endpointViews(tenantId: string, now: number = Date.now()): Promise<EndpointView[]> {
  return (await listEndpoints(tenantId)).map((endpoint) => endpointView(endpoint, now));
}

/** A new endpoint with its secret: the one time the secret is shown. */
export interface IssuedEndpoint {
  id: string;
  url: string;
  secret: string;
}

/** What an endpoint is for: its event types (absent: `username.updated`) and a note. */
export interface EndpointSettings {
  /** A new URL, checked by the caller against the URL rules (endpointUrlProblem). */
  url?: string;
  eventTypes?: readonly WebhookEventType[];
  description?: string;
}

export async function requireEndpoint(endpointId: string): Promise<WebhookEndpoint> {
  const endpoint = await findEndpoint(endpointId);
  if (!endpoint) throw new WebhookAdminError(`no webhook endpoint with id '${endpointId}'`);
  return endpoint;
}

/**
 * Sets the endpoint's event types (`webhook set-types`): from now on it receives the events they
 * select; events already handed to it are delivered as they were. Throws WebhookAdminError for an
 * unknown endpoint.
 */
export async function setEndpointEventTypes(
  endpointId: string,
  eventTypes: readonly WebhookEventType[],
): Promise<EndpointView> {
  const endpoint = await requireEndpoint(endpointId);
  const updated = await updateEndpointSettings(endpoint, { eventTypes: [...new Set(eventTypes)] });
  if (!updated) throw new WebhookAdminError(`no webhook endpoint with id '${endpointId}'`);
  return endpointView(updated);
}

export async function removeEndpointById(endpointId: string): Promise<EndpointView> {
  const endpoint = await requireEndpoint(endpointId);
  await removeEndpoint(endpoint);
  return endpointView(endpoint);
}

/** How long the previous secret keeps signing after a rotation, by default: 24 hours. */
export const DEFAULT_SECRET_OVERLAP_SECONDS = 24 * 3600;
/** The longest overlap a rotation may ask for: 7 days (the tenant API's rule, validation/self-service.ts). */
export const MAX_SECRET_OVERLAP_SECONDS = ROTATION_OVERLAP_MAX_SECONDS;

export interface RotationOptions {
  /**
   * Seconds the previous secret keeps signing beside the new one (0 to 7 days, default 24 h):
   * every attempt until then carries both signatures, so receivers switch secrets at their pace.
   * 0: the previous secret stops at once.
   */
  overlapSeconds?: number;
}

/** A rotation's new secret, and when the previous one stops signing (absent: it stopped at once). */
export interface RotatedSecret extends IssuedEndpoint {
  previousSecretExpiresAt?: string;
}

/**
 * A new secret, signing every attempt from now on (retries of earlier events included); the
 * previous one, sealed like it, also signs every attempt until the overlap ends, then is dropped.
 * A rotation during an overlap drops the oldest secret at once (at most two sign). Throws
 * WebhookAdminError for an unknown endpoint or an overlap out of range.
 */
export async function rotateEndpointSecret(
  endpointId: string,
  options: RotationOptions = {},
): Promise<RotatedSecret> {
  const overlap = options.overlapSeconds ?? DEFAULT_SECRET_OVERLAP_SECONDS;
  if (!Number.isInteger(overlap) || overlap < 0 || overlap > MAX_SECRET_OVERLAP_SECONDS) {
    throw new WebhookAdminError(
      `the overlap must be a whole number of seconds from 0 to ${MAX_SECRET_OVERLAP_SECONDS} (7 days)`,
    );
  }
  const endpoint = await requireEndpoint(endpointId);
  const secret = newEndpointSecret();
  // One instant for the rotation and its overlap's end: the overlap is exactly what was asked.
  const rotatedAt = Date.now();
  const previous =
    overlap > 0
      ? { sealed: endpoint.secretSealed, expiresAt: new Date(rotatedAt + overlap * 1000).toISOString() }
      : undefined;
  const updated = await replaceEndpointSecret(
    endpoint,
    sealEndpointSecret(secret, endpoint.id),
    previous,
    new Date(rotatedAt).toISOString(),
  );
  if (!updated) throw new WebhookAdminError(`no webhook endpoint with id '${endpointId}'`);
  return {
    id: updated.id,
    url: updated.url,
    secret,
    ...(previous ? { previousSecretExpiresAt: previous.expiresAt } : {}),
  };
}

/** One row of the delivery log. */
export interface DeliveryLogEntry {
  eventId: string;
  sequence: number;
  endpointId: string;
  /** `pending` = waiting for a retry; `not attempted` = no attempt recorded yet (in flight, or the endpoint is newer than the event). */
  /**
   * `not subscribed`: the endpoint's event types do not select this event (and it was never
   * handed to it).
   */
  status: DeliveryRecord["status"] | "not attempted" | "not subscribed";
  attempts: number;
  lastAttemptAt?: string;
  lastResponseStatus?: number;
  lastError?: string;
  lastResponseExcerpt?: string;
  nextAttemptAt?: string;
  deliveredAt?: string;
  failedAt?: string;
}

function logEntry(record: DeliveryRecord): DeliveryLogEntry {
  const { tenantId: _t, createdAt: _c, redeliveredAt: _r, nextAttemptAt, ...rest } = record;
  return {
    ...rest,
    ...(nextAttemptAt !== undefined ? { nextAttemptAt: new Date(nextAttemptAt).toISOString() } : {}),
  };
}

export interface DeliveryLogOptions {
  failed: boolean;
  /** Rows with `failed`, events otherwise (each × every current endpoint). */
  limit: number;
  /** Continue after this position (a page's `next`): older events / failed deliveries. */
  after?: string;
}

/** A page of the delivery log; `next` (for `after`) when more follow. */
export interface DeliveryLogPage {
  deliveries: DeliveryLogEntry[];
  next?: string;
}

/**
 * Positions in the log: `<sequence>` (an event) without `failed`, `<sequence>/<endpoint id>` (a
 * delivery) with it. Undefined for anything else.
 */
export function parseLogPosition(
  position: string,
  failed: boolean,
): { sequence: number; endpointId?: string } | undefined {
  const match = (failed ? /^(\d{1,12})\/(ep_[0-9a-f]{20})$/ : /^(\d{1,12})$/).exec(position);
  if (!match) return undefined;
  return { sequence: Number(match[1]), ...(match[2] ? { endpointId: match[2] } : {}) };
}

/** The tenant's delivery log as one array (see deliveryLogPage). */
export async function deliveryLog(
  tenantId: string,
  options: DeliveryLogOptions,
): Promise<DeliveryLogEntry[]> {
  return (await deliveryLogPage(tenantId, options)).deliveries;
}

/**
 * The tenant's delivery log, newest event first, a page at a time: with `failed`, the deliveries
 * that failed after their last attempt (`limit` of them); otherwise each of the latest `limit`
 * events × each current endpoint. Throws WebhookAdminError for a malformed `after`.
 */
export async function deliveryLogPage(
  tenantId: string,
  options: DeliveryLogOptions,
): Promise<DeliveryLogPage> {
  const after = options.after === undefined ? undefined : parseLogPosition(options.after, options.failed);
  if (options.after !== undefined && !after) {
    throw new WebhookAdminError(
      `--after must be a position printed as 'next' by webhook deliveries${options.failed ? " --failed" : ""}`,
    );
  }
  if (options.failed) {
    const rows = await unfinishedDeliveries(
      tenantId,
      options.limit + 1,
      "failed",
      after?.endpointId === undefined
        ? undefined
        : { sequence: after.sequence, endpointId: after.endpointId },
    );
    const page = rows.slice(0, options.limit);
    const last = page.at(-1);
    return {
      deliveries: page.map(logEntry),
      ...(rows.length > options.limit && last ? { next: `${last.sequence}/${last.endpointId}` } : {}),
    };
  }
  const [read, endpoints] = await Promise.all([
    latestFeedEntries(tenantId, options.limit + 1, after?.sequence),
    listEndpoints(tenantId),
  ]);
  const entries = read.slice(0, options.limit);
  const next = read.length > options.limit ? entries.at(-1)?.sequence : undefined;
  const pairs = entries.flatMap((entry) =>
    endpoints.map((endpoint) => ({
      eventId: entry.event.id,
      sequence: entry.sequence,
      endpointId: endpoint.id,
    })),
  );
  const records = await getDeliveries(pairs);
  const byId = new Map(endpoints.map((endpoint) => [endpoint.id, endpoint]));
  const events = new Map(entries.map((entry) => [entry.sequence, entry.event]));
  const deliveries = pairs.map((pair): DeliveryLogEntry => {
    const record = records.get(deliveryId(pair));
    if (record) return logEntry(record);
    return {
      ...pair,
      status: notAttempted(byId.get(pair.endpointId), events.get(pair.sequence)),
      attempts: 0,
    };
  });
  return { deliveries, ...(next !== undefined ? { next: String(next) } : {}) };
}

/** Why an event has no delivery to an endpoint: its types do not select it, or none was recorded yet. */
function notAttempted(
  endpoint: WebhookEndpoint | undefined,
  event: UsernameChangeEvent | undefined,
): "not attempted" | "not subscribed" {
  return endpoint && event && !endpointReceives(endpoint, event) ? "not subscribed" : "not attempted";
}

/**
 * Delivers an event again, to every current endpoint of its tenant (or one) whose event types
 * select it: a new round of attempts, due now, with the same `webhook-id`. The retry sweep picks it
 * up (within a minute in AWS, about a second locally). Throws WebhookAdminError when no endpoint
 * (or not the one named) receives the event.
 */
export async function redeliverEvent(
  eventId: string,
  endpointId?: string,
): Promise<{ eventId: string; tenantId: string; endpointIds: string[] }> {
  const sequenced = await findSequencedEvent(eventId);
  if (!sequenced) throw new WebhookAdminError(`no event with id '${eventId}' in any change feed`);
  let endpoints = await listEndpoints(sequenced.tenantId);
  if (endpointId !== undefined) endpoints = endpoints.filter((endpoint) => endpoint.id === endpointId);
  if (endpoints.length === 0) {
    throw new WebhookAdminError(
      endpointId === undefined
        ? `tenant ${sequenced.tenantId} has no webhook endpoint to deliver to`
        : `tenant ${sequenced.tenantId} has no webhook endpoint '${endpointId}'`,
    );
  }
  const event = (await getFeedEvents(sequenced.tenantId, [sequenced.sequence])).get(sequenced.sequence);
  if (event) endpoints = endpoints.filter((endpoint) => endpointReceives(endpoint, event));
  if (endpoints.length === 0) {
    throw new WebhookAdminError(
      `event '${eventId}' is not one ${endpointId === undefined ? "any endpoint" : `endpoint '${endpointId}'`} subscribes to (see its types: webhook list)`,
    );
  }
  for (const endpoint of endpoints) {
    await scheduleRedelivery({ ...sequenced, endpointId: endpoint.id });
  }
  return { eventId, tenantId: sequenced.tenantId, endpointIds: endpoints.map((endpoint) => endpoint.id) };
}

export interface ResealReport {
  endpoints: number;
  resealed: string[];
  /** Secrets that open under neither key (or changed meanwhile): rotate them. */
  failed: string[];
}

/**
 * Token encryption key rotation, step two for webhook secrets (docs/deploy.md): every endpoint
 * secret not yet sealed under the current key is opened (current or previous key) and sealed again
 * under the current one. Idempotent.
 */
export async function resealEndpointSecrets(): Promise<ResealReport> {
  const report: ResealReport = { endpoints: 0, resealed: [], failed: [] };
  for (const tenantId of await listTenants()) {
    for (const endpoint of await listEndpoints(tenantId)) {
      report.endpoints++;
      const { id, secretSealed: sealed, previousSecretSealed: previous } = endpoint;
      const pending = [
        ...(endpointSecretUnderCurrentKey(sealed, id) ? [] : [{ sealed, write: resealEndpointSecret }]),
        // A previous secret still in its overlap is re-sealed too (an expired one is dropped by the dispatcher).
        ...(previous !== undefined &&
        previousSecretActive(endpoint, Date.now()) &&
        !endpointSecretUnderCurrentKey(previous, id)
          ? [{ sealed: previous, write: resealPreviousSecret }]
          : []),
      ];
      if (pending.length === 0) continue;
      try {
        let ok = true;
        for (const { sealed: old, write } of pending) {
          ok = (await write(endpoint, sealEndpointSecret(openEndpointSecret(old, id), id), old)) && ok;
        }
        if (ok) report.resealed.push(id);
        else report.failed.push(id);
      } catch {
        report.failed.push(id);
      }
    }
  }
  return report;
}

// --- Tenant-scoped variants: the tenant API (/v1) ------------------------------------------
// Each reads the tenant's own endpoint item first (keyed by tenant and id), so another tenant's
// endpoint costs exactly the read of an unknown one and is answered the same (undefined).

/** The tenant's endpoint with this id (strongly consistent), or undefined: unknown or another tenant's. */
export async function findTenantEndpoint(
  tenantId: string,
  endpointId: string,
): Promise<WebhookEndpoint | undefined> {
  return getEndpoint(tenantId, endpointId);
}

/** Every endpoint of the tenant, oldest first (strongly consistent). */
export function tenantEndpoints(tenantId: string): Promise<WebhookEndpoint[]> {
  return listEndpoints(tenantId);
}

/**
 * Delivers the tenant's event again to one of its endpoints (a new round, due now), as
 * `webhook redeliver <event> --endpoint` does. False when the tenant's feed has no such event
 * (one read: another tenant's event costs the same as an unknown one).
 */
export async function redeliverTenantEvent(
  tenantId: string,
  endpointId: string,
  eventId: string,
): Promise<boolean> {
  const sequenced = await findSequencedEvent(eventId);
  if (!sequenced || sequenced.tenantId !== tenantId) return false;
  const [events, endpoint] = await Promise.all([
    getFeedEvents(tenantId, [sequenced.sequence]),
    getEndpoint(tenantId, endpointId),
  ]);
  const event = events.get(sequenced.sequence);
  if (endpoint && event && !endpointReceives(endpoint, event))
    throw new EventNotSubscribedError(eventId, endpointId);
  await scheduleRedelivery({ ...sequenced, endpointId });
  return true;
}

/** The endpoint's event types do not select the event: there is nothing to redeliver to it. */
export class EventNotSubscribedError extends Error {
  override name = "EventNotSubscribedError";
  readonly eventId: string;
  readonly endpointId: string;
  constructor(eventId: string, endpointId: string) {
    super(
      `endpoint '${endpointId}' does not subscribe to event '${eventId}' (its event types do not select it)`,
    );
    this.eventId = eventId;
    this.endpointId = endpointId;
  }
}

/**
 * Sets the tenant's endpoint's event types and description (the tenant API's update); undefined
 * when the tenant has no such endpoint (unknown or another tenant's: the same read).
 */
export async function updateTenantEndpoint(
  tenantId: string,
  endpointId: string,
  settings: EndpointSettings,
): Promise<WebhookEndpoint | undefined> {
  const endpoint = await getEndpoint(tenantId, endpointId);
  if (!endpoint) return undefined;
  return updateEndpointSettings(endpoint, {
    ...(settings.url !== undefined ? { url: settings.url } : {}),
    ...(settings.eventTypes ? { eventTypes: [...new Set(settings.eventTypes)] } : {}),
    ...(settings.description !== undefined ? { description: settings.description } : {}),
  });
}

/** One event of the tenant's feed and its delivery to one endpoint. */
export interface EndpointDelivery {
  entry: FeedEntry;
  delivery: DeliveryLogEntry;
}

/** A page of an endpoint's delivery log, newest event first. */
export interface EndpointDeliveryPage {
  rows: EndpointDelivery[];
  /** More events lie beyond the page in the direction it was read. */
  more: boolean;
  /** The cursor's own event is in the feed (so events lie behind the page); false without a cursor. */
  cursorHeld: boolean;
}

/**
 * The delivery log of one endpoint of the tenant, as `webhook deliveries` shows it for every
 * endpoint: each event of the tenant's feed, newest first, with this endpoint's delivery
 * (`not attempted` when it has none: in flight, or the event came before the endpoint). `after`
 * (a sequence number) pages towards older events, `before` towards newer ones. One feed Query and
 * one BatchGetItem of delivery records per page.
 */
export async function endpointDeliveryPage(
  tenantId: string,
  endpoint: WebhookEndpoint,
  range: { limit: number; after?: number; before?: number },
): Promise<EndpointDeliveryPage> {
  let entries: FeedEntry[];
  let more: boolean;
  let cursorHeld = false;
  if (range.before !== undefined) {
    const read = await readFeed(tenantId, { after: range.before, limit: range.limit });
    entries = read.entries.reverse();
    more = read.more;
    cursorHeld = read.cursorHeld;
  } else {
    const cursor = range.after;
    // From the cursor's own event (inclusive), so the page knows whether it exists.
    const read = await latestFeedEntries(
      tenantId,
      range.limit + (cursor === undefined ? 1 : 2),
      cursor === undefined ? undefined : cursor + 1,
    );
    cursorHeld = cursor !== undefined && read[0]?.sequence === cursor;
    const rest = cursorHeld ? read.slice(1) : read;
    entries = rest.slice(0, range.limit);
    more = rest.length > range.limit;
  }
  const pairs = entries.map((entry) => ({
    eventId: entry.event.id,
    sequence: entry.sequence,
    endpointId: endpoint.id,
  }));
  const records = await getDeliveries(pairs);
  const rows = entries.map((entry, i): EndpointDelivery => {
    const pair = pairs[i] as (typeof pairs)[number];
    const record = records.get(deliveryId(pair));
    return {
      entry,
      delivery: record
        ? logEntry(record)
        : { ...pair, status: notAttempted(endpoint, entry.event), attempts: 0 },
    };
  });
  return { rows, more, cursorHeld };
}
