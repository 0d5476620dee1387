/**
 * One HTTP attempt of a webhook: a POST over node:http(s) with one time budget for the whole
 * exchange (connect, send, answer), redirects not followed (a 3xx is a failed attempt: the
 * endpoint must be configured with its final URL), and bounded reads of the answer: at most
 * RESPONSE_READ_BYTES of its body, read for at most BODY_READ_MS after its status arrived and
 * never past the budget, then the connection is dropped. A 2xx counts as delivered whatever its
 * body does: an endpoint that answers 200 and holds its body open costs BODY_READ_MS, not the
 * budget. The connection goes only to an address outbound-address.ts allowed (the request's own
 * `lookup`: no second DNS lookup between the check and the connect).
 */
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { UNPRINTABLE_CHARACTERS } from "../validation/unprintable.ts";
import { AddressRefusedError, allowedAddresses, checkedLookup, REFUSED_ERROR } from "./outbound-address.ts";

export const RESPONSE_EXCERPT_CHARS = 256;
/** Bytes read from the body at most: enough for the excerpt in any UTF-8. */
export const RESPONSE_READ_BYTES = RESPONSE_EXCERPT_CHARS * 4;
/** How long the body is read once the status is known (within the attempt's budget). */
export const BODY_READ_MS = 1_000;
/** Largest answer head (status line and headers) read, in bytes. */
const MAX_HEADER_BYTES = 16 * 1024;

/** What one HTTP attempt came to. */
export interface AttemptResult {
  /** ISO time the attempt started. */
  at: string;
  durationMs: number;
  /** A 2xx answer. */
  ok: boolean;
  /** The endpoint's HTTP status, when it answered. */
  responseStatus?: number;
  /** Why it failed, in a few words (timeout, connection failed, refused, redirect, HTTP 500...). */
  error?: string;
  /** The first characters of the answer's body (control characters dropped), never more. */
  responseExcerpt?: string;
}

/** Failures that say the endpoint cannot be reached at all (the dispatcher stops trying it for a while). */
export type Unreachable = "timeout" | "connection";

export interface HttpAttempt extends AttemptResult {
  unreachable?: Unreachable;
}

export interface PostOptions {
  /** Loopback addresses are allowed (a local store). */
  allowLoopback: boolean;
  /** The connection pool (keep-alive); one shared by every attempt of the container by default. */
  agents?: { http: http.Agent; https: https.Agent };
}

/** Keep-alive pools shared by the container's attempts: how many connections one endpoint holds is bounded by the dispatcher. */
const defaultAgents = {
  http: new http.Agent({ keepAlive: true, maxFreeSockets: 4 }),
  https: new https.Agent({ keepAlive: true, maxFreeSockets: 4 }),
};

/** getaddrinfo's codes for a name without an address. */
const UNRESOLVED = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NODATA", "EAI_NONAME", "EAI_FAIL"]);

function excerptOf(chunks: Buffer[]): string | undefined {
  const text = new TextDecoder().decode(Buffer.concat(chunks).subarray(0, RESPONSE_READ_BYTES));
  // Tabs and line breaks read as spaces; every other control, C1 or bidirectional character is
  // dropped, so an excerpt shown to a tenant or an operator cannot reorder or restyle the text.
  const clean = text
    .replace(/[\t\n]/g, " ")
    .replace(UNPRINTABLE_CHARACTERS, "")
    .slice(0, RESPONSE_EXCERPT_CHARS);
  return clean === "" ? undefined : clean;
}

class AttemptTimeout extends Error {
  override name = "TimeoutError";
}

function networkFailure(error: unknown): { error: string; unreachable: Unreachable } {
  if (error instanceof AddressRefusedError) return { error: REFUSED_ERROR, unreachable: "connection" };
  const e = error as { name?: string; code?: string };
  // A name that resolves to nothing is refused like one that resolves to a private address: the
  // error must not tell a tenant which names exist inside (ENOTFOUND vs. a refusal).
  if (e.code !== undefined && UNRESOLVED.has(e.code))
    return { error: REFUSED_ERROR, unreachable: "connection" };
  if (e.name === "TimeoutError") return { error: "timeout", unreachable: "timeout" };
  return { error: `connection failed (${e.code ?? e.name ?? "error"})`, unreachable: "connection" };
}

/**
 * POSTs `body` to `url` within `timeoutMs`; never throws: every outcome is an HttpAttempt.
 * `headers` are sent as given, plus `content-length`.
 */
export async function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  options: PostOptions = { allowLoopback: false },
): Promise<HttpAttempt> {
  const started = performance.now();
  const at = new Date().toISOString();
  const deadline = Date.now() + timeoutMs;
  const done = (result: Omit<HttpAttempt, "at" | "durationMs">): HttpAttempt => ({
    at,
    durationMs: performance.now() - started,
    ...result,
  });
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return done({ ok: false, error: REFUSED_ERROR, unreachable: "connection" });
  }
  const hostname = target.hostname.replace(/^\[|\]$/g, "");
  if (isIP(hostname)) {
    // A literal is connected to without a lookup: it is checked here.
    try {
      await allowedAddresses(hostname, options.allowLoopback);
    } catch (error) {
      return done({ ok: false, ...networkFailure(error) });
    }
  }
  const secure = target.protocol === "https:";
  const agents = options.agents ?? defaultAgents;
  return new Promise<HttpAttempt>((resolve) => {
    let settled = false;
    const finish = (result: Omit<HttpAttempt, "at" | "durationMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(budget);
      resolve(done(result));
    };
    const request = (secure ? https : http).request({
      method: "POST",
      protocol: target.protocol,
      hostname,
      port: target.port || undefined,
      path: `${target.pathname}${target.search}`,
      headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
      agent: secure ? agents.https : agents.http,
      lookup: checkedLookup(options.allowLoopback) as never,
      maxHeaderSize: MAX_HEADER_BYTES,
      ...(secure && !isIP(hostname) ? { servername: hostname } : {}),
    });
    const budget = setTimeout(() => request.destroy(new AttemptTimeout("attempt budget spent")), timeoutMs);
    request.on("error", (error) => finish({ ok: false, ...networkFailure(error) }));
    request.on("response", (response) => {
      // From here the body's own timer (never past the budget) ends the attempt.
      clearTimeout(budget);
      const status = response.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      const outcome = {
        ok,
        responseStatus: status,
        ...(ok
          ? {}
          : {
              error:
                status >= 300 && status < 400 ? `redirect (HTTP ${status}) not followed` : `HTTP ${status}`,
            }),
      };
      const chunks: Buffer[] = [];
      let size = 0;
      const stop = () => {
        clearTimeout(reading);
        const responseExcerpt = excerptOf(chunks);
        finish({ ...outcome, ...(responseExcerpt ? { responseExcerpt } : {}) });
      };
      // The body is read briefly and never past the budget; what is not read is not downloaded.
      const reading = setTimeout(
        () => {
          stop();
          response.destroy();
        },
        Math.max(0, Math.min(BODY_READ_MS, deadline - Date.now())),
      );
      response.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= RESPONSE_READ_BYTES) {
          stop();
          response.destroy();
        }
      });
      response.on("end", stop);
      response.on("error", stop);
      response.on("close", stop);
    });
    request.end(body);
  });
}
