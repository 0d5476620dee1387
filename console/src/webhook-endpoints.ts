/**
 * The webhook pages' logic without a browser: the new endpoint's form as data (its fields, the
 * checks before sending, the body sent), the event types an endpoint may receive, the rotation's
 * choices, and what a delivery's status means to a person. The form is one `EndpointDraft`: a
 * field the contract adds is one more property here, one more line in `newEndpointOf`, and its
 * inputs in the form; nothing else changes.
 */
import type { NewWebhookEndpoint, WebhookDelivery, WebhookEndpoint, WebhookEventType } from "./api/client.ts";
import { type AdviceContext, SELF_SERVICE_ADVICE } from "./api/errors.ts";
import { hasUnprintable, phoneLabel } from "./format.ts";

/** The event types an endpoint may receive (docs/spec.md, "Event types"), in the order offered. */
export const EVENT_TYPES: readonly { value: WebhookEventType; label: string; hint: string }[] = [
  {
    value: "username.updated",
    label: "Every change",
    hint: "username.updated: every change of your numbers' usernames, whoever made it.",
  },
  {
    value: "username.changed_outside",
    label: "Changes made outside this service",
    hint: "username.changed_outside: only the changes made in WhatsApp Manager, by Meta or another tool, not through this service.",
  },
];

/** What the service subscribes an endpoint to when it chooses nothing. */
export const DEFAULT_EVENT_TYPES: readonly WebhookEventType[] = ["username.updated"];

/** The event types in words, in the order offered: "every change", "changes made outside this service". */
export function eventTypesLabel(types: readonly string[] | undefined): string {
  const chosen = types && types.length > 0 ? types : DEFAULT_EVENT_TYPES;
  // Both together are every change once: saying "every change" alone is what it means.
  if (chosen.includes("username.updated")) return "every change";
  return EVENT_TYPES.filter((type) => chosen.includes(type.value))
    .map((type) => type.label.toLowerCase())
    .join(", ");
}

/** The event types in the order offered, each once. */
export function orderedEventTypes(types: Iterable<WebhookEventType>): WebhookEventType[] {
  const chosen = new Set(types);
  return EVENT_TYPES.map((type) => type.value).filter((value) => chosen.has(value));
}

/** A problem with a choice of event types (none chosen), or undefined. */
export function eventTypesProblem(types: readonly WebhookEventType[]): string | undefined {
  return types.length === 0 ? "Choose at least one kind of change to receive." : undefined;
}

/** What the person typed and chose in the "Add an endpoint" form, as typed. */
export interface EndpointDraft {
  url: string;
  description: string;
  eventTypes: WebhookEventType[];
}

export const EMPTY_ENDPOINT_DRAFT: EndpointDraft = {
  url: "",
  description: "",
  eventTypes: [...DEFAULT_EVENT_TYPES],
};

/** The service's limits (docs/spec.md, "Self-service: webhook endpoints and API keys"). */
export const ENDPOINT_URL_MAX_LENGTH = 2048;
export const ENDPOINT_DESCRIPTION_MAX_LENGTH = 256;

/**
 * What is wrong with a draft before anything is sent, by field (none: send it). Only what the
 * browser can tell for sure: whether the URL is an http(s) URL without credentials or fragment,
 * and the lengths. Which hosts and schemes the service takes (https only in AWS; loopback over
 * http under `npm start`; public addresses only) it says itself, as a code 100 naming the rule.
 */
export function endpointDraftProblems(draft: EndpointDraft): Partial<Record<keyof EndpointDraft, string>> {
  const problems: Partial<Record<keyof EndpointDraft, string>> = {};
  const url = draft.url.trim();
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (url === "") problems.url = "Enter the URL your service receives events at.";
  else if (url.length > ENDPOINT_URL_MAX_LENGTH)
    problems.url = `A URL has at most ${ENDPOINT_URL_MAX_LENGTH} characters.`;
  else if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:"))
    problems.url = "Enter a whole URL, starting with https://.";
  else if (parsed.username !== "" || parsed.password !== "")
    problems.url = "Leave the user name and password out of the URL: every delivery is signed instead.";
  else if (url.includes("#")) problems.url = "Leave the #fragment out of the URL: it is never sent.";
  else if (hasUnprintable(url)) problems.url = "The URL has a character that cannot be printed.";

  const description = draft.description.trim();
  if (description.length > ENDPOINT_DESCRIPTION_MAX_LENGTH)
    problems.description = `A description has at most ${ENDPOINT_DESCRIPTION_MAX_LENGTH} characters (this one has ${description.length}).`;
  else if (hasUnprintable(description))
    problems.description = "The description has a character that cannot be printed.";

  const eventTypes = eventTypesProblem(draft.eventTypes);
  if (eventTypes) problems.eventTypes = eventTypes;
  return problems;
}

/** The body of `POST /v1/webhook_endpoints` for a draft without problems. */
export function newEndpointOf(draft: EndpointDraft): NewWebhookEndpoint {
  const description = draft.description.trim();
  return {
    url: draft.url.trim(),
    ...(description !== "" ? { description } : {}),
    event_types: orderedEventTypes(draft.eventTypes),
  };
}

/** How long the previous secret keeps verifying after a rotation: the service's default, or not at all. */
export type RotationOverlap = "default" | "none";

