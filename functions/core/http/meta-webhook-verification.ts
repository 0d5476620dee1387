import { timingSafeEqual } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { graphErrors } from "../errors/graph-error.ts";
import { webhookVerificationQuerySchema } from "../validation/webhook.ts";
import { type ApiResponse, textResponse } from "./response.ts";

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Meta's subscription handshake: `hub.mode=subscribe` with our verify token gets the challenge
 * back as plain text, byte for byte; anything else is 403, a Graph-style error like every other.
 */
export function answerVerification(event: APIGatewayProxyEventV2, verifyToken: string): ApiResponse {
  const query = webhookVerificationQuerySchema.safeParse(event.queryStringParameters ?? {});
  if (!query.success || !sameSecret(query.data["hub.verify_token"], verifyToken)) {
    throw graphErrors.webhookVerificationFailed();
  }
  return textResponse(200, query.data["hub.challenge"]);
}
