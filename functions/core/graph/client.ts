/**
 * Meta Graph API client for the username edges.
 *  - The URL is built from validated segments and checked to stay on the configured origin
 *    and path shape, so no path input can redirect a call.
 *  - One time budget per call (default 10 s, never beyond the Lambda's deadline), retries included.
 *  - GETs retry transient failures (network errors, 5xx, 429) at most twice, with full-jitter
 *    backoff; POST and DELETE are never replayed (Meta may have acted on the first one).
 *  - Meta's own error answers are returned untouched; anything else that is not a JSON answer
 *    becomes a Graph code 2 error (502, or 504 on timeout).
 * Node's fetch keeps connections to Meta alive across invocations of a warm container.
 */
import { config } from "../config.ts";
import { graphErrors } from "../http/graph-error.ts";
import { parseJsonSafely } from "../http/request.ts";
import { graphErrorSchema } from "../validation/graph-error.ts";
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

/** What Meta answered: a JSON success, or a Graph error envelope passed through as it came. */
export type GraphAnswer =
  | { kind: "success"; status: number; raw: string; json: unknown }
  | { kind: "meta-error"; status: number; raw: string };

const MAX_RETRIES = 2;
const BACKOFF_BASE_MS = 100;
const RETRYABLE_STATUS = (status: number) => status === 429 || status >= 500;

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
  const url = graphUrl(call);
  const budgetEnd = Math.min(Date.now() + config.graphTimeoutMs(), call.deadline ?? Number.POSITIVE_INFINITY);
  const retries = call.method === "GET" ? MAX_RETRIES : 0;

  for (let attempt = 0; ; attempt++) {
    const remaining = budgetEnd - Date.now();
    if (remaining <= 0) throw graphErrors.upstreamUnavailable(504, "Meta did not answer in time");
    const outcome = await attemptOnce(url, call, remaining);
    const retryable =
      outcome.kind === "network-error" || (outcome.kind === "answer" && RETRYABLE_STATUS(outcome.status));
    if (attempt < retries && retryable) {
      const backoff = Math.random() * BACKOFF_BASE_MS * 2 ** attempt;
      if (Date.now() + backoff < budgetEnd) {
        await sleep(backoff);
        continue;
      }
    }
    return interpret(outcome);
  }
}

type AttemptOutcome =
  | { kind: "answer"; status: number; raw: string }
  | { kind: "timeout" }
  | { kind: "network-error"; code: string };

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
    return { kind: "answer", status: response.status, raw: await response.text() };
  } catch (error) {
    const e = error as { name?: string; cause?: { code?: string } };
    if (e.name === "TimeoutError" || e.name === "AbortError") return { kind: "timeout" };
    return { kind: "network-error", code: e.cause?.code ?? e.name ?? "unknown" };
  }
}

function interpret(outcome: AttemptOutcome): GraphAnswer {
  if (outcome.kind === "timeout") throw graphErrors.upstreamUnavailable(504, "Meta did not answer in time");
  if (outcome.kind === "network-error") {
    throw graphErrors.upstreamUnavailable(502, `could not reach Meta (${outcome.code})`);
  }
  let json: unknown;
  try {
    json = parseJsonSafely(outcome.raw);
  } catch {
    throw graphErrors.upstreamUnavailable(502, `Meta answered HTTP ${outcome.status} without JSON`);
  }
  if (outcome.status >= 200 && outcome.status < 300) {
    return { kind: "success", status: outcome.status, raw: outcome.raw, json };
  }
  if (graphErrorSchema.safeParse(json).success)
    return { kind: "meta-error", status: outcome.status, raw: outcome.raw };
  throw graphErrors.upstreamUnavailable(502, `Meta answered HTTP ${outcome.status} without a Graph error`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
