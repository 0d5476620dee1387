/**
 * Attempts the deliveries of one queue message: events of one tenant to one of its endpoints.
 *
 * - `first` deliveries (events just sequenced, carried in the message) are sent at once; their
 *   outcomes are written together, 25 per BatchWriteItem: a successful delivery costs one write.
 *   `first-again` ones (a stream batch seen twice) and those of a message received again (its
 *   first receipt failed, or SQS delivered it twice) may have been sent already: they are sent
 *   only if nothing is recorded for them, and claimed first. Events older than the endpoint
 *   (added after them) are never sent as first deliveries.
 * - `retry` deliveries are claimed first (store/webhook-deliveries.ts): the claim counts the
 *   attempt, so each attempt is sent once, and one whose outcome cannot be written still counts;
 *   the outcome is written by the claim's holder alone. A delivery whose last attempt was claimed
 *   but never recorded ends `failed` when its lease is over.
 * - At most PARALLEL_PER_ENDPOINT requests to the endpoint at a time; once it proves unreachable
 *   (timeout, refused connection) the message's remaining deliveries are not sent but counted as
 *   failed attempts, so a dead endpoint costs one timeout per message, never one per event.
 *   Messages (endpoints, tenants) are dispatched independently of each other: a slow endpoint
 *   never holds up another's deliveries.
 * - A failed attempt schedules the next one (WEBHOOK_RETRY_DELAYS): delays up to 15 minutes also
 *   go back on the queue with that delay; the retry sweep finds every due delivery regardless.
 */
import { randomBytes } from "node:crypto";
import { mapWithConcurrency } from "../concurrency.ts";
import { config } from "../config.ts";
import { logger } from "../logger.ts";
import { countMetric } from "../metrics.ts";
import { getFeedEvents } from "../store/event-feed.ts";
import {
  claimDelivery,
  claimFirstDelivery,
  type DeliveryRef,
  deliveryId,
  type FirstAttempt,
  failUnrecordedDelivery,
  getDeliveries,
  type NextState,
  recordAttempt,
  recordFirstAttempts,
} from "../store/webhook-deliveries.ts";
import { getEndpoint, type WebhookEndpoint } from "../store/webhook-endpoints.ts";
import type { UsernameChangeEvent } from "../validation/tenant-api.ts";
import { type DeliveryMessage, deliveryQueue, MAX_DELAY_SECONDS, messagesFor } from "./delivery-queue.ts";
import { openEndpointSecret } from "./endpoint-secret.ts";
import { endpointUrlProblem } from "./endpoint-url.ts";
import { type HttpAttempt, postWebhook } from "./http-attempt.ts";
import { maxAttempts, nextState } from "./retry-schedule.ts";
import { signatureHeaders } from "./webhook-signature.ts";

export const PARALLEL_PER_ENDPOINT = 8;
const PARALLEL_CLAIMS = 16;
/** How long past its budget an attempt may still be running before its claim lapses. */
const LEASE_MARGIN_MS = 60_000;
const USER_AGENT = "whatsapp-usernames-webhooks/1";

export interface DispatchSummary {
  attempted: number;
  delivered: number;
  retrying: number;
  failed: number;
  /** Deliveries left out: recorded already, claimed elsewhere, or older than the endpoint. */
  skipped: number;
}

interface Task {
  ref: DeliveryRef;
  /** Attempts made before this one. */
  attempts: number;
  event: UsernameChangeEvent;
  /** Set for claimed attempts (retries, first attempts that may have been sent): the claim's token. */
  leaseToken?: string;
}

export interface DispatchOptions {
  /** The queue handed this message over before (SQS's ApproximateReceiveCount > 1). */
  redelivered?: boolean;
}

type Delivery = DeliveryMessage["deliveries"][number];

