/**
 * Signing per the Standard Webhooks specification (https://www.standardwebhooks.com): the
 * `webhook-id` (the event id, the same on every retry), `webhook-timestamp` (unix seconds of
 * this attempt) and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body`
 * under the endpoint's secret; during a rotation's overlap one such signature per secret, separated
 * by a space, as the specification allows: a receiver on either secret verifies) headers. Signed with the `standardwebhooks` library, the one
 * tenants verify with (its cold-start cost is measured in bench/, docs/benchmarks.md).
 */
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

export const SECRET_PREFIX = "whsec_";
/** 32 random bytes: within the specification's 24 to 64. */
const SECRET_BYTES = 32;

/** A new endpoint secret, `whsec_` + base64 of 32 random bytes. */
export function newEndpointSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString("base64");
}

export interface SignatureHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** The headers of a message signed with `secrets` (one secret, or several: one signature each, in order). */
export function signatureHeaders(
  secrets: string | readonly string[],
  messageId: string,
  at: Date,
  body: string,
): SignatureHeaders {
  const all = typeof secrets === "string" ? [secrets] : secrets;
  return {
    "webhook-id": messageId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": all.map((secret) => new Webhook(secret).sign(messageId, at, body)).join(" "),
  };
}
