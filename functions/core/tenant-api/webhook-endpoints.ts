import {
  type EndpointDelivery,
  EventNotSubscribedError,
  endpointDeliveryPage,
  findTenantEndpoint,
  redeliverTenantEvent,
  removeEndpointById,
  rotateEndpointSecret,
  tenantEndpoints,
  WebhookAdminError,
} from "../admin/webhooks.ts";
import { graphErrors } from "../errors/graph-error.ts";
import type { WebhookEndpoint } from "../store/webhook-endpoints.ts";
import { eventForEndpoint, subscribedTypes } from "../tenant-webhooks/event-types.ts";
import { type EndpointEventPath, type EndpointPath, overlapSecondsOf } from "../validation/self-service.ts";
import type { RotateSecretBody } from "../validation/self-service-bodies.ts";
import type { WebhookDeliveryView, WebhookEndpointView } from "../validation/self-service-views.ts";
import { envelope, integerPosition, parsePageRequest } from "./paging.ts";
import type { TenantRequest } from "./tenant-request.ts";

/**
 * What every route shows of an endpoint: never its secret; until when the previous secret still
 * signs only while that is after `now` (epoch ms), so a tenant can tell whether its old secret
 * still verifies.
 */
export function webhookEndpointView(endpoint: WebhookEndpoint, now = Date.now()): WebhookEndpointView {
  const previousUntil = endpoint.previousSecretExpiresAt;
  return {
    id: endpoint.id,
    url: endpoint.url,
    ...(endpoint.description ? { description: endpoint.description } : {}),
    created_time: endpoint.createdAt,
    ...(endpoint.secretRotatedAt ? { secret_rotated_time: endpoint.secretRotatedAt } : {}),
    ...(previousUntil && Date.parse(previousUntil) > now
      ? { previous_secret_expires_time: previousUntil }
      : {}),
    event_types: [...subscribedTypes(endpoint)],
  };
}

/** The caller's endpoint, or the answer an unknown one gets (one strongly consistent GetItem). */
export async function ownedEndpoint(tenantId: string, endpointId: string): Promise<WebhookEndpoint> {
  const endpoint = await findTenantEndpoint(tenantId, endpointId);
  if (!endpoint) throw graphErrors.objectNotAccessible(endpointId);
  return endpoint;
}

/** An operator-side "no such endpoint" (it went between our read and the action) is an unknown object. */
async function onEndpoint<T>(endpointId: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof WebhookAdminError) throw graphErrors.objectNotAccessible(endpointId);
    throw error;
  }
}

const ORDER_POSITION = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z)\/(ep_[0-9a-f]{20})$/;
/** Endpoints are listed by creation time, then id: the position of one in that order. */
const orderOf = (endpoint: WebhookEndpoint) => `${endpoint.createdAt}/${endpoint.id}`;

/**
 * `GET /v1/webhook_endpoints`: the tenant's endpoints, oldest first, paged. A tenant has few
 * (WEBHOOK_ENDPOINTS_PER_TENANT): one strongly consistent Query reads them all, and the page is
 * cut from them; a cursor is a position in the order (creation time, id), so it stays valid when
 * endpoints come and go.
 */
export async function listWebhookEndpoints({ caller, event }: TenantRequest<unknown>) {
  const of = { listing: "webhook_endpoints", scope: caller.tenantId } as const;
  const page = parsePageRequest(event, of, (position) =>
    ORDER_POSITION.test(position) ? position : undefined,
  );
  const all = (await tenantEndpoints(caller.tenantId)).sort((a, b) => orderOf(a).localeCompare(orderOf(b)));
  let items: WebhookEndpoint[];
  let hasNext: boolean;
  let hasPrevious: boolean;
  if (page.before !== undefined) {
    const before = page.before;
    const earlier = all.filter((e) => orderOf(e) < before);
    items = earlier.slice(-page.limit);
    hasPrevious = earlier.length > page.limit;
    hasNext = all.some((e) => orderOf(e) >= before);
  } else {
    const after = page.after;
    const later = after === undefined ? all : all.filter((e) => orderOf(e) > after);
    items = later.slice(0, page.limit);
    hasNext = later.length > page.limit;
    hasPrevious = after !== undefined && all.some((e) => orderOf(e) <= after);
  }
  return envelope({
    event,
    of,
    limit: page.limit,
    data: items.map(webhookEndpointView),
    ...(items[0] ? { first: orderOf(items[0]) } : {}),
    ...(items.at(-1) ? { last: orderOf(items.at(-1) as WebhookEndpoint) } : {}),
    hasNext,
    hasPrevious,
  });
}

/** `GET /v1/webhook_endpoints/{id}`: the endpoint, without its secret. */
export async function getWebhookEndpoint({ caller, path }: TenantRequest<EndpointPath>) {
  return webhookEndpointView(await ownedEndpoint(caller.tenantId, path.id));
}

/** `DELETE /v1/webhook_endpoints/{id}`: nothing more is sent to it; its pending retries end. */
export async function deleteWebhookEndpoint({ caller, path }: TenantRequest<EndpointPath>) {
  await ownedEndpoint(caller.tenantId, path.id);
  await onEndpoint(path.id, () => removeEndpointById(path.id));
  return { success: true as const };
}

/**
 * `POST /v1/webhook_endpoints/{id}/rotate_secret`: a new secret, shown this once, and until when
 * the previous one keeps signing (`overlap_seconds`, 24 h when absent; the rotation's own time
 * when 0: it stopped at once).
 */
