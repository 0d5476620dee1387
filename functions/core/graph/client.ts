/**
 * Meta Graph API client for the username edges.
 *  - The URL is built from validated segments and checked to stay on the configured origin
 *    and path shape, so no path input can redirect a call.
 *  - One time budget per call (default 10 s, never beyond the Lambda's deadline), retries included.
 *  - GETs retry transient failures (network errors, 5xx) at most twice, with full-jitter backoff,
 *    or after Meta's `Retry-After` when it asks for longer and the budget still has room for it.
 *    Throttling answers (HTTP 429, or a throttling code: `THROTTLING_CODES`) are never retried:
 *    another call only uses up more of the quota. POST and DELETE are never replayed (Meta may
 *    have acted on the first one).
 *  - Every answer whose body is a JSON object with an `error` object is Meta's error, returned
 *    byte for byte with Meta's status, whatever else it holds; a 2xx JSON answer is a success.
 *    Anything else becomes a Graph code 2 error (502, or 504 on timeout).
 *  - The response headers clients act on (`PASSED_THROUGH_HEADERS`) come back with the answer,
 *    and with a code 2 error made of a Meta answer too.
 *  - Every call's final outcome is counted when Meta is in trouble: `UpstreamUnavailable` (no
 *    answer in time, unreachable, a 5xx or non-Graph answer), `UpstreamThrottled` (a throttle).
 * Node's fetch keeps connections to Meta alive across invocations of a warm container.
 */
import { config } from "../config.ts";
import { GraphError, graphErrors } from "../errors/graph-error.ts";
import { isThrottling, metaErrorOf } from "../errors/graph-error-envelope.ts";
import { logger } from "../logger.ts";
import { countMetric } from "../metrics.ts";
import { parseJsonSafely } from "../validation/safe-json.ts";
import { GRAPH_VERSION_PATTERN, PHONE_NUMBER_ID_PATTERN } from "../validation/username-request.ts";

export type GraphEdge = "username" | "username_suggestions";
export type GraphMethod = "GET" | "POST" | "DELETE";

export interface GraphCall {
  method: GraphMethod;
  version: string;
  phoneNumberId: string;
  edge: GraphEdge;
  accessToken: string;
  /** JSON body for POST: exactly the fields to forward. */
  body?: Record<string, unknown>;
  /** Epoch ms by which the call must have finished (the Lambda's deadline). */
  deadline?: number;
}

/**
 * Meta's response headers that clients act on: usage and throttling (`x-business-use-case-usage`
 * carries `estimated_time_to_regain_access`), `retry-after`, the OAuth challenge, and the ids
 * Meta's support asks for. Lower-case, as API Gateway passes header names.
 */
export const PASSED_THROUGH_HEADERS = [
  "x-business-use-case-usage",
  "x-app-usage",
  "retry-after",
  "www-authenticate",
  "x-fb-trace-id",
  "x-fb-request-id",
  "x-fb-debug",
] as const;

/** Meta's answer: a JSON success, or an error envelope; `raw` is the body exactly as it came. */
export type GraphAnswer =
  | { kind: "success"; status: number; raw: string; json: unknown; headers: Record<string, string> }
  | { kind: "meta-error"; status: number; raw: string; headers: Record<string, string> };

const MAX_RETRIES = 2;
const BACKOFF_BASE_MS = 100;

export function graphUrl(call: Pick<GraphCall, "version" | "phoneNumberId" | "edge">): URL {
  if (!GRAPH_VERSION_PATTERN.test(call.version) || !PHONE_NUMBER_ID_PATTERN.test(call.phoneNumberId)) {
    throw new Error("graph call with unvalidated path segments");
  }
  const base = new URL(config.metaGraphUrl());
  const basePath = base.pathname.replace(/\/+$/, "");
  const url = new URL(base.origin);
  url.pathname = `${basePath}/${call.version}/${call.phoneNumberId}/${call.edge}`;
  if (url.origin !== base.origin) throw new Error("graph URL left the configured origin");
  return url;
}

export async function callGraph(call: GraphCall): Promise<GraphAnswer> {
  try {
    const answer = await callWithRetries(call);
    if (answer.kind === "meta-error") reportMetaError(call, answer);
    return answer;
  } catch (error) {
    if (error instanceof GraphError) report("UpstreamUnavailable", call, { status: error.status });
    throw error;
  }
}

function reportMetaError(call: GraphCall, answer: Extract<GraphAnswer, { kind: "meta-error" }>): void {
  const error = metaErrorOf(parseOrUndefined(answer.raw));
  const code = typeof error?.code === "number" ? error.code : undefined;
  if (isThrottling(answer.status, error)) report("UpstreamThrottled", call, { status: answer.status, code });
  else if (answer.status >= 500) report("UpstreamUnavailable", call, { status: answer.status, code });
}

