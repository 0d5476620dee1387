/**
 * The retry sweep serves tenants fairly (issue 22, finding 2): one tenant's backlog of thousands
 * of due retries, all due before another tenant's single one, never keeps that one out of the
 * sweep. The sweep runs against DynamoDB Local with a queue that only records what it is given.
 * It prints what one sweep cost (`{"sweep":…}`: queries, deliveries, milliseconds).
 */
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mapWithConcurrency } from "../../functions/core/concurrency.ts";
import { dynamo, setDynamoClient, tableName } from "../../functions/core/store/client.ts";
import { keys } from "../../functions/core/store/keys.ts";
import { scheduleRedelivery } from "../../functions/core/store/webhook-deliveries.ts";
import {
  type DeliveryMessage,
  setLocalDeliveryQueue,
} from "../../functions/core/tenant-webhooks/delivery-queue.ts";
import { sweepDueDeliveries } from "../../functions/core/tenant-webhooks/retry-sweep.ts";
import { useTestTable } from "../support/test-table.ts";

const BACKLOG = 3_000;
/** Other tenants with one due retry each, all due after the backlog. */
const OTHERS = 40;

beforeAll(async () => {
  await useTestTable();
});
afterAll(() => {
  dynamo().destroy();
  setDynamoClient(undefined);
});

const sent: DeliveryMessage[] = [];
setLocalDeliveryQueue({
  async send(messages) {
    sent.push(...messages);
  },
});
afterEach(() => {
  sent.length = 0;
});

function eventId(tag: string, n: number): string {
  return `evt_01M8QK${tag}${String(n).padStart(20 - tag.length, "0")}`;
}

/** `count` deliveries of the tenant waiting for a retry, due now (as `webhook redeliver` leaves them). */
async function dueDeliveriesOf(tenantId: string, tag: string, count: number, endpointId: string) {
  const refs = Array.from({ length: count }, (_, i) => ({
    tenantId,
    endpointId,
    eventId: eventId(tag, i),
    sequence: i + 1,
  }));
  const settled = await mapWithConcurrency(refs, 8, (ref) => scheduleRedelivery(ref));
  for (const result of settled) if (result.status === "rejected") throw result.reason;
  return refs;
}

const taken = (tenantId: string) =>
  sent.filter((m) => m.tenantId === tenantId).reduce((sum, m) => sum + m.deliveries.length, 0);

describe("the retry sweep between tenants", { timeout: 120_000 }, () => {
  it("takes another tenant's one due retry in the same sweep as one tenant's backlog of thousands due before it", async () => {
    const noisy = `noisy-${Date.now()}`;
    const quiet = `quiet-${Date.now()}`;
    await dueDeliveriesOf(noisy, "NN", BACKLOG, "ep_0000000000000000000a");
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [one] = await dueDeliveriesOf(quiet, "QQ", 1, "ep_0000000000000000000b");
    const others = await Promise.all(
      Array.from({ length: OTHERS }, (_, i) =>
        dueDeliveriesOf(`other-${i}-${Date.now()}`, `O${i}`, 1, `ep_${String(i).padStart(20, "0")}`),
      ),
    );

    const started = performance.now();
    const summary = await sweepDueDeliveries(Date.now());
    const ms = performance.now() - started;
    process.stdout.write(
      `${JSON.stringify({ sweep: { backlog: BACKLOG, otherTenants: OTHERS + 1, ...summary, ms: Math.round(ms) } })}\n`,
    );
    const quietMessages = sent.filter((m) => m.tenantId === quiet);
    expect(quietMessages.flatMap((m) => m.deliveries.map((d) => d.eventId))).toEqual([one?.eventId]);
    expect(quietMessages[0]).toMatchObject({ kind: "retry", endpointId: "ep_0000000000000000000b" });
    for (const [ref] of others) expect(taken(ref?.tenantId as string), ref?.tenantId).toBe(1);
    // The noisy tenant gets its share, not the whole sweep; its next share comes with the next sweep.
    expect(taken(noisy)).toBeGreaterThan(0);
    expect(taken(noisy)).toBeLessThan(BACKLOG);
  });

  it("still sweeps retries whose due keys were written before they were grouped by tenant", async () => {
    const tenant = `legacy-${Date.now()}`;
    const [ref] = await dueDeliveriesOf(tenant, "LL", 1, "ep_0000000000000000000c");
    const due = Date.now() - 1000;
    // As a deployed table holds them: `DUE#<shard>` / `<due ms>#<event id>#<endpoint id>`.
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.delivery(ref?.eventId as string, "ep_0000000000000000000c"),
        UpdateExpression: "SET gsi3pk = :pk, gsi3sk = :sk, nextAttemptAt = :due",
        ExpressionAttributeValues: {
          ":pk": keys.dueShard(3),
          ":sk": keys.dueAt(due, ref?.eventId as string, "ep_0000000000000000000c"),
          ":due": due,
        },
      }),
    );
    await sweepDueDeliveries(Date.now());
    expect(
      sent.filter((m) => m.tenantId === tenant).flatMap((m) => m.deliveries.map((d) => d.eventId)),
    ).toEqual([ref?.eventId]);
  });
});