/** The rotation's choices, in the order offered; the first is the default. */
export const ROTATION_OVERLAPS: readonly { value: RotationOverlap; label: string; hint: string }[] = [
  {
    value: "default",
    label: "Keep the old secret working for 24 hours",
    hint: "Both secrets sign every delivery meanwhile, so your receiver can switch to the new one when it likes.",
  },
  {
    value: "none",
    label: "Stop the old secret now",
    hint: "When the old secret may have leaked: deliveries are signed with the new one only, from now on.",
  },
];

/** `overlap_seconds` of a choice: absent for the service's default (24 h), 0 to stop at once. */
export function overlapSecondsOf(overlap: RotationOverlap): number | undefined {
  return overlap === "none" ? 0 : undefined;
}

/** Whether the previous secret stopped at the rotation itself (the answer says so by equal times). */
export function previousSecretStopped(rotated: {
  secret_rotated_time?: string | undefined;
  previous_secret_expires_time: string;
}): boolean {
  const expires = Date.parse(rotated.previous_secret_expires_time);
  const rotatedAt = rotated.secret_rotated_time ? Date.parse(rotated.secret_rotated_time) : Number.NaN;
  return !Number.isNaN(expires) && !Number.isNaN(rotatedAt) && expires <= rotatedAt;
}

/** A delivery's status in words and its badge's tone, with a note when the status alone could mislead. */
export function deliveryStatusOf(
  delivery: WebhookDelivery,
  endpoint: Pick<WebhookEndpoint, "created_time"> | undefined,
): { label: string; tone: "ok" | "wait" | "error" | "neutral"; note?: string } {
  switch (delivery.status) {
    case "delivered":
      return { label: "delivered", tone: "ok" };
    case "pending":
      return { label: "waiting for a retry", tone: "wait" };
    case "failed":
      return {
        label: "failed",
        tone: "error",
        note: "after its last attempt: redeliver it when your service is back",
      };
    case "not_subscribed":
      return {
        label: "not subscribed",
        tone: "neutral",
        note: "this endpoint does not receive this kind of change",
      };
    case "not_attempted":
      // Events before the endpoint are in its log too, never sent unless redelivered.
      return endpoint && Date.parse(delivery.event_created_time) < Date.parse(endpoint.created_time)
        ? { label: "not sent", tone: "neutral", note: "the change came before this endpoint" }
        : { label: "sending", tone: "wait" };
    default:
      return { label: String(delivery.status), tone: "neutral" };
  }
}

/** How soon an in-flight delivery is looked at again (ms). */
export const DELIVERY_POLL_INTERVAL_MS = 2_000;
/** A retry due further away than this is not waited for by polling (the person refreshes). */
const SOON_MS = 60_000;

/**
 * Whether the log shows a delivery about to change on its own: one being sent now (no attempt
 * recorded for an event newer than the endpoint, or a redelivery just scheduled), or a retry due
 * within a minute. An event older than the endpoint is never sent unless redelivered, so its
 * `not_attempted` is final.
 */
export function deliveryInFlight(
  delivery: WebhookDelivery,
  endpoint: Pick<WebhookEndpoint, "created_time"> | undefined,
  now: number = Date.now(),
): boolean {
  if (delivery.status === "pending") {
    const next = delivery.next_attempt_time ? Date.parse(delivery.next_attempt_time) : now;
    return Number.isNaN(next) || next - now <= SOON_MS;
  }
  if (delivery.status === "not_attempted") {
    if (!endpoint) return false;
    return Date.parse(delivery.event_created_time) >= Date.parse(endpoint.created_time);
  }
  return false;
}

/**
 * Whether the log offers to send `delivery` again: only what the service would take. It refuses
 * an event the endpoint's current types do not select (400 code 100), and such an event comes
 * with its base type (`username.updated`), so `event_type` against `event_types` tells; until the
 * endpoint is loaded, nothing is offered.
 */
export function redeliverable(
  delivery: Pick<WebhookDelivery, "status" | "event_type">,
  endpoint: Pick<WebhookEndpoint, "event_types"> | undefined,
): boolean {
  if (!endpoint || delivery.status === "not_subscribed") return false;
  return (endpoint.event_types as readonly string[]).includes(delivery.event_type);
}

/**
 * Which change an event was: its number as the numbers page writes it, the name it got, and where
 * a name moved between two numbers of the portfolio (so the number losing it does not read as a
 * deletion).
 */
export function deliveryChangeLabel(
  delivery: Pick<
    WebhookDelivery,
    "display_phone_number" | "username" | "username_status" | "transferred_to" | "transferred_from"
  >,
): string {
  const number = phoneLabel(delivery.display_phone_number);
  // The other number of a move is known by its id only: the event carries no display number of it.
  if (!delivery.username) {
    return delivery.transferred_to
      ? `${number}: username moved to phone number id ${delivery.transferred_to}`
      : `${number}: no username now`;
  }
  const name = `${delivery.username}${delivery.username_status ? ` (${delivery.username_status})` : ""}`;
  const from = delivery.transferred_from ? `, moved from phone number id ${delivery.transferred_from}` : "";
  return `${number}: ${name}${from}`;
}

/** A refused redelivery: the service's hint names the setting that refuses it (the endpoint's event types). */
export const REDELIVER_ADVICE: AdviceContext = { ...SELF_SERVICE_ADVICE, hint: true };