/** One log line and one count per call that found Meta in trouble (ids and status only). */
function report(
  metric: "UpstreamUnavailable" | "UpstreamThrottled",
  call: GraphCall,
  outcome: { status: number; code?: number | undefined },
): void {
  const fields = { phoneNumberId: call.phoneNumberId, method: call.method, edge: call.edge, ...outcome };
  logger.warn(metric === "UpstreamThrottled" ? "Meta throttled the call" : "Meta unavailable", {
    metric,
    ...fields,
  });
  countMetric(metric, 1, fields);
}

async function callWithRetries(call: GraphCall): Promise<GraphAnswer> {
  const url = graphUrl(call);
  const budgetEnd = Math.min(Date.now() + config.graphTimeoutMs(), call.deadline ?? Number.POSITIVE_INFINITY);
  const retries = call.method === "GET" ? MAX_RETRIES : 0;

  for (let attempt = 0; ; attempt++) {
    const remaining = budgetEnd - Date.now();
    if (remaining <= 0) throw graphErrors.upstreamUnavailable(504, "Meta did not answer in time");
    const outcome = await attemptOnce(url, call, remaining);
    if (attempt < retries && isTransient(outcome)) {
      const backoff = Math.random() * BACKOFF_BASE_MS * 2 ** attempt;
      const wait = Math.max(backoff, outcome.kind === "answer" ? (retryAfterMs(outcome.headers) ?? 0) : 0);
      if (Date.now() + wait < budgetEnd) {
        await sleep(wait);
        continue;
      }
    }
    return interpret(outcome);
  }
}

type AttemptOutcome =
  | { kind: "answer"; status: number; raw: string; headers: Record<string, string> }
  | { kind: "timeout" }
  | { kind: "network-error"; code: string };

/** Worth another GET: the network failed, or Meta had a server error that is not a throttle. */
function isTransient(outcome: AttemptOutcome): outcome is Exclude<AttemptOutcome, { kind: "timeout" }> {
  if (outcome.kind === "network-error") return true;
  if (outcome.kind !== "answer" || outcome.status < 500) return false;
  return !isThrottling(outcome.status, metaErrorOf(parseOrUndefined(outcome.raw)));
}

/**
 * `Retry-After` in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent
 * or unreadable.
 */
export function retryAfterMs(headers: Record<string, string>, now = Date.now()): number | undefined {
  const value = headers["retry-after"]?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP date starts with the day's name ("Sun, 06 Nov 1994 08:49:37 GMT").
  if (!/^[A-Za-z]{3},/.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

async function attemptOnce(url: URL, call: GraphCall, timeoutMs: number): Promise<AttemptOutcome> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${call.accessToken}`,
    accept: "application/json",
  };
  if (call.body) headers["content-type"] = "application/json";
  try {
    const response = await fetch(url, {
      method: call.method,
      headers,
      body: call.body ? JSON.stringify(call.body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
    const raw = await response.text();
    return { kind: "answer", status: response.status, raw, headers: passedThrough(response.headers) };
  } catch (error) {
    const e = error as { name?: string; cause?: { code?: string } };
    if (e.name === "TimeoutError" || e.name === "AbortError") return { kind: "timeout" };
    return { kind: "network-error", code: e.cause?.code ?? e.name ?? "unknown" };
  }
}

function passedThrough(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of PASSED_THROUGH_HEADERS) {
    const value = headers.get(name);
    if (value !== null) kept[name] = value;
  }
  return kept;
}

function parseOrUndefined(raw: string): unknown {
  try {
    return parseJsonSafely(raw);
  } catch {
    return undefined;
  }
}

function interpret(outcome: AttemptOutcome): GraphAnswer {
  if (outcome.kind === "timeout") throw graphErrors.upstreamUnavailable(504, "Meta did not answer in time");
  if (outcome.kind === "network-error") {
    throw graphErrors.upstreamUnavailable(502, `could not reach Meta (${outcome.code})`);
  }
  const { status, raw, headers } = outcome;
  const json = parseOrUndefined(raw);
  if (metaErrorOf(json)) return { kind: "meta-error", status, raw, headers };
  if (json !== undefined && status >= 200 && status < 300)
    return { kind: "success", status, raw, json, headers };
  const what = json === undefined ? "without JSON" : "without a Graph error";
  throw graphErrors.upstreamUnavailable(502, `Meta answered HTTP ${status} ${what}`, headers);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
