/**
 * One HTTP attempt of a webhook: a POST with a time budget for the whole exchange, redirects
 * not followed (a 3xx is a failed attempt: the endpoint must be configured with its final URL),
 * and no more than RESPONSE_EXCERPT_CHARS of the answer's body ever read into memory or stored.
 */
import type { AttemptResult } from "../store/webhook-deliveries.ts";

export const RESPONSE_EXCERPT_CHARS = 256;
/** Bytes read from the body at most: enough for the excerpt in any UTF-8. */
const RESPONSE_READ_BYTES = RESPONSE_EXCERPT_CHARS * 4;

/** Failures that say the endpoint cannot be reached at all (the dispatcher stops trying it for a while). */
export type Unreachable = "timeout" | "connection";

export interface HttpAttempt extends AttemptResult {
  unreachable?: Unreachable;
}

async function excerptOf(response: Response): Promise<string | undefined> {
  const reader = response.body?.getReader();
  if (!reader) return undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_READ_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    // The rest is never read: the connection is released without downloading it.
    await reader.cancel().catch(() => undefined);
  }
  const text = new TextDecoder().decode(Buffer.concat(chunks).subarray(0, RESPONSE_READ_BYTES));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is dropped.
  const clean = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "").slice(0, RESPONSE_EXCERPT_CHARS);
  return clean === "" ? undefined : clean;
}

function networkFailure(error: unknown): { error: string; unreachable: Unreachable } {
  const e = error as { name?: string; cause?: { code?: string; name?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError")
    return { error: "timeout", unreachable: "timeout" };
  const code = e.cause?.code ?? e.cause?.name ?? e.name ?? "error";
  return { error: `connection failed (${code})`, unreachable: "connection" };
}

export async function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<HttpAttempt> {
  const started = performance.now();
  const at = new Date().toISOString();
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal });
    const responseExcerpt = await excerptOf(response).catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    const redirect = response.status >= 300 && response.status < 400;
    return {
      at,
      durationMs: performance.now() - started,
      ok,
      responseStatus: response.status,
      ...(ok
        ? {}
        : {
            error: redirect ? `redirect (HTTP ${response.status}) not followed` : `HTTP ${response.status}`,
          }),
      ...(responseExcerpt ? { responseExcerpt } : {}),
    };
  } catch (error) {
    return { at, durationMs: performance.now() - started, ok: false, ...networkFailure(error) };
  }
}
