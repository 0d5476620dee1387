/**
 * Attempts the deliveries of one queue message: events of one tenant to one of its endpoints
 * (the lifecycle of each delivery is delivery-lifecycle.ts's).
 *
 * - `first` deliveries (events just sequenced, carried in the message) are sent at once, each
 *   outcome written as soon as it ends (a successful delivery costs one write). `first-again` ones
 *   (a stream batch seen twice, or work handed back below) and those of a message received again
 *   may have been sent already: they are sent only if nothing is recorded for them, and claimed
 *   first. Events older than the endpoint (added after them) are never sent as first deliveries.
 * - `retry` deliveries are claimed right before they are sent. A delivery whose last attempt was
 *   claimed but never recorded ends `failed`.
 * - The invocation's deadline (`deadline`): no attempt starts that could not end before it (its
 *   whole budget, WEBHOOK_TIMEOUT_MS, must fit); what is left is handed back to the queue at
 *   once (`first-again` for first attempts, so they are claimed, `retry` for retries), and the
 *   message ends done. SQS never gets the message back for work already done.
 * - At most PARALLEL_PER_ENDPOINT requests to one endpoint at a time per container, across every
 *   message of it: a hanging endpoint holds at most that many connections. Once it proves
 *   unreachable (timeout, refused connection, a refused address) the message's remaining
 *   deliveries are not sent but counted as failed attempts, so a dead endpoint costs one timeout
 *   per message, never one per event. Messages (endpoints, tenants) are dispatched independently
 *   of each other: a slow endpoint never holds up another's deliveries.
 * - A failed attempt schedules the next one (WEBHOOK_RETRY_DELAYS): delays up to 15 minutes also
 *   go back on the queue with that delay; the retry sweep finds every due delivery regardless.
 */
import { mapWithConcurrency } from "../concurrency.ts";
import { config } from "../config.ts";
import { logger } from "../logger.ts";
import { countMetric } from "../metrics.ts";
import { getFeedEvents } from "../store/event-feed.ts";
import { type DeliveryRef, deliveryId, getDeliveries } from "../store/webhook-deliveries.ts";
import { dropPreviousSecret, getEndpoint, type WebhookEndpoint } from "../store/webhook-endpoints.ts";
import type { UsernameChangeEvent } from "../validation/tenant-api.ts";
import {
  type Claim,
  claimAttempt,
  endUnrecordedLastAttempt,
  FirstAttemptLog,
  lastAttemptTaken,
  recordClaimedAttempt,
} from "./delivery-lifecycle.ts";
import { type DeliveryMessage, deliveryQueue, MAX_DELAY_SECONDS, messagesFor } from "./delivery-queue.ts";
import { previousSecretActive, signingSecrets } from "./endpoint-secret.ts";
import { endpointUrlProblem } from "./endpoint-url.ts";
import { eventForEndpoint } from "./event-types.ts";
import { type HttpAttempt, postWebhook } from "./http-attempt.ts";
import { REFUSED_ERROR } from "./outbound-address.ts";
import { type NextState, nextState } from "./retry-schedule.ts";
import { signatureHeaders } from "./webhook-signature.ts";

export const PARALLEL_PER_ENDPOINT = 8;
const USER_AGENT = "whatsapp-usernames-webhooks/1";

export interface DispatchSummary {
  attempted: number;
  delivered: number;
  retrying: number;
  failed: number;
  /** Deliveries left out: recorded already, claimed elsewhere, or older than the endpoint. */
  skipped: number;
  /** Deliveries not attempted before the deadline: handed back to the queue. */
  deferred: number;
}

interface Task {
  ref: DeliveryRef;
  /** Attempts made before this one. */
  attempts: number;
  event: UsernameChangeEvent;
  /** The claim it needs before it is sent (none: a first attempt nobody can have sent). */
  claim?: Claim;
}

export interface DispatchOptions {
  /** The queue handed this message over before (SQS's ApproximateReceiveCount > 1). */
  redelivered?: boolean;
  /** Epoch ms by which every attempt must have ended (the invocation's deadline less a reserve). */
  deadline?: number;
  /**
   * An attempt's budget, ms (default WEBHOOK_TIMEOUT_MS). The handler shortens it only for an
   * invocation shorter than that, so one attempt at a time still fits.
   */
  attemptBudgetMs?: number;
}

type Delivery = DeliveryMessage["deliveries"][number];

/**
 * At most `size` holders at a time; the rest wait their turn in order, each at most until the
 * time it gives (messages of one container have their own deadlines: one waiting behind others
 * must not wait past its own).
 */
