/**
 * Turns new history items (the outbox records of username changes) into tenant events and sends
 * them to the FIFO feed queue (feed-queue.ts), each tenant's in stream order, one message group
 * per tenant. It appends nothing itself: the feed appender (feed-appender.ts) appends each
 * tenant's messages one at a time, so the stream's shards, which all carry a large tenant's
 * numbers, never race for its feed's head (docs/scale.md, "The per-tenant feed ceiling").
 *
 * Order: a number's history items share a partition key, hence a stream shard and an order; a
 * shard's batches are handled one at a time, and each batch's messages are in the queue before
 * the call returns, so a number's events reach its tenant's group in the order they were written.
 * A batch that fails is retried whole: its messages sent again are dropped by SQS's
 * de-duplication within 5 minutes, or by the appender (their `EVENT#` items) after that.
 */
import type { HistoryEvent } from "../username-state/records.ts";
import type { UsernameChangeEvent } from "../validation/tenant-api.ts";
import { feedMessagesFor, feedQueue } from "./feed-queue.ts";
import { isEventSource, usernameChangeEvent } from "./username-change-event.ts";

export interface SequencingSummary {
  historyItems: number;
  /** Events sent to the feed queue (each once per batch). */
  queued: number;
  /** FIFO messages they took (one tenant's events each, up to 256 KiB). */
  messages: number;
  /** Tenants (message groups) of the batch. */
  tenants: number;
  /** History items whose event id the batch held already (a stream record delivered twice within the batch). */
  duplicates: number;
  /** History items without the fields of an event (written before events existed). */
  skipped: number;
}

/**
 * Sends the events of these history items (a stream batch's, in stream order) to the feed queue,
 * each tenant's in order, and resolves once SQS has accepted every message. Throws when it did
 * not (the batch is retried). No DynamoDB call.
 */
export async function sequenceHistory(items: readonly Partial<HistoryEvent>[]): Promise<SequencingSummary> {
  const summary: SequencingSummary = {
    historyItems: items.length,
    queued: 0,
    messages: 0,
    tenants: 0,
    duplicates: 0,
    skipped: 0,
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
    const events = byTenant.get(item.tenantId) ?? [];
    events.push(usernameChangeEvent(item));
    byTenant.set(item.tenantId, events);
  }
  const messages = [...byTenant].flatMap(([tenantId, events]) => feedMessagesFor(tenantId, events));
  if (messages.length > 0) await feedQueue().send(messages);
  summary.queued = seen.size;
  summary.messages = messages.length;
  summary.tenants = byTenant.size;
  return summary;
}
