/**
 * The fuzz test's model of the Idempotency-Keys the service remembers, kept from the answers a
 * run itself received and decided independently of the service's code (docs/spec.md,
 * "Idempotency-Key"): a key belongs to one tenant and phone number; the first request with it
 * that gets a final answer (not 429, 5xx, transient or a throttle) makes the key stand for that request and
 * answer for 24 h; the same request again is answered the same without calling Meta; any other
 * request with that key is refused with 422 code 100. Requests run one at a time here, so the
 * 409 of a key still in flight never arises.
 */

/** What one POST or DELETE is, as far as "the same request" goes: method, version, its parameters. */
export interface KeyedRequest {
  method: string;
  version: string;
  /** POST: the username and transfer_action sent (`undefined` when absent); DELETE: none. */
  parameters?: { username: string; transferAction: string | undefined };
}

export type Prediction =
  | { outcome: "run" }
  | { outcome: "replay"; status: number; body: string }
  | { outcome: "conflict" };

interface Remembered {
  request: string;
  status: number;
  body: string;
}

function identity(request: KeyedRequest): string {
  const { username, transferAction } = request.parameters ?? {};
  return JSON.stringify([request.method, request.version, username ?? null, transferAction ?? null]);
}

/** Graph's throttling codes (docs/spec.md, "Errors"): whatever their HTTP status, retry later. */
const THROTTLING_CODES = new Set([4, 17, 32, 613, 80007, 130429, 131056]);

/**
 * A retry-later answer is never remembered, so the retry it asks for runs: 429, 5xx, and an
 * error that is transient or a throttle (Meta may send one with a 400).
 */
function isFinal(status: number, body: string): boolean {
  if (status === 429 || status >= 500) return false;
  try {
    const error = (JSON.parse(body) as { error?: { is_transient?: unknown; code?: unknown } }).error;
    return !(error?.is_transient === true || THROTTLING_CODES.has(error?.code as number));
  } catch {
    return true;
  }
}

export class IdempotencyModel {
  readonly #remembered = new Map<string, Remembered>();

  #slot(scope: string, key: string): string {
    return JSON.stringify([scope, key]);
  }

  /** What the service must do with this request and key, given everything answered so far. */
  predict(scope: string, key: string, request: KeyedRequest): Prediction {
    const known = this.#remembered.get(this.#slot(scope, key));
    if (!known) return { outcome: "run" };
    if (known.request !== identity(request)) return { outcome: "conflict" };
    return { outcome: "replay", status: known.status, body: known.body };
  }

  /** A request that ran (Meta was asked) and how it was answered. */
  answered(scope: string, key: string, request: KeyedRequest, status: number, body: string): void {
    if (isFinal(status, body))
      this.#remembered.set(this.#slot(scope, key), { request: identity(request), status, body });
  }

  get size(): number {
    return this.#remembered.size;
  }
}
