/**
 * The `Idempotency-Key` header (Stripe's name and semantics) on POST and DELETE: 1 to 255
 * printable ASCII characters, no leading or trailing space (proxies trim those, so the key the
 * client retries with could differ from the one first seen). Checked before any I/O it causes.
 */
import { createHash } from "node:crypto";
import { graphErrors } from "../errors/graph-error.ts";

export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

const KEY_PATTERN = /^[!-~](?:[ -~]{0,253}[!-~])?$/;

/** The key the request carries, undefined without the header; a malformed key is 400 code 100. */
export function idempotencyKeyOf(headers: Record<string, string | undefined>): string | undefined {
  const value = headers[IDEMPOTENCY_KEY_HEADER];
  if (value === undefined) return undefined;
  if (!KEY_PATTERN.test(value)) {
    throw graphErrors.invalidParameter(
      "Invalid Idempotency-Key header",
      `Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters without leading or trailing spaces`,
    );
  }
  return value;
}

/** What is stored instead of the key: keys can be anything a client chose, even something secret. */
export function hashIdempotencyKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}
