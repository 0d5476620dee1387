/**
 * Errors as the console shows them: every failed answer, the service's or Meta's, is a Graph-style
 * envelope (docs/spec.md, "Errors"); `ApiError` keeps what a person needs (code, message, Meta's
 * trace id, when to retry) and `adviceFor` says what to do about it.
 */

/** A failed request: an error answer (`status` ≥ 400) or no answer at all (`status` 0). */
export class ApiError extends Error {
  override name = "ApiError";
  /** HTTP status; 0 when no answer arrived (network down, the page going away). */
  readonly status: number;
  /** Graph's error code (`error.code`), when the answer had an envelope. */
  readonly code: number | undefined;
  readonly subcode: number | undefined;
  /** `error.fbtrace_id`: Meta's trace id, or the service's request id for its own errors. */
  readonly traceId: string | undefined;
  /** Seconds from `retry-after`, when the answer said when to retry. */
  readonly retryAfterSeconds: number | undefined;
  readonly transient: boolean;
  /**
   * The contract's path of the route that answered (`/v1/phone_numbers/{phone_number_id}`), when
   * known: whose request limit a 429 is depends on it (`adviceFor`).
   */
  readonly route: string | undefined;
  /** `error.error_data.details` (Meta's passed-on errors: `error_data` itself, a string): the API's hint. */
  readonly hint: string | undefined;

  constructor(init: {
    status: number;
    message: string;
    code?: number | undefined;
    subcode?: number | undefined;
    traceId?: string | undefined;
    retryAfterSeconds?: number | undefined;
    transient?: boolean | undefined;
    route?: string | undefined;
    hint?: string | undefined;
  }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.subcode = init.subcode;
    this.traceId = init.traceId;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.transient = init.transient ?? (init.status === 0 || init.status >= 500);
    this.route = init.route;
    this.hint = init.hint;
  }
}

interface Envelope {
  error?: {
    message?: unknown;
    code?: unknown;
    error_subcode?: unknown;
    fbtrace_id?: unknown;
    is_transient?: unknown;
    error_user_msg?: unknown;
    error_data?: unknown;
  };
}

/**
 * The error of an answer whose status is not 2xx, from its Graph envelope when it has one; `route`
 * is the contract's path of the request.
 */
export function apiErrorOf(response: Response, body: unknown, route?: string): ApiError {
  const error = (body as Envelope | undefined)?.error;
  const retryAfter = Number.parseInt(response.headers.get("retry-after") ?? "", 10);
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
  const number = (value: unknown) => (typeof value === "number" ? value : undefined);
  return new ApiError({
    status: response.status,
    message:
      text(error?.error_user_msg) ?? text(error?.message) ?? `The request failed (HTTP ${response.status}).`,
    code: number(error?.code),
    subcode: number(error?.error_subcode),
    traceId: text(error?.fbtrace_id),
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
    transient: error?.is_transient === true || response.status >= 500 || response.status === 429,
    route,
    hint: text(error?.error_data) ?? text((error?.error_data as { details?: unknown } | undefined)?.details),
  });
}

/** An exception of `fetch` itself: no answer arrived. */
export function networkError(cause: unknown): ApiError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new ApiError({ status: 0, message: `No answer from the service (${detail}).`, transient: true });
}

/** Graph codes → what to do (docs/spec.md, "Errors"; Meta's codes as Meta documents them). */
export const GRAPH_ADVICE: Readonly<Record<number, string>> = {
  1: "Something unexpected failed. Try again; if it keeps failing, give your operator the trace id.",
  2: "Meta or the service is briefly unavailable, or the number is busy with another change. Try again in a moment.",
  4: "Too many requests to Meta for your business in a short time. Wait, then try again.",
  33: "This phone number is not registered to your business. Reload the list of numbers.",
  100: "A value was refused: check the username against the rules shown and try again.",
  190: "Your API key was not accepted: it is unknown or was revoked. Sign in with a valid key.",
  147001:
    "Another business already uses this username. Choose another name: Meta's suggestions are one click away.",
  147002:
    "Meta does not let this phone number have a username yet (eligibility). Try again later, or check the number in WhatsApp Manager.",
  147003:
    "This username belongs to a Facebook Page. Only its owner can use it: connect that Page to your business portfolio, or choose another name.",
  147004:
    "This username belongs to an Instagram account. Only its owner can use it: connect that account to your business portfolio, or choose another name.",
  147005:
    "Another phone number of your business portfolio holds this username. Move it to this number (force transfer), or choose another name.",
};

/**
 * Where an error happened, for `adviceFor`: the proxy's routes pass Meta's answers on, while the
 * self-service routes (webhook endpoints, API keys) never call Meta, so there a refusal is the
 * service's own and a 429 is the service's per-tenant limit, not Meta's.
 */
export interface AdviceContext {
  /** Advice by Graph code, before the general table (e.g. what code 100 means on this form). */
  codes?: Readonly<Partial<Record<number, string>>>;
  /** Whose request limit a 429 (code 4) of a username route is (default: Meta's; a /v1 route's is the service's). */
  limiter?: "Meta" | "the service";
  /** Advice for a refusal no table knows (default: Meta's message is Meta's own). */
  otherwise?: string;
  /**
   * Whether the API's own hint (`ApiError.hint`), when it gave one, is what to do: where it says
   * more than any table can (a redelivery refused names the setting that refuses it).
   */
  hint?: boolean;
}

/** The self-service pages' context: the service's own refusals, its own request limit. */
export const SELF_SERVICE_ADVICE: AdviceContext = {
  limiter: "the service",
  codes: {
    2: "The service is briefly busy with other changes of your business. Try again in a moment.",
    33: "It no longer exists: it was removed meanwhile (perhaps in another tab). Reload the list.",
    100: "The service refused a value: the message above names it and why. Correct it, then try again.",
  },
  otherwise: "The service refused the request: the message above says why.",
};

/** What to do about `error`, in one or two sentences; `context` says where it happened. */
export function adviceFor(error: ApiError, context: AdviceContext = {}): string {
  if (error.status === 0) return "Check your connection, then try again.";
  if (error.status === 429 || error.code === 4) {
    // The service's own routes never call Meta: their 429 is the service's per-tenant limit on
    // them (docs/reliability.md, "Fair share"), whatever page asked.
    const limiter = error.route?.startsWith("/v1/") ? "the service" : (context.limiter ?? "Meta");
    const wait = error.retryAfterSeconds;
    if (wait !== undefined) {
      return `Too many requests to ${limiter} for your business. Wait ${wait} second${wait === 1 ? "" : "s"}, then try again.`;
    }
    return limiter === "Meta"
      ? (GRAPH_ADVICE[4] as string)
      : `Too many requests to ${limiter} for your business in a short time. Wait, then try again.`;
  }
  if (context.hint && error.hint) return error.hint;
  const code = error.code;
  const known = code !== undefined ? (context.codes?.[code] ?? GRAPH_ADVICE[code]) : undefined;
  if (known) return known;
  if (error.transient) return context.codes?.[2] ?? (GRAPH_ADVICE[2] as string);
  return (
    context.otherwise ??
    "Meta refused the request: the message above is Meta's own. Correct what it names, then try again."
  );
}
