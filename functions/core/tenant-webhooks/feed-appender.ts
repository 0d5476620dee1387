/**
 * Appends one tenant's new events to its change feed, then hands their first webhook attempts to
 * the delivery queue. The feed appender (appender-handler.ts) calls it for each message of the
 * FIFO feed queue, one message of a tenant at a time and in the order the stream sequencer sent
 * them (feed-queue.ts), so a tenant's feed has one appender and its appends do not race.
 *
 * Events already in a feed are left out (their `EVENT#` item: a stream batch or a FIFO message
 * seen twice), the rest are appended in transactions of up to 49 events, each conditional on the
 * head it read (store/event-feed.ts). The condition stays as the guard of dense, unique sequence
 * numbers: nothing else appends to a tenant's feed now, but should two appends ever meet (an
 * invocation outliving its timeout while SQS hands its messages out again, the deploy that
 * switched appending from the sequencer to the appender), the loser re-reads the head and an
 * event sequenced meanwhile by the other is dropped.
 */
import { logger } from "../logger.ts";
import { appendToFeed, EVENTS_PER_APPEND, findSequencedEvents, readFeedHead } from "../store/event-feed.ts";
import { listEndpoints } from "../store/webhook-endpoints.ts";
import type { UsernameChangeEvent } from "../validation/tenant-api.ts";
import { deliveryQueue, FIRST_AGAIN_DELAY_SECONDS, messagesFor } from "./delivery-queue.ts";
import { endpointReceives } from "./event-types.ts";

/** Appends tried before giving up on a head that keeps moving (only a concurrent appender moves it). */
const MAX_ROUNDS = 100;

export interface AppendSummary {
  /** Appended to the feed by this call. */
  sequenced: number;
  /** Already in a feed (a redelivered stream batch or FIFO message, or appended concurrently). */
  duplicates: number;
  /** Deliveries (event × endpoint) handed to the delivery queue, first and first-again. */
  dispatched: number;
  /** Cancelled appends: transactions that lost a race for the head (0 unless two appenders met). */
  racesLost: number;
}

/**
 * Sequences `events` (one tenant's, in stream order) into the tenant's feed after its head and
 * hands each endpoint's first deliveries to the delivery queue (only the events the endpoint's
 * types select: event-types.ts). Events found already sequenced go to the queue again as
 * `first-again`, 90 s later (a run may have stopped between its feed transaction and the queue;
 * the dispatcher sends only deliveries without a record).
 *
 * Throws on a storage or queue error (nothing is lost: the caller's message is handed back, and
 * its events already appended are recognised then). Idempotent: calling it again with the same
 * events appends nothing.
 */
export async function appendTenantEvents(
  tenantId: string,
  events: readonly UsernameChangeEvent[],
): Promise<AppendSummary> {
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

  let dispatched = await dispatch(
    "first-again",
    events.flatMap((event) => {
      const record = already.get(event.id);
      return record ? [{ event, sequence: record.sequence }] : [];
    }),
  );
  let unsequenced = events.filter((event) => !already.has(event.id));
  let head = unsequenced.length > 0 ? await readFeedHead(tenantId) : 0;
  let sequenced = 0;
  let duplicates = already.size;
  let racesLost = 0;
  for (let round = 0; unsequenced.length > 0; round++) {
    if (round >= MAX_ROUNDS) throw new Error(`feed of tenant ${tenantId} kept changing under the appender`);
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
      // Sequenced by a concurrent append, which dispatches them itself.
      racesLost++;
      duplicates += outcome.eventIds.size;
      unsequenced = unsequenced.filter((event) => !outcome.eventIds.has(event.id));
    } else {
      racesLost++;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * Math.min(round + 1, 10)));
      head = await readFeedHead(tenantId);
    }
  }
  if (sequenced > 0 || racesLost > 0)
    logger.info("events sequenced", {
      tenantId,
      sequenced,
      duplicates,
      head,
      endpoints: endpoints.length,
      ...(racesLost > 0 ? { racesLost } : {}),
    });
  return { sequenced, duplicates, dispatched, racesLost };
}