export async function rotateWebhookEndpointSecret({
  caller,
  path,
  body,
}: TenantRequest<EndpointPath, RotateSecretBody>) {
  await ownedEndpoint(caller.tenantId, path.id);
  const overlap = body.overlap_seconds;
  const rotated = await onEndpoint(path.id, () =>
    rotateEndpointSecret(path.id, overlap === undefined ? {} : { overlapSeconds: overlapSecondsOf(overlap) }),
  );
  const endpoint = await ownedEndpoint(caller.tenantId, path.id);
  const rotatedAt = endpoint.secretRotatedAt ?? new Date().toISOString();
  return {
    ...webhookEndpointView(endpoint),
    secret: rotated.secret,
    previous_secret_expires_time: rotated.previousSecretExpiresAt ?? rotatedAt,
  };
}

const DELIVERY_STATUS_NAMES = {
  "not attempted": "not_attempted",
  "not subscribed": "not_subscribed",
} as const;

/**
 * The operator's log entry of a delivery, as the tenant API shows it: the event's type as this
 * endpoint receives it (tenant-webhooks/event-types.ts).
 */
export function webhookDeliveryView(
  { entry, delivery }: EndpointDelivery,
  endpoint: WebhookEndpoint,
): WebhookDeliveryView {
  return {
    event_id: entry.event.id,
    event_type: (eventForEndpoint(endpoint, entry.event) ?? entry.event).type,
    event_created_time: entry.event.created_time,
    phone_number_id: entry.event.data.phone_number_id,
    display_phone_number: entry.event.data.display_phone_number,
    ...(entry.event.data.username ? { username: entry.event.data.username } : {}),
    ...(entry.event.data.status ? { username_status: entry.event.data.status } : {}),
    origin: entry.event.data.origin ?? "unknown",
    ...(entry.event.data.transferred_to ? { transferred_to: entry.event.data.transferred_to } : {}),
    ...(entry.event.data.transferred_from ? { transferred_from: entry.event.data.transferred_from } : {}),
    status:
      delivery.status === "not attempted" || delivery.status === "not subscribed"
        ? DELIVERY_STATUS_NAMES[delivery.status]
        : delivery.status,
    attempts: delivery.attempts,
    ...(delivery.lastAttemptAt ? { last_attempt_time: delivery.lastAttemptAt } : {}),
    ...(delivery.lastResponseStatus !== undefined
      ? { last_response_status: delivery.lastResponseStatus }
      : {}),
    ...(delivery.lastError ? { last_error: delivery.lastError } : {}),
    ...(delivery.lastResponseExcerpt ? { last_response_excerpt: delivery.lastResponseExcerpt } : {}),
    ...(delivery.nextAttemptAt ? { next_attempt_time: delivery.nextAttemptAt } : {}),
    ...(delivery.deliveredAt ? { delivered_time: delivery.deliveredAt } : {}),
    ...(delivery.failedAt ? { failed_time: delivery.failedAt } : {}),
  };
}

/**
 * `GET /v1/webhook_endpoints/{id}/deliveries`: the tenant's events, newest first, each with its
 * delivery to this endpoint; `after` pages towards older events, `before` towards newer. Cursors
 * belong to the endpoint's log.
 */
export async function listWebhookDeliveries({ caller, path, event }: TenantRequest<EndpointPath>) {
  const of = { listing: "webhook_deliveries", scope: path.id } as const;
  const page = parsePageRequest(event, of, integerPosition(1, 999_999_999_999));
  const endpoint = await ownedEndpoint(caller.tenantId, path.id);
  const { rows, more, cursorHeld } = await endpointDeliveryPage(caller.tenantId, endpoint, page);
  const towardsNewer = page.before !== undefined;
  return envelope({
    event,
    of,
    limit: page.limit,
    data: rows.map((row) => webhookDeliveryView(row, endpoint)),
    ...(rows[0] ? { first: rows[0].entry.sequence } : {}),
    ...(rows.at(-1) ? { last: (rows.at(-1) as EndpointDelivery).entry.sequence } : {}),
    hasNext: towardsNewer ? cursorHeld : more,
    hasPrevious: towardsNewer ? more : cursorHeld,
  });
}

/**
 * `POST /v1/webhook_endpoints/{id}/deliveries/{event_id}/redeliver`: the event goes to this
 * endpoint again as a new round of attempts (the same `webhook-id`), due now. An event no feed of
 * the tenant holds is an unknown object; an event the endpoint's types do not select is refused
 * (400 code 100): it was never the endpoint's to receive.
 */
export async function redeliverWebhookEvent({ caller, path }: TenantRequest<EndpointEventPath>) {
  await ownedEndpoint(caller.tenantId, path.id);
  let found: boolean;
  try {
    found = await redeliverTenantEvent(caller.tenantId, path.id, path.event_id);
  } catch (error) {
    if (error instanceof EventNotSubscribedError) {
      throw graphErrors.invalidParameter(
        `Invalid parameter: event ${path.event_id} is not one this endpoint subscribes to (its event_types do not select it)`,
        "add the event's type to the endpoint's event_types (POST /v1/webhook_endpoints/{id}) to receive such events",
      );
    }
    throw error;
  }
  if (!found) throw graphErrors.objectNotAccessible(path.event_id);
  return { success: true as const };
}
