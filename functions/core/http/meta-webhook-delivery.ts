/**
 * One POST from Meta: size limit, signature over the raw bytes (before any parsing), payload
 * schema, then the username updates. Returns what to answer; never throws for client input.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { settledBefore } from "../concurrency.ts";
import { graphErrors } from "../errors/graph-error.ts";
import { logger } from "../logger.ts";
import { isValidSignature } from "../meta-webhook/signature.ts";
import { applyUsernameUpdates, type DeliverySummary } from "../meta-webhook/username-updates.ts";
import { countMetric } from "../metrics.ts";
import { describeIssues } from "../validation/issues.ts";
import { parseJsonSafely } from "../validation/safe-json.ts";
import { otherObjectPayloadSchema, webhookEnvelopeSchema } from "../validation/webhook.ts";
import { rawBody } from "./request.ts";

/** Meta's documented maximum webhook payload. */
export const WEBHOOK_BODY_LIMIT_BYTES = 3 * 1024 * 1024;

export type DeliveryOutcome =
  | { status: 200; body: { received: true } & DeliverySummary }
  | { status: 400 | 401 | 413 | 500 | 503; body: unknown };

const NOTHING_APPLIED: DeliverySummary = {
  changes: 0,
  applied: 0,
  duplicate: 0,
  stale: 0,
  unchanged: 0,
  unknownNumber: 0,
  ignored: 0,
  malformed: 0,
  failed: 0,
  deferred: 0,
};

function graphErrorBody(
  error: ReturnType<(typeof graphErrors)[keyof typeof graphErrors]>,
  requestId: string,
) {
  return error.toBody(requestId);
}

export async function receiveDelivery(
  event: APIGatewayProxyEventV2,
  appSecrets: readonly string[],
  requestId: string,
  /** Epoch ms by which the answer must be on its way (see applyUsernameUpdates). */
  deadline = Number.POSITIVE_INFINITY,
): Promise<DeliveryOutcome> {
  const body = rawBody(event);
  if (body.length > WEBHOOK_BODY_LIMIT_BYTES) {
    return {
      status: 413,
      body: graphErrorBody(graphErrors.payloadTooLarge(WEBHOOK_BODY_LIMIT_BYTES), requestId),
    };
  }
  if (!isValidSignature(body, event.headers?.["x-hub-signature-256"], appSecrets)) {
    logger.warn("webhook signature missing or invalid", { metric: "WebhookSignatureInvalid" });
    countMetric("WebhookSignatureInvalid", 1, {
      signature: event.headers?.["x-hub-signature-256"] === undefined ? "missing" : "invalid",
    });
    return {
      status: 401,
      body: graphErrorBody(graphErrors.invalidSignature(), requestId),
    };
  }

  let json: unknown;
  try {
    json = parseJsonSafely(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    return {
      status: 400,
      body: graphErrorBody(graphErrors.invalidParameter("Body is not valid JSON"), requestId),
    };
  }
  const other = otherObjectPayloadSchema.safeParse(json);
  if (other.success) {
    // Signed by Meta, so not an error: a 4xx would only make Meta redeliver it for days.
    logger.info("webhook delivery for another object ignored", { object: other.data.object.slice(0, 64) });
    return { status: 200, body: { received: true, ...NOTHING_APPLIED } };
  }
  const payload = webhookEnvelopeSchema.safeParse(json);
  if (!payload.success) {
    const detail = describeIssues(payload.error);
    return {
      status: 400,
      body: graphErrorBody(
        graphErrors.invalidParameter(`Not a WhatsApp Business Account webhook: ${detail}`),
        requestId,
      ),
    };
  }
  // Rounds are started only while they should finish in time, but a store slower than the
  // rounds before it can still overrun: the answer goes out at the deadline all the same (503,
  // so Meta redelivers; what commits meanwhile is recognised then), never a 504 of unknown progress.
  const applying = applyUsernameUpdates(payload.data, requestId, deadline);
  applying.then(
    (summary) => logger.info("webhook delivery processed", { ...summary }),
    () => undefined,
  );
  const settled = await settledBefore(applying, deadline);
  if (!settled) {
    logger.warn("webhook delivery still being applied at the deadline: answered 503", { requestId });
    return {
      status: 503,
      body: graphErrorBody(
        graphErrors.upstreamUnavailable(503, "the delivery could not be applied in time: redeliver"),
        requestId,
      ),
    };
  }
  const summary = settled.value;
  if (summary.failed > 0) {
    // Meta redelivers on any non-2xx; what was stored stays, and redelivery adds only the rest.
    return { status: 500, body: graphErrorBody(graphErrors.internal(), requestId) };
  }
  if (summary.deferred > 0) {
    // Answered before the deadline, never a 504 with unknown progress: the redelivery applies
    // the rest and finds the applied part already there.
    return {
      status: 503,
      body: graphErrorBody(
        graphErrors.upstreamUnavailable(503, `${summary.deferred} changes deferred: redeliver`),
        requestId,
      ),
    };
  }
  return { status: 200, body: { received: true, ...summary } };
}
