import { config } from "../core/config.ts";
import { httpHandler } from "../core/http/http-handler.ts";
import { receiveDelivery } from "../core/http/meta-webhook-delivery.ts";
import { answerVerification } from "../core/http/meta-webhook-verification.ts";
import { jsonResponse } from "../core/http/response.ts";

/** GET and POST /meta/whatsapp/webhook: Meta's verification handshake and its signed deliveries. */
export const handler = httpHandler(async ({ event, requestId, deadline }) => {
  if (event.requestContext.http.method === "GET") return answerVerification(event, config.metaVerifyToken());
  const outcome = await receiveDelivery(event, config.metaAppSecrets(), requestId, deadline);
  return jsonResponse(outcome.status, outcome.body);
});
