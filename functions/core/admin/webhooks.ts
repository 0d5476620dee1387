/**
 * Operator actions on tenant webhooks (admin CLI `webhook ...`): endpoints, their signing secrets,
 * the delivery log and redelivery. Never reachable over HTTP.
 */
import { randomBytes } from "node:crypto";
import { config } from "../config.ts";
import { findSequencedEvent, latestFeedEntries } from "../store/event-feed.ts";
import { listTenants } from "../store/phones.ts";
import {
  type DeliveryRecord,
  deliveryId,
  getDeliveries,
  scheduleRedelivery,
  unfinishedDeliveries,
} from "../store/webhook-deliveries.ts";
import {
  createEndpoint,
  findEndpoint,
  listEndpoints,
  removeEndpoint,
  replaceEndpointSecret,
  resealEndpointSecret,
  resealPreviousSecret,
  type WebhookEndpoint,
} from "../store/webhook-endpoints.ts";
import {
  endpointSecretUnderCurrentKey,
  openEndpointSecret,
  previousSecretActive,
  sealEndpointSecret,
} from "../tenant-webhooks/endpoint-secret.ts";
import { endpointUrlProblem } from "../tenant-webhooks/endpoint-url.ts";
import { newEndpointSecret } from "../tenant-webhooks/webhook-signature.ts";

/** Endpoints per tenant: each event is one delivery per endpoint. */
export const MAX_ENDPOINTS_PER_TENANT = 10;

/** An operator mistake or an unknown id: the message says which. */
export class WebhookAdminError extends Error {
  override name = "WebhookAdminError";
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
  };
}

/** A new endpoint with its secret: the one time the secret is shown. */
export interface IssuedEndpoint {
  id: string;
  url: string;
  secret: string;
}

export async function addEndpoint(tenantId: string, url: string): Promise<IssuedEndpoint> {
  const problem = endpointUrlProblem(url, config.allowsLoopbackWebhooks());
  if (problem) throw new WebhookAdminError(`--url ${problem}`);
  if ((await listEndpoints(tenantId)).length >= MAX_ENDPOINTS_PER_TENANT) {
    throw new WebhookAdminError(
      `tenant ${tenantId} has ${MAX_ENDPOINTS_PER_TENANT} endpoints already (webhook remove one first)`,
    );
  }
  const id = `ep_${randomBytes(10).toString("hex")}`;
  const secret = newEndpointSecret();
  await createEndpoint({
    id,
    tenantId,
    url,
    secretSealed: sealEndpointSecret(secret, id),
    createdAt: new Date().toISOString(),
  });
  return { id, url, secret };
}

export async function requireEndpoint(endpointId: string): Promise<WebhookEndpoint> {
  const endpoint = await findEndpoint(endpointId);
  if (!endpoint) throw new WebhookAdminError(`no webhook endpoint with id '${endpointId}'`);
  return endpoint;
}

export async function removeEndpointById(endpointId: string): Promise<EndpointView> {
  const endpoint = await requireEndpoint(endpointId);
  await removeEndpoint(endpoint);
  return endpointView(endpoint);
}

/** How long the previous secret keeps signing after a rotation, by default: 24 hours. */
export const DEFAULT_SECRET_OVERLAP_SECONDS = 24 * 3600;
/** The longest overlap a rotation may ask for: 7 days. */
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 24 * 3600;

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
  const previous =
    overlap > 0
      ? { sealed: endpoint.secretSealed, expiresAt: new Date(Date.now() + overlap * 1000).toISOString() }
      : undefined;
  const updated = await replaceEndpointSecret(endpoint, sealEndpointSecret(secret, endpoint.id), previous);
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
  status: DeliveryRecord["status"] | "not attempted";
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
  const deliveries = pairs.map((pair): DeliveryLogEntry => {
    const record = records.get(deliveryId(pair));
    return record ? logEntry(record) : { ...pair, status: "not attempted", attempts: 0 };
  });
  return { deliveries, ...(next !== undefined ? { next: String(next) } : {}) };
}

/**
 * Delivers an event again, to every current endpoint of its tenant (or one): a new round of
 * attempts, due now, with the same `webhook-id`. The retry sweep picks it up (within a minute in
 * AWS, about a second locally).
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
