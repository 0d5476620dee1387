/**
 * API keys: `wau_` + 32 base64url characters (192 random bits). The prefix makes a leaked key
 * recognisable to secret scanners; only the SHA-256 of a key is ever stored.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const API_KEY_PREFIX = "wau_";
const API_KEY_PATTERN = /^wau_[A-Za-z0-9_-]{32}$/;

export function generateApiKey(): { apiKey: string; id: string } {
  return {
    apiKey: API_KEY_PREFIX + randomBytes(24).toString("base64url"),
    id: `key_${randomBytes(8).toString("hex")}`,
  };
}

export function looksLikeApiKey(candidate: string): boolean {
  return API_KEY_PATTERN.test(candidate);
}

export function hashApiKey(apiKey: string): string {
  return createHash("sha256").update(apiKey, "utf8").digest("hex");
}

const HEX_DIGEST = /^(?:[0-9a-f]{2})+$/i;

/** Constant-time comparison of two hex digests of equal length. */
export function sameHash(a: string, b: string): boolean {
  // Buffer.from(_, "hex") silently drops an odd last digit and stops at the first non-hex one,
  // which would make "abc" and "abd" the same hash.
  if (!HEX_DIGEST.test(a) || !HEX_DIGEST.test(b)) return false;
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/**
 * The key a request presents, first found of: `X-API-Key`, `Authorization: Bearer <key>` (or
 * `OAuth <key>`, the scheme Graph also accepts), the `access_token` parameter (query string or
 * body, as Graph SDKs send a token). Each is held to the
 * same key rules afterwards; the parameter is only ever read here, never forwarded or logged.
 * Header names arrive lower-cased from API Gateway HTTP APIs.
 */
export function presentedApiKey(
  headers: Record<string, string | undefined>,
  accessToken?: string,
): string | undefined {
  const direct = headers["x-api-key"]?.trim();
  if (direct) return direct;
  const match = /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(headers.authorization ?? "");
  if (match?.[1]) return match[1];
  return accessToken?.trim() || undefined;
}
