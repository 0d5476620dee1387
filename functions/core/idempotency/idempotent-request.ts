/**
 * Runs a POST or DELETE at most once per Idempotency-Key (docs/reliability.md, "Idempotency"):
 *  - first request: an in-progress record (conditional put), the operation, then its answer;
 *  - same key, same request, answered: the stored answer again, `idempotent-replayed: true`,
 *    without calling Meta or touching the state;
 *  - same key, different request: 422 code 100; same key still running: 409 code 100;
 *  - an answer that says "try again" (HTTP 5xx or 429, `is_transient: true`, a throttling code)
 *    and every error raised before or instead of Meta's answer (33, our 429, code 2) release the
 *    key, so the retry the client is told to make really runs; Meta's final answers (its success,
 *    and its errors that are not transient whatever their shape) are kept and replayed with the
 *    Meta headers they came with.
 * Bookkeeping failures after the operation never replace its answer: the client gets what
 * happened, and the record lapses with its lease (the Lambda's end), after which a retry runs.
 */
import { randomUUID } from "node:crypto";
import { graphErrors } from "../errors/graph-error.ts";
import { isThrottling, metaErrorOf } from "../errors/graph-error-envelope.ts";
import { PASSED_THROUGH_HEADERS } from "../graph/client.ts";
import { logger } from "../logger.ts";
import {
  acquireIdempotencyRecord,
  completeIdempotencyRecord,
  type IdempotencyScope,
  releaseIdempotencyRecord,
} from "../store/idempotency-records.ts";
import { hashIdempotencyKey } from "./idempotency-key.ts";

/**
 * An HTTP answer as the idempotency record keeps it: status, headers and the body's text. The
 * HTTP layer's responses have this shape.
 */
export interface IdempotentAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body?: string;
}

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
export const REPLAYED_HEADER = "idempotent-replayed";
/** Larger answers are not stored (an item holds at most 400 KB); Meta's username answers are tiny. */
const MAX_STORED_BODY_BYTES = 64 * 1024;

export interface IdempotentRequest {
  key: string;
  tenantId: string;
  phoneNumberId: string;
  fingerprint: string;
  requestId: string;
  /** Epoch ms at which this invocation is surely over (the Lambda's own end). */
  lockedUntil: number;
}

export async function runIdempotently(
  request: IdempotentRequest,
  run: () => Promise<IdempotentAnswer>,
): Promise<IdempotentAnswer> {
  const scope: IdempotencyScope = {
    tenantId: request.tenantId,
    phoneNumberId: request.phoneNumberId,
    keyHash: hashIdempotencyKey(request.key),
  };
  const lockToken = randomUUID();
  const now = Date.now();
  const outcome = await acquireIdempotencyRecord({
    scope,
    fingerprint: request.fingerprint,
    lockToken,
    lockedUntil: Math.max(request.lockedUntil, now),
    expiresAt: Math.floor(now / 1000) + IDEMPOTENCY_TTL_SECONDS,
    requestId: request.requestId,
    now,
  });
  if (!outcome.acquired) {
    const { existing } = outcome;
    if (existing.fingerprint !== request.fingerprint) throw graphErrors.idempotencyKeyReused();
    if (existing.state === "in-progress") throw graphErrors.idempotencyKeyInFlight();
    logger.info("idempotent replay", {
      phoneNumberId: request.phoneNumberId,
      status: existing.response.statusCode,
    });
    const replay: IdempotentAnswer = {
      statusCode: existing.response.statusCode,
      headers: { "content-type": "application/json; charset=utf-8" },
      body: existing.response.body,
    };
    Object.assign(replay.headers, existing.response.headers);
    replay.headers[REPLAYED_HEADER] = "true";
    return replay;
  }

  let response: IdempotentAnswer;
  try {
    response = await run();
  } catch (error) {
    await bookkeeping("release", () => releaseIdempotencyRecord(scope, lockToken));
    throw error;
  }
  const body = typeof response.body === "string" ? response.body : "";
  if (isFinalAnswer(response.statusCode, body)) {
    const stored = await bookkeeping("complete", () =>
      completeIdempotencyRecord(scope, lockToken, {
        statusCode: response.statusCode,
        body,
        headers: metaHeadersOf(response.headers),
      }),
    );
    // Could not store it: free the key rather than leave it "in progress" until the lease ends.
    if (!stored) await bookkeeping("release", () => releaseIdempotencyRecord(scope, lockToken));
  } else {
    await bookkeeping("release", () => releaseIdempotencyRecord(scope, lockToken));
  }
  return response;
}

/**
 * Worth replaying for 24 h: Meta's success and Meta's final refusals (147001, 100, 33...), by
 * Meta's status and `is_transient`. Not: anything that tells the client to retry (HTTP 5xx or 429,
 * `is_transient: true`, a throttling code with any status), which a replay would turn into a loop.
 */
export function isFinalAnswer(statusCode: number, body: string): boolean {
  if (statusCode === 429 || statusCode >= 500) return false;
  if (Buffer.byteLength(body, "utf8") > MAX_STORED_BODY_BYTES) return false;
  if (statusCode < 400) return true;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return true;
  }
  const error = metaErrorOf(json);
  return !(error?.is_transient === true || isThrottling(statusCode, error));
}

/** The Meta headers of an answer (graph/client.ts), replayed with it. */
function metaHeadersOf(headers: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of PASSED_THROUGH_HEADERS) {
    const value = headers[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}

/** Idempotency bookkeeping never fails the request it belongs to; false when it did not happen. */
async function bookkeeping(step: "complete" | "release", action: () => Promise<boolean>): Promise<boolean> {
  try {
    const done = await action();
    if (!done) logger.warn("idempotency record was taken over before it could be settled", { step });
    return done;
  } catch (error) {
    logger.warn("idempotency record could not be settled", { step, errorName: (error as Error)?.name });
    return false;
  }
}
