/**
 * What "the same request" means for an Idempotency-Key: the same method, Graph version and
 * validated body. The body is the one the operation uses (unknown fields and prototype keys are
 * already dropped), serialised with sorted keys, so whitespace, key order or an ignored field do
 * not turn a retry into a "different request"; a DELETE's body is ignored, so it never counts.
 */
import { createHash } from "node:crypto";

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export function requestFingerprint(method: string, version: string, body: unknown): string {
  const canonicalBody = body === undefined ? "" : canonicalJson(body);
  return createHash("sha256").update(`${method}\n${version}\n${canonicalBody}`, "utf8").digest("hex");
}