export async function dispatchDeliveries(
  message: DeliveryMessage,
  options: DispatchOptions = {},
): Promise<DispatchSummary> {
  const summary: DispatchSummary = { attempted: 0, delivered: 0, retrying: 0, failed: 0, skipped: 0 };
  const { tenantId, endpointId } = message;
  const endpoint = await getEndpoint(tenantId, endpointId);
  const tasks = await tasksOf(message, endpoint, options.redelivered === true);
  summary.skipped = message.deliveries.length - tasks.length;
  if (tasks.length === 0) return summary;

  const send = sender(endpoint);
  let unreachable: string | undefined;
  const firstAttempts: FirstAttempt[] = [];
  const retries = new Map<number, Delivery[]>();
  const settled = await mapWithConcurrency(tasks, PARALLEL_PER_ENDPOINT, async (task) => {
    const result: HttpAttempt = unreachable
      ? {
          at: new Date().toISOString(),
          durationMs: 0,
          ok: false,
          error: `not sent: endpoint unreachable (${unreachable})`,
        }
      : await send(task.event);
    if (result.unreachable) unreachable ??= result.unreachable;
    const { unreachable: _, ...stored } = result;
    const attempt = task.attempts + 1;
    const now = Date.now();
    // A removed endpoint will never answer: its retries end now.
    const next: NextState = endpoint ? nextState(attempt, result.ok, now) : { status: "failed" };
    summary.attempted++;
    if (task.leaseToken) {
      // The attempt counts from its claim on; a lost claim means the delivery moved on without
      // this outcome (its lease ran out), so nothing more is done for it here.
      if (!(await recordAttempt(task.ref, attempt, task.leaseToken, stored, next))) return;
    } else firstAttempts.push({ ref: task.ref, result: stored, next });
    if (next.status === "delivered") summary.delivered++;
    else if (next.status === "failed") summary.failed++;
    else {
      summary.retrying++;
      const delay = Math.ceil((next.nextAttemptAt - now) / 1000);
      if (delay <= MAX_DELAY_SECONDS) {
        const due = retries.get(delay) ?? [];
        due.push({ eventId: task.ref.eventId, sequence: task.ref.sequence, attempts: attempt });
        retries.set(delay, due);
      }
    }
  });
  // An operator's own removal of an endpoint is no delivery failure: it pages nobody.
  if (endpoint) countDeliveryFailures(tenantId, endpointId, summary);
  else if (summary.failed > 0) {
    logger.info("deliveries to a removed endpoint ended", { tenantId, endpointId, ended: summary.failed });
  }
  await recordFirstAttempts(firstAttempts);
  // Only retries whose pending state is stored go back on the queue.
  for (const [delay, deliveries] of retries) {
    await deliveryQueue().send(messagesFor({ tenantId, endpointId, kind: "retry" }, deliveries), delay);
  }
  const failed = settled.find((result) => result.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  logger.info("webhook deliveries attempted", { tenantId, endpointId, kind: message.kind, ...summary });
  return summary;
}

/**
 * `EventDeliveryFailed`: attempts that failed (each is retried or given up); `EventDeliveryExhausted`:
 * deliveries given up for good. One log line and one count of each per message, when any.
 */
function countDeliveryFailures(tenantId: string, endpointId: string, summary: DispatchSummary): void {
  const failedAttempts = summary.attempted - summary.delivered;
  if (failedAttempts > 0) {
    logger.warn("tenant webhook attempts failed", {
      metric: "EventDeliveryFailed",
      tenantId,
      endpointId,
      failedAttempts,
    });
    countMetric("EventDeliveryFailed", failedAttempts, { tenantId, endpointId });
  }
  if (summary.failed > 0) {
    logger.error("tenant webhook deliveries gave up", {
      metric: "EventDeliveryExhausted",
      tenantId,
      endpointId,
      exhausted: summary.failed,
    });
    countMetric("EventDeliveryExhausted", summary.failed, { tenantId, endpointId });
  }
}

/** What the message's deliveries come to: the ones to attempt now, with their events (claimed, for retries). */
async function tasksOf(
  message: DeliveryMessage,
  endpoint: WebhookEndpoint | undefined,
  redelivered: boolean,
): Promise<Task[]> {
  const { tenantId, endpointId } = message;
  const refOf = (d: Delivery): DeliveryRef => ({
    tenantId,
    endpointId,
    eventId: d.eventId,
    sequence: d.sequence,
  });
  let deliveries = message.deliveries;
  // First attempts that may have been sent already: checked against their records, then claimed.
  const mayBeSent = message.kind === "first-again" || (message.kind === "first" && redelivered);
  if (message.kind !== "retry") {
    // An endpoint removed since the events were sequenced gets nothing.
    if (!endpoint) return [];
    if (mayBeSent) {
      const recorded = await getDeliveries(deliveries.map(refOf));
      deliveries = deliveries.filter((d) => !recorded.has(deliveryId(refOf(d))));
    }
  }
  const missing = deliveries.filter((d) => !d.event).map((d) => d.sequence);
  const stored = missing.length > 0 ? await getFeedEvents(tenantId, missing) : new Map();
  const tasks: Task[] = [];
  for (const delivery of deliveries) {
    const event = delivery.event ?? stored.get(delivery.sequence);
    if (!event || event.id !== delivery.eventId) {
      logger.error("delivery names an event its feed does not hold", {
        tenantId,
        sequence: delivery.sequence,
      });
      continue;
    }
    if (message.kind !== "retry" && endpoint && event.created_time < endpoint.createdAt) continue;
    tasks.push({ ref: refOf(delivery), attempts: delivery.attempts, event });
  }
  if (message.kind !== "retry" && !mayBeSent) return tasks;

  const leaseUntil = Date.now() + config.webhookTimeoutMs() + LEASE_MARGIN_MS;
  const claimed = await mapWithConcurrency(tasks, PARALLEL_CLAIMS, async (task) => {
    if (task.attempts >= maxAttempts()) {
      // Its last attempt was claimed and its lease is over without an outcome: it failed.
      await failUnrecordedDelivery(task.ref, task.attempts);
      return undefined;
    }
    // Should this attempt never record an outcome, the next is due as if it had failed at the
    // lease's end; after the last one, the lease's end is when the delivery is ended.
    const lost = nextState(task.attempts + 1, false, leaseUntil);
    const dueIfLost = lost.status === "pending" ? lost.nextAttemptAt : leaseUntil;
    const token = randomBytes(12).toString("base64url");
    const won =
      message.kind === "retry"
        ? await claimDelivery(task.ref, task.attempts, token, dueIfLost)
        : await claimFirstDelivery(task.ref, token, dueIfLost);
    return won ? { ...task, leaseToken: token } : undefined;
  });
  return claimed.flatMap((result) => {
    if (result.status === "rejected") throw result.reason;
    return result.value ? [result.value] : [];
  });
}

/** The attempt function for the endpoint: removed or refused endpoints fail without a request. */
function sender(endpoint: WebhookEndpoint | undefined): (event: UsernameChangeEvent) => Promise<HttpAttempt> {
  const refused = (error: string) => async (): Promise<HttpAttempt> => ({
    at: new Date().toISOString(),
    durationMs: 0,
    ok: false,
    error,
  });
  if (!endpoint) return refused("endpoint removed");
  const problem = endpointUrlProblem(endpoint.url, config.allowsLoopbackWebhooks());
  if (problem) return refused(`endpoint URL refused: ${problem}`);
  const secret = openEndpointSecret(endpoint.secretSealed, endpoint.id);
  const timeoutMs = config.webhookTimeoutMs();
  return (event) => {
    const body = JSON.stringify(event);
    const headers = {
      "content-type": "application/json",
      "user-agent": USER_AGENT,
      ...signatureHeaders(secret, event.id, new Date(), body),
    };
    return postWebhook(endpoint.url, headers, body, timeoutMs);
  };
}
