/**
 * 8. The retry sweep between tenants: one tenant with BACKLOG due retries, all due before
 * OTHERS other tenants' one each, in a table on DynamoDB Local; the sweep's queue only records
 * what it is given. Each repeat is one sweep (the backlog stays: nothing is claimed), measured:
 * its time, its Queries of the due index, the deliveries it takes, and whether every other
 * tenant's retry is among them. Budgeted: every other tenant served in every sweep, and the
 * Queries bounded by the shards and the tenants that have retries waiting (a page of 100 index
 * entries covers many small tenants), never by the backlog.
 */
import { mapWithConcurrency } from "../functions/core/concurrency.ts";
import { scheduleRedelivery } from "../functions/core/store/webhook-deliveries.ts";
import {
  type DeliveryMessage,
  setLocalDeliveryQueue,
} from "../functions/core/tenant-webhooks/delivery-queue.ts";
import { DUE_PER_TENANT, sweepDueDeliveries } from "../functions/core/tenant-webhooks/retry-sweep.ts";
import type { BenchEnvironment } from "./environment.ts";
import { type Budget, type Section, table } from "./section.ts";
import { spread, summarize } from "./stats.ts";

const BACKLOG = 10_000;
const OTHERS = 200;
const SHARDS = 8;
const PAGE = 100;

export async function retrySweep(_env: BenchEnvironment, options: { repeats: number }): Promise<Section> {
  const stamp = Date.now();
  const backlogTenant = `bench-backlog-${stamp}`;
  const others = Array.from(
    { length: OTHERS },
    (_, i) => `bench-other-${String(i).padStart(3, "0")}-${stamp}`,
  );
  const refs = [
    ...Array.from({ length: BACKLOG }, (_, i) => ({
      tenantId: backlogTenant,
      endpointId: "ep_00000000000000000001",
      eventId: `evt_01M8QS${String(i).padStart(20, "0")}`,
      sequence: i + 1,
    })),
  ];
  const seeded = await mapWithConcurrency(refs, 32, (ref) => scheduleRedelivery(ref));
  for (const result of seeded) if (result.status === "rejected") throw result.reason;
  // Due after every one of the backlog's.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const otherRefs = others.map((tenantId, i) => ({
    tenantId,
    endpointId: `ep_${String(i + 2).padStart(20, "0")}`,
    eventId: `evt_01M8QT${String(i).padStart(20, "0")}`,
    sequence: 1,
  }));
  const seededOthers = await mapWithConcurrency(otherRefs, 32, (ref) => scheduleRedelivery(ref));
  for (const result of seededOthers) if (result.status === "rejected") throw result.reason;

  const sent: DeliveryMessage[] = [];
  setLocalDeliveryQueue({
    async send(messages) {
      sent.push(...messages);
    },
  });
  const rows: string[][] = [];
  const times: number[] = [];
  let allServed = true;
  let mostQueries = 0;
  try {
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      sent.length = 0;
      const started = performance.now();
      const summary = await sweepDueDeliveries(Date.now());
      const ms = performance.now() - started;
      times.push(ms);
      const tenantsServed = new Set(sent.map((m) => m.tenantId));
      const served = others.filter((t) => tenantsServed.has(t)).length;
      const ofBacklog = sent
        .filter((m) => m.tenantId === backlogTenant)
        .reduce((sum, m) => sum + m.deliveries.length, 0);
      allServed &&= served === OTHERS;
      mostQueries = Math.max(mostQueries, summary.queries);
      rows.push([
        String(repeat + 1),
        ms.toFixed(0),
        String(summary.queries),
        String(summary.due),
        String(ofBacklog),
        `${served} / ${OTHERS}`,
        String(summary.messages),
      ]);
    }
  } finally {
    setLocalDeliveryQueue(undefined);
  }
  // Per shard: the first page, one page per DUE_PER_TENANT / SHARDS of the backlog's share, one
  // per 100 other tenants' entries, one more at a region's edge; 8 more for legacy keys.
  const queryLimit =
    SHARDS * (2 + Math.ceil(DUE_PER_TENANT / SHARDS / PAGE) + Math.ceil(OTHERS / SHARDS / PAGE)) + SHARDS;
  const budgets: Budget[] = [
    {
      name: `sweep: every one of ${OTHERS} tenants' retries taken beside a ${BACKLOG}-retry backlog due before them`,
      measured: allServed ? "all, every sweep" : "some missing",
      limit: "all",
      pass: allServed,
    },
    {
      name: "sweep: Queries of the due index, independent of the backlog",
      measured: String(mostQueries),
      limit: `≤ ${queryLimit}`,
      pass: mostQueries <= queryLimit,
    },
  ];
  return {
    title: "8. Retry sweep fairness",
    lines: [
      `One tenant with ${BACKLOG} due retries, all due before ${OTHERS} other tenants' one each (DynamoDB Local). ` +
        `Each row is one sweep (nothing is claimed, so each sees the same index). Time: ${spread(summarize(times))}.`,
      "",
      ...table(
        ["sweep", "time ms", "queries", "taken", "of the backlog", "other tenants served", "messages"],
        rows,
      ),
    ],
    budgets,
  };
}
