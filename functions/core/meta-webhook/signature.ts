/**
 * `X-Hub-Signature-256: sha256=<hex>` is HMAC-SHA256 of the raw body bytes with the app
 * secret. Checked before anything parses the body; never throws whatever the header holds;
 * compares in constant time; accepts any configured secret so the secret can be rotated.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

const SIGNATURE_PATTERN = /^sha256=([0-9a-fA-F]{64})$/;

export function signatureOf(body: Buffer, secret: string): Buffer {
  return createHmac("sha256", secret).update(body).digest();
}

export function isValidSignature(
  body: Buffer,
  header: string | undefined,
  secrets: readonly string[],
): boolean {
  if (typeof header !== "string" || header.length === 0 || header.length > 1024) return false;
  // A repeated header reaches us comma-joined (API Gateway): each value is judged on its own.
  const presented = header
    .split(",")
    .map((part) => SIGNATURE_PATTERN.exec(part.trim())?.[1])
    .filter((hex): hex is string => hex !== undefined)
    .map((hex) => Buffer.from(hex, "hex"));
  if (presented.length === 0) return false;
  let valid = false;
  for (const secret of secrets) {
    const expected = signatureOf(body, secret);
    for (const candidate of presented) {
      // Every pair is compared (no early exit), so timing does not tell which one matched.
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) valid = true;
    }
  }
  return valid;
}
