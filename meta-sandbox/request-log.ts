/**
 * Every Graph request the sandbox received (control calls excluded), with what it answered: what
 * tests read to check what the proxy sent to "Meta". Capped, so a long benchmark run cannot grow
 * it without bound.
 */

export interface RecordedRequest {
  method: string;
  /** Path and query string exactly as received. */
  path: string;
  /** Lower-cased names; authorization included on purpose (tests check what the proxy sends). */
  headers: Record<string, string>;
  body: string;
  /** Epoch milliseconds when the whole request had arrived. */
  at: number;
  /** What the sandbox answered, byte for byte; absent while pending, and for resets and hangs. */
  response?: RecordedResponse;
}

export interface RecordedResponse {
  status: number;
  /** Lower-case names, every header the sandbox sent. */
  headers: Record<string, string>;
  body: string;
}

const MAX_RECORDED = 100_000;

/** One sandbox's log of Graph requests. */
export class RequestLog {
  #requests: RecordedRequest[] = [];

  /**
   * Keeps `request` itself, not a copy: server.ts fills in its `response` once the answer has
   * gone out, which may be long after it arrived (a delay, a slow fault).
   */
  record(request: RecordedRequest): void {
    this.#requests.push(request);
    if (this.#requests.length > MAX_RECORDED) this.#requests.shift();
  }

  /** Copies of the recorded requests, oldest first (at most the last 100,000). */
  list(): RecordedRequest[] {
    return this.#requests.map((r) => ({ ...r, headers: { ...r.headers } }));
  }

  /** Forgets every recorded request. */
  clear(): void {
    this.#requests = [];
  }
}