class Slots {
  #free: number;
  #waiting: (() => void)[] = [];
  constructor(size: number) {
    this.#free = size;
  }
  get idle(): boolean {
    return this.#free === PARALLEL_PER_ENDPOINT && this.#waiting.length === 0;
  }
  /** A release function once a slot is held; undefined when none freed before `until` (epoch ms). */
  async acquire(until: number): Promise<(() => void) | undefined> {
    if (this.#free > 0) this.#free--;
    else {
      const got = await new Promise<boolean>((resolve) => {
        const waiter = () => {
          clearTimeout(timer);
          resolve(true);
        };
        // No deadline (a caller without one): wait as long as it takes. (setTimeout would take
        // an infinite delay for 1 ms.)
        const timer = Number.isFinite(until)
          ? setTimeout(
              () => {
                this.#waiting = this.#waiting.filter((other) => other !== waiter);
                resolve(false);
              },
              Math.max(0, until - Date.now()),
            )
          : undefined;
        this.#waiting.push(waiter);
      });
      if (!got) return undefined;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    };
  }
}

/** Each endpoint's request slots in this container, shared by every message to it. */
const endpointSlots = new Map<string, Slots>();

/** One of the endpoint's slots, or undefined when none freed before `until` (epoch ms). */
async function endpointSlot(endpointId: string, until: number): Promise<(() => void) | undefined> {
  let slots = endpointSlots.get(endpointId);
  if (!slots) {
    slots = new Slots(PARALLEL_PER_ENDPOINT);
    endpointSlots.set(endpointId, slots);
  }
  const release = await slots.acquire(until);
  const held = slots;
  const done = () => {
    if (held.idle && endpointSlots.get(endpointId) === held) endpointSlots.delete(endpointId);
  };
  if (!release) {
    done();
    return undefined;
  }
  return () => {
    release();
    done();
  };
}

export async function dispatchDeliveries(
  message: DeliveryMessage,
  options: DispatchOptions = {},
): Promise<DispatchSummary> {
  const summary: DispatchSummary = {
    attempted: 0,
    delivered: 0,
    retrying: 0,
    failed: 0,
    skipped: 0,
    deferred: 0,
  };
  const { tenantId, endpointId } = message;
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const endpoint = await getEndpoint(tenantId, endpointId);
  if (endpoint?.previousSecretExpiresAt && !previousSecretActive(endpoint, Date.now())) {
    // A rotation's overlap is over: the previous secret is dropped (once; signing ignores it anyway).
    await dropPreviousSecret(endpoint, endpoint.previousSecretExpiresAt);
  }
  const tasks = await tasksOf(message, endpoint, options.redelivered === true);
  summary.skipped = message.deliveries.length - tasks.length;
  if (tasks.length === 0) return summary;

  const budgetMs = options.attemptBudgetMs ?? config.webhookTimeoutMs();
  const send = sender(endpoint, budgetMs);
  const firstAttempts = new FirstAttemptLog();
  let unreachable: string | undefined;
  const deferred: Task[] = [];
  const retries = new Map<number, Delivery[]>();
  const cannotFinish = () => firstAttempts.failed || Date.now() + budgetMs > deadline;

  const settled = await mapWithConcurrency(tasks, PARALLEL_PER_ENDPOINT, async (task) => {
    if (cannotFinish()) {
      deferred.push(task);
      return;
    }
    let leaseToken: string | undefined;
    let result: HttpAttempt;
    // Waiting for a slot ends when an attempt could no longer end before the deadline.
    const release = unreachable ? () => undefined : await endpointSlot(endpointId, deadline - budgetMs);
    if (!release) {
      deferred.push(task);
      return;
    }
    try {
      if (cannotFinish()) {
        deferred.push(task);
        return;
      }
      if (task.claim) {
        leaseToken = await claimAttempt(task.ref, task.claim, task.attempts, budgetMs);
        if (!leaseToken) {
          summary.skipped++;
          return;
        }
      }
      result = unreachable
        ? {
            at: new Date().toISOString(),
            durationMs: 0,
            ok: false,
            error: `not sent: endpoint unreachable (${unreachable})`,
          }
        : await send(task.event);
    } finally {
      release();
    }
    if (result.unreachable) unreachable ??= result.unreachable;
    const { unreachable: _, ...outcome } = result;
    const attempt = task.attempts + 1;
    const now = Date.now();
    // A removed endpoint will never answer: its retries end now.
    const next: NextState = endpoint ? nextState(attempt, outcome.ok, now) : { status: "failed" };
    summary.attempted++;
    if (leaseToken) {
      // The attempt counts from its claim on; a lost claim means the delivery moved on without
      // this outcome (its lease ran out), so nothing more is done for it here.
      if (!(await recordClaimedAttempt(task.ref, attempt, leaseToken, outcome, next))) return;
    } else firstAttempts.add(task.ref, outcome, next);
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
  // Throws when an outcome could not be written: the message fails and SQS hands it over again
  // (nothing is handed back then: the message received again covers its deferred deliveries).
  await firstAttempts.flush();
  // Only retries whose pending state is stored go back on the queue.
  for (const [delay, deliveries] of retries) {
    await deliveryQueue().send(messagesFor({ tenantId, endpointId, kind: "retry" }, deliveries), delay);
  }
  summary.deferred = deferred.length;
  await handBack(message, deferred);
  const failed = settled.find((result) => result.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  logger.info("webhook deliveries attempted", { tenantId, endpointId, kind: message.kind, ...summary });
  return summary;
}

/**
 * Puts deliveries not attempted before the deadline back on the queue, due at once: retries as
 * `retry` (claimed when sent), first attempts as `first-again` (each claimed first, as they
 * carry no record, so a copy of this message received again cannot send them twice).
 */
async function handBack(message: DeliveryMessage, deferred: readonly Task[]): Promise<void> {
  if (deferred.length === 0) return;
  const { tenantId, endpointId } = message;
  const ordered = [...deferred].sort((a, b) => a.ref.sequence - b.ref.sequence);
  const retries = ordered.filter((task) => task.claim === "retry");
  const firsts = ordered.filter((task) => task.claim !== "retry");
  const messages = [
    ...messagesFor(
      { tenantId, endpointId, kind: "first-again" },
      firsts.map((task) => ({
        eventId: task.ref.eventId,
        sequence: task.ref.sequence,
        attempts: 0,
        event: task.event,
      })),
    ),
    ...messagesFor(
      { tenantId, endpointId, kind: "retry" },
      retries.map((task) => ({
        eventId: task.ref.eventId,
        sequence: task.ref.sequence,
        attempts: task.attempts,
      })),
    ),
  ];
  await deliveryQueue().send(messages);
  logger.info("webhook deliveries handed back before the deadline", {
    tenantId,
    endpointId,
    deferred: deferred.length,
  });
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

/** What the message's deliveries come to: the ones to attempt, with their events and the claim each needs. */
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
  const claim: Claim | undefined = message.kind === "retry" ? "retry" : mayBeSent ? "first" : undefined;
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
    if (claim === "retry" && lastAttemptTaken(delivery.attempts)) {
      // Its last attempt was claimed and its lease is over without an outcome: it failed.
      await endUnrecordedLastAttempt(refOf(delivery), delivery.attempts);
      continue;
    }
    tasks.push({ ref: refOf(delivery), attempts: delivery.attempts, event, ...(claim ? { claim } : {}) });
  }
  return tasks;
}

/** The attempt function for the endpoint: removed or refused endpoints fail without a request. */
function sender(
  endpoint: WebhookEndpoint | undefined,
  budgetMs: number,
): (event: UsernameChangeEvent) => Promise<HttpAttempt> {
  const refused =
    (error: string, unreachable?: HttpAttempt["unreachable"]) => async (): Promise<HttpAttempt> => ({
      at: new Date().toISOString(),
      durationMs: 0,
      ok: false,
      error,
      ...(unreachable ? { unreachable } : {}),
    });
  if (!endpoint) return refused("endpoint removed");
  const allowLoopback = config.allowsLoopbackWebhooks();
  // Every refusal is the same error, whichever rule refused.
  if (endpointUrlProblem(endpoint.url, allowLoopback)) return refused(REFUSED_ERROR, "connection");
  const secrets = signingSecrets(endpoint, Date.now());
  return (event) => {
    // The type this endpoint subscribed to (event-types.ts); an event handed to it before its
    // types changed goes out as it was chosen.
    const body = JSON.stringify(eventForEndpoint(endpoint, event) ?? event);
    const headers = {
      "content-type": "application/json",
      "user-agent": USER_AGENT,
      ...signatureHeaders(secrets, event.id, new Date(), body),
    };
    return postWebhook(endpoint.url, headers, body, budgetMs, { allowLoopback });
  };
}
