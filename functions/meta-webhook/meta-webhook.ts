import { config } from "../core/config.ts";
import { httpHandler } from "../core/http/http-handler.ts";
import { receiveDelivery } from "../core/http/meta-webhook-delivery.ts";
import { answerVerification } from "../core/http/meta-webhook-verification.ts";
import { jsonResponse } from "../core/http/response.ts";

/**
 * GET and POST /meta/whatsapp/webhook: Meta's verification handshake and its signed deliveries.
 * HEAD is the GET's (its route reaches this function too; http-handler.ts drops the body).
 */
export const handler = httpHandler(async ({ event, requestId, deadline }) => {
  const method = event.requestContext.http.method;
  if (method === "GET" || method === "HEAD") return answerVerification(event, config.metaVerifyToken());
  const outcome = await receiveDelivery(event, config.metaAppSecrets(), requestId, deadline);
  return jsonResponse(outcome.status, outcome.body);
});
