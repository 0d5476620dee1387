/**
 * Turns new history items (the outbox records of username changes) into each tenant's change
 * feed, then hands their first webhook attempts to the delivery queue.
 *
 * Per tenant, in stream order (a number's items share a partition, hence a stream shard, hence
 * an order): events already in a feed are left out (stream records come at least once), the rest
 * are appended in transactions of up to 49, each conditional on the head it read
 * (store/event-feed.ts). A lost race re-reads the head; an event sequenced meanwhile by someone
 * else is dropped from the batch. Tenants of a batch are sequenced in parallel; if one fails, the
 * whole batch fails after the others finished, and its retry finds their events sequenced.
 */
import { mapWithConcurrency } from "../concurrency.ts";
import { logger } from "../logger.ts";
import { appendToFeed, EVENTS_PER_APPEND, findSequencedEvents, readFeedHead } from "../store/event-feed.ts";
import { listEndpoints } from "../store/webhook-endpoints.ts";
import type { HistoryEvent } from "../username-state/records.ts";
import type { UsernameChangeEvent } from "../validation/tenant-api.ts";
import { deliveryQueue, FIRST_AGAIN_DELAY_SECONDS, messagesFor } from "./delivery-queue.ts";
import { endpointReceives } from "./event-types.ts";
import { isEventSource, usernameChangeEvent } from "./username-change-event.ts";

const PARALLEL_TENANTS = 8;
const MAX_ROUNDS = 100;

export interface SequencingSummary {
  historyItems: number;
  /** Appended to a feed by this run. */
  sequenced: number;
  /** Already in a feed (a redelivered stream record, or sequenced concurrently). */
  duplicates: number;
  /** History items without the fields of an event (written before events existed). */
  skipped: number;
  /** First-attempt deliveries handed to the queue. */
  dispatched: number;
}

export async function sequenceHistory(items: readonly Partial<HistoryEvent>[]): Promise<SequencingSummary> {
  const summary: SequencingSummary = {
    historyItems: items.length,
    sequenced: 0,
    duplicates: 0,
    skipped: 0,
    dispatched: 0,
  };
  const byTenant = new Map<string, UsernameChangeEvent[]>();
  const seen = new Set<string>();
  for (const item of items) {
    if (!isEventSource(item)) {
      summary.skipped++;
      continue;
    }
    if (seen.has(item.eventId)) {
      summary.duplicates++;
      continue;
    }
    seen.add(item.eventId);
    byTenant.set(item.tenantId, [...(byTenant.get(item.tenantId) ?? []), usernameChangeEvent(item)]);
  }
  const settled = await mapWithConcurrency([...byTenant], PARALLEL_TENANTS, async ([tenantId, events]) => {
    const outcome = await sequenceTenant(tenantId, events);
    summary.sequenced += outcome.sequenced;
    summary.duplicates += outcome.duplicates;
    summary.dispatched += outcome.dispatched;
  });
  const failed = settled.find((result) => result.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return summary;
}

async function sequenceTenant(tenantId: string, events: readonly UsernameChangeEvent[]) {
  const [already, endpoints] = await Promise.all([
    findSequencedEvents(events.map((event) => event.id)),
    listEndpoints(tenantId),
  ]);
  /**
   * Hands deliveries of these events to the queue, one message per endpoint and chunk, each
   * endpoint only the events its types select (event-types.ts).
   */
  const dispatch = async (
    kind: "first" | "first-again",
    entries: { event: UsernameChangeEvent; sequence: number }[],
  ) => {
    const deliveries = entries.map(({ event, sequence }) => ({
      eventId: event.id,
      sequence,
      attempts: 0,
      event,
    }));
    let handed = 0;
    const messages = endpoints.flatMap((endpoint) => {
      const received = deliveries.filter((delivery) => endpointReceives(endpoint, delivery.event));
      handed += received.length;
      return messagesFor({ tenantId, endpointId: endpoint.id, kind }, received);
    });
    if (messages.length > 0)
      await deliveryQueue().send(messages, kind === "first-again" ? FIRST_AGAIN_DELAY_SECONDS : 0);
    return handed;
  };

  // Events found already sequenced are handed on again (`first-again`): a first run may have
  // stopped between its feed transaction and the queue. The dispatcher skips those recorded; they
  // wait until the first copies, if any, have recorded their outcomes.
  let dispatched = await dispatch(
    "first-again",
    events.flatMap((event) => {
      const record = already.get(event.id);
      return record ? [{ event, sequence: record.sequence }] : [];
    }),
  );
  let unsequenced = events.filter((event) => !already.has(event.id));
  let head = await readFeedHead(tenantId);
  let sequenced = 0;
  let duplicates = already.size;
  for (let round = 0; unsequenced.length > 0; round++) {
    if (round >= MAX_ROUNDS) throw new Error(`feed of tenant ${tenantId} kept changing under the sequencer`);
    const chunk = unsequenced.slice(0, EVENTS_PER_APPEND);
    const outcome = await appendToFeed(tenantId, head, chunk);
    if (outcome.appended) {
      // Each chunk goes out as soon as it is in the feed: its deliveries overlap the next chunk.
      dispatched += await dispatch(
        "first",
        chunk.map((event, i) => ({ event, sequence: head + 1 + i })),
      );
      head = outcome.head;
      sequenced += chunk.length;
      unsequenced = unsequenced.slice(chunk.length);
    } else if (outcome.reason === "duplicates") {
      // Sequenced by a concurrent run, which dispatches them itself.
      duplicates += outcome.eventIds.size;
      unsequenced = unsequenced.filter((event) => !outcome.eventIds.has(event.id));
    } else {
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * Math.min(round + 1, 10)));
      head = await readFeedHead(tenantId);
    }
  }
  if (sequenced > 0)
    logger.info("events sequenced", { tenantId, sequenced, head, endpoints: endpoints.length });
  return { sequenced, duplicates, dispatched };
}
