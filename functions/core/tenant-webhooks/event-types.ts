/**
 * Which of a tenant's events an endpoint receives, and with which type (docs/spec.md, "Event
 * types"). One rule for every place that decides it: the sequencer's first deliveries, the
 * dispatcher's payload (first attempts, retries and redeliveries alike), the delivery log and
 * redelivery. Pure: no I/O.
 *
 * - subscribed to `username.updated`: every event, as it is in the feed;
 * - subscribed to `username.changed_outside` only: the events whose `data.origin` is `outside`,
 *   typed `username.changed_outside` (same `id`, so Standard Webhooks' `webhook-id` stays the
 *   event id and a receiver's de-duplication holds);
 * - subscribed to both: every event once, as `username.updated`.
 */
import {
  DEFAULT_WEBHOOK_EVENT_TYPES,
  type UsernameChangeEvent,
  type WebhookEventType,
} from "../validation/tenant-api.ts";

/** The endpoint's part this rule reads: its chosen types (absent: the default). */
export interface Subscriber {
  eventTypes?: readonly WebhookEventType[];
}

/** The types the endpoint subscribes to: its own choice, or `username.updated` when it made none. */
export function subscribedTypes(endpoint: Subscriber): readonly WebhookEventType[] {
  return endpoint.eventTypes && endpoint.eventTypes.length > 0
    ? endpoint.eventTypes
    : DEFAULT_WEBHOOK_EVENT_TYPES;
}

/**
 * The event as this endpoint receives it (its `type` the one it subscribed to), or undefined when
 * the endpoint does not receive it.
 */
export function eventForEndpoint(
  endpoint: Subscriber,
  event: UsernameChangeEvent,
): UsernameChangeEvent | undefined {
  const types = subscribedTypes(endpoint);
  if (types.includes("username.updated")) return { ...event, type: "username.updated" };
  if (types.includes("username.changed_outside") && event.data.origin === "outside") {
    return { ...event, type: "username.changed_outside" };
  }
  return undefined;
}

/** Whether the endpoint receives the event at all. */
export function endpointReceives(endpoint: Subscriber, event: UsernameChangeEvent): boolean {
  return eventForEndpoint(endpoint, event) !== undefined;
}
