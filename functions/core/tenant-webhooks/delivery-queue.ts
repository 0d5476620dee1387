/**
 * The hand-off between the sequencer (and the retry sweep) and the webhook dispatcher: messages
 * naming which events go to which endpoint. In AWS an SQS queue (its consumer is the dispatcher
 * Lambda, a dead-letter queue behind it); under `npm start` and in tests an in-process queue that
 * invokes the same dispatcher handler (dev/local-events.ts installs it).
 */
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import * as z from "zod/mini";
import { ConfigurationError, config } from "../config.ts";
import { usernameChangeEventSchema } from "../validation/tenant-api.ts";

/** Deliveries per message (≈ 20 KB with their events, SQS takes 256 KB); one message is one dispatcher task. */
export const DELIVERIES_PER_MESSAGE = 50;
/** SQS's longest message delay; longer waits are the retry sweep's. */
export const MAX_DELAY_SECONDS = 900;
const MESSAGES_PER_BATCH = 10;
/**
 * How long `first-again` messages wait: longer than a dispatcher invocation lives (60 s,
 * infra/event-functions.ts), so a first copy still in flight has recorded its outcomes (or died)
 * before the second copy looks for them, and the same first attempt is not sent twice.
 */
export const FIRST_AGAIN_DELAY_SECONDS = 90;

export const deliveryMessageSchema = z.object({
  tenantId: z.string(),
  endpointId: z.string(),
  /**
   * `first`: events just sequenced, nothing recorded for them yet; `first-again`: events found
   * sequenced already (a stream batch delivered twice): only those without a record are sent;
   * `retry`: claim each at its `attempts`.
   */
  kind: z.enum(["first", "first-again", "retry"]),
  deliveries: z.array(
    z.object({
      eventId: z.string(),
      sequence: z.number(),
      attempts: z.number(),
      /** First deliveries carry their event (no read of the feed); retries read it. */
      event: z.optional(usernameChangeEventSchema),
    }),
  ),
});
export type DeliveryMessage = z.infer<typeof deliveryMessageSchema>;

export interface DeliveryQueue {
  /** Sends the messages, each visible after `delaySeconds` (0 to MAX_DELAY_SECONDS). */
  send(messages: readonly DeliveryMessage[], delaySeconds?: number): Promise<void>;
}

let localQueue: DeliveryQueue | undefined;
let sqs: SQSClient | undefined;

/** Installs the in-process queue of `npm start` and tests (undefined removes it). */
export function setLocalDeliveryQueue(queue: DeliveryQueue | undefined): void {
  localQueue = queue;
}

function sqsQueue(queueUrl: string): DeliveryQueue {
  sqs ??= new SQSClient({});
  const client = sqs;
  return {
    async send(messages, delaySeconds = 0) {
      for (let i = 0; i < messages.length; i += MESSAGES_PER_BATCH) {
        const batch = messages.slice(i, i + MESSAGES_PER_BATCH);
        const answer = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((message, n) => ({
              Id: String(n),
              MessageBody: JSON.stringify(message),
              DelaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(delaySeconds))),
            })),
          }),
        );
        if ((answer.Failed ?? []).length > 0) {
          // The caller fails and is retried (stream batch, SQS message, next sweep): nothing is lost.
          throw new Error(`SQS refused ${answer.Failed?.length} of ${batch.length} delivery messages`);
        }
      }
    },
  };
}

export function deliveryQueue(): DeliveryQueue {
  if (localQueue) return localQueue;
  const url = config.webhookQueueUrl();
  if (!url) throw new ConfigurationError("WEBHOOK_QUEUE_URL (or the linked WebhookQueue) is not configured");
  return sqsQueue(url);
}

/** Splits deliveries to one endpoint into messages of at most DELIVERIES_PER_MESSAGE. */
export function messagesFor(
  base: Omit<DeliveryMessage, "deliveries">,
  deliveries: readonly DeliveryMessage["deliveries"][number][],
): DeliveryMessage[] {
  const messages: DeliveryMessage[] = [];
  for (let i = 0; i < deliveries.length; i += DELIVERIES_PER_MESSAGE) {
    messages.push({ ...base, deliveries: deliveries.slice(i, i + DELIVERIES_PER_MESSAGE) });
  }
  return messages;
}
