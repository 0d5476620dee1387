/**
 * The retry sweep (a schedule in AWS, a timer locally): every delivery whose next attempt is due
 * goes back on the delivery queue as a `retry` message, one message per endpoint and up to
 * DELIVERIES_PER_MESSAGE deliveries. It is the one path that reaches every due delivery (long
 * delays, lost messages, an attempt whose Lambda died); the dispatcher's claim makes a delivery
 * that is also on its way by another path run once.
 *
 * Fair between tenants: the due index groups each shard's entries by tenant, oldest due first
 * within a tenant (store/webhook-deliveries.ts). The sweep walks each shard tenant by tenant,
 * takes at most DUE_PER_TENANT of a tenant per sweep (spread over the shards) and jumps past the
 * rest of that tenant's region with one Query, so one tenant's backlog of any size costs a page
 * read per shard, never delays another tenant's retries. When more than DUE_PER_SWEEP are due in
 * all, tenants take turns (round-robin, each tenant's oldest first) up to that many.
 */
import { mapWithConcurrency } from "../concurrency.ts";
import { keys } from "../store/keys.ts";
import {
  DUE_SHARDS,
  type DueDelivery,
  dueShardPage,
  legacyDueDeliveries,
} from "../store/webhook-deliveries.ts";
import { type DeliveryMessage, deliveryQueue, messagesFor } from "./delivery-queue.ts";

/** Due deliveries of one tenant taken per sweep, at most (DUE_PER_TENANT / DUE_SHARDS per shard). */
export const DUE_PER_TENANT = 512;
/** Due deliveries taken per sweep, at most, all tenants together. */
export const DUE_PER_SWEEP = 4_000;
/** Index entries read per Query. */
const PAGE_SIZE = 100;
/** Queries per shard and sweep, at most (bounds a sweep's time whatever the index holds). */
const MAX_QUERIES_PER_SHARD = 250;
/** Entries written before the due index was grouped by tenant, per shard and sweep. */
const LEGACY_PER_SHARD = 250;

export interface SweepSummary {
  /** Due deliveries queued. */
  due: number;
  messages: number;
  /** Tenants among them. */
  tenants: number;
  /** Queries of the due index this sweep made. */
  queries: number;
}

/** A shard's due entries, at most `quota` per tenant, walking its tenants' regions in key order. */
async function dueInShard(shard: number, now: number, quota: number) {
  const taken = new Map<string, DueDelivery[]>();
  let after = keys.tenantDueRegion;
  let queries = 0;
  while (queries < MAX_QUERIES_PER_SHARD) {
    const page = await dueShardPage(shard, after, PAGE_SIZE);
    queries++;
    for (const entry of page.entries) {
      if (entry.nextAttemptAt > now) continue;
      const list = taken.get(entry.tenantId) ?? [];
      if (list.length < quota) list.push(entry);
      taken.set(entry.tenantId, list);
    }
    const last = page.entries.at(-1);
    if (!page.lastKey || !last) break;
    // The page ended inside a tenant's region: go on after it, or skip the rest of it when the
    // tenant has its share or what follows is not due yet (its region is oldest due first).
    const done = (taken.get(last.tenantId)?.length ?? 0) >= quota || last.nextAttemptAt > now;
    after = done ? keys.tenantDueEnd(last.tenantId) : page.lastKey;
  }
  return { taken, queries };
}

/** Each tenant's lists, oldest first, taken in turns (one of each tenant per turn) up to `limit`. */
function roundRobin(byTenant: Map<string, DueDelivery[]>, limit: number): DueDelivery[] {
  const lists = [...byTenant.values()].map((list) =>
    [...list].sort((a, b) => a.nextAttemptAt - b.nextAttemptAt),
  );
  const out: DueDelivery[] = [];
  for (let turn = 0; out.length < limit; turn++) {
    let any = false;
    for (const list of lists) {
      const next = list[turn];
      if (!next) continue;
      any = true;
      out.push(next);
      if (out.length >= limit) break;
    }
    if (!any) break;
  }
  return out;
}

export async function sweepDueDeliveries(now: number = Date.now()): Promise<SweepSummary> {
  const quota = Math.ceil(DUE_PER_TENANT / DUE_SHARDS);
  const shards = Array.from({ length: DUE_SHARDS }, (_, shard) => shard);
  const [settled, legacy] = await Promise.all([
    mapWithConcurrency(shards, DUE_SHARDS, (shard) => dueInShard(shard, now, quota)),
    legacyDueDeliveries(now, LEGACY_PER_SHARD),
  ]);
  const byTenant = new Map<string, DueDelivery[]>();
  let queries = DUE_SHARDS;
  for (const result of settled) {
    if (result.status === "rejected") throw result.reason;
    queries += result.value.queries;
    for (const [tenantId, list] of result.value.taken) {
      byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), ...list]);
    }
  }
  for (const entry of legacy) byTenant.set(entry.tenantId, [...(byTenant.get(entry.tenantId) ?? []), entry]);
  const due = roundRobin(byTenant, DUE_PER_SWEEP);

  const byEndpoint = new Map<
    string,
    { tenantId: string; endpointId: string; deliveries: DeliveryMessage["deliveries"] }
  >();
  for (const delivery of due) {
    const key = `${delivery.tenantId}#${delivery.endpointId}`;
    const group = byEndpoint.get(key) ?? {
      tenantId: delivery.tenantId,
      endpointId: delivery.endpointId,
      deliveries: [],
    };
    group.deliveries.push({
      eventId: delivery.eventId,
      sequence: delivery.sequence,
      attempts: delivery.attempts,
    });
    byEndpoint.set(key, group);
  }
  const messages = [...byEndpoint.values()].flatMap(({ deliveries, ...target }) =>
    messagesFor({ ...target, kind: "retry" }, deliveries),
  );
  if (messages.length > 0) await deliveryQueue().send(messages);
  return {
    due: due.length,
    messages: messages.length,
    tenants: new Set(due.map((d) => d.tenantId)).size,
    queries,
  };
}
