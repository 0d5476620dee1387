/**
 * The retry sweep (a schedule in AWS, a timer locally): every delivery whose next attempt is due
 * goes back on the delivery queue as a `retry` message, one message per endpoint and up to
 * DELIVERIES_PER_MESSAGE deliveries. It is the one path that reaches every due delivery (long
 * delays, lost messages, an attempt whose Lambda died); the dispatcher's claim makes a delivery
 * that is also on its way by another path run once.
 */
import { dueDeliveries } from "../store/webhook-deliveries.ts";
import { type DeliveryMessage, deliveryQueue, messagesFor } from "./delivery-queue.ts";

/** Per due-index shard and sweep: 8 shards × 250, far above what one minute of retries needs. */
const DUE_PER_SHARD = 250;

export async function sweepDueDeliveries(
  now: number = Date.now(),
): Promise<{ due: number; messages: number }> {
  const due = await dueDeliveries(now, DUE_PER_SHARD);
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
  return { due: due.length, messages: messages.length };
}
