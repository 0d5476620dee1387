import type { GraphErrorBody } from "./graph-error-envelope.ts";

/**
 * An error answered to the client as a Graph-style envelope. `fbtrace_id` carries our
 * request id so a client's bug report can be matched to our logs, as with Meta's own.
 */
export class GraphError extends Error {
  override name = "GraphError";
  readonly status: number;
  readonly body: GraphErrorBody["error"];
  /** Extra response headers (e.g. `retry-after` on a 429). */
  readonly headers: Record<string, string>;

  constructor(status: number, body: GraphErrorBody["error"], headers: Record<string, string> = {}) {
    super(body.message);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }

  toBody(requestId: string | undefined): GraphErrorBody {
    return { error: { ...this.body, ...(requestId ? { fbtrace_id: requestId } : {}) } };
  }
}

/** Graph's challenge format: `OAuth "Facebook Platform" "<error>" "<message>"`. */
function oauthChallenge(error: "invalid_request" | "invalid_token", message: string): string {
  return `OAuth "Facebook Platform" "${error}" "${message.replaceAll('"', "'")}"`;
}

function details(text: string) {
  return { messaging_product: "whatsapp" as const, details: text };
}

/** Every error this service produces itself, in one place (docs/spec.md, "Errors"). */
export const graphErrors = {
  invalidParameter: (message: string, detail?: string) =>
    new GraphError(400, {
      message: `(#100) ${message}`,
      type: "OAuthException",
      code: 100,
      ...(detail ? { error_data: details(detail) } : {}),
    }),
  /**
   * No key (`invalid_request`) or a key that is malformed, unknown or revoked (`invalid_token`).
   * Like Graph's own 401, it carries the OAuth challenge in `WWW-Authenticate`.
   */
  invalidApiKey: (problem: "missing" | "invalid" = "invalid") => {
    const message = "Invalid API key: send a valid key as X-API-Key, Authorization: Bearer or access_token";
    return new GraphError(
      401,
      { message, type: "OAuthException", code: 190 },
      {
        "www-authenticate": oauthChallenge(
          problem === "missing" ? "invalid_request" : "invalid_token",
          message,
        ),
      },
    );
  },
  /**
   * Unknown and foreign phone numbers get this same body, so ids cannot be probed; its hint says
   * how a number comes to be known (an operator registers it to the key's tenant).
   */
  phoneNumberNotAccessible: (phoneNumberId: string) =>
    new GraphError(400, {
      message: `Unsupported request. Object with ID '${phoneNumberId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
      type: "GraphMethodException",
      code: 33,
      error_data: details(
        "this API key's tenant has no phone number with this id: an operator registers numbers to a tenant " +
          "with `wau-admin phone add --tenant <tenant> --phone-number-id <id> ...` (docs/deploy.md)",
      ),
    }),
  invalidSignature: () =>
    new GraphError(401, {
      message: "Invalid or missing X-Hub-Signature-256",
      type: "OAuthException",
      code: 100,
    }),
  /** `headers`: what Meta's unusable answer carried that clients act on (e.g. `retry-after`). */
  upstreamUnavailable: (status: 502 | 503 | 504, detail: string, headers: Record<string, string> = {}) =>
    new GraphError(
      status,
      {
        message: "Service temporarily unavailable",
        type: "OAuthException",
        code: 2,
        is_transient: true,
        error_data: details(detail),
      },
      headers,
    ),
  payloadTooLarge: (limitBytes: number) =>
    new GraphError(413, {
      message: `(#100) Request body exceeds ${limitBytes} bytes`,
      type: "OAuthException",
      code: 100,
    }),
  rateLimited: (detail: string, retryAfterSeconds?: number) =>
    new GraphError(
      429,
      {
        message: "(#4) Application request limit reached",
        type: "OAuthException",
        code: 4,
        is_transient: true,
        error_data: details(detail),
      },
      retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) },
    ),
  /** Same Idempotency-Key, different request (Stripe answers 422 too). */
  idempotencyKeyReused: () =>
    new GraphError(422, {
      message: "(#100) This Idempotency-Key was already used with a different request",
      type: "OAuthException",
      code: 100,
      error_data: details("send a new Idempotency-Key for a different request"),
    }),
  /** Same Idempotency-Key while the first request is still running: retry after it finishes. */
  idempotencyKeyInFlight: () =>
    new GraphError(409, {
      message: "(#100) A request with this Idempotency-Key is still being processed",
      type: "OAuthException",
      code: 100,
      is_transient: true,
      error_data: details("retry the same request in a moment"),
    }),
  /**
   * Another change to the same number is still running and this request's wait for its turn ran
   * out before Meta could be called: nothing happened, retry.
   */
  phoneNumberBusy: () =>
    new GraphError(
      503,
      {
        message: "Service temporarily unavailable",
        type: "OAuthException",
        code: 2,
        is_transient: true,
        error_data: details("another change to this phone number is in progress: retry in a moment"),
      },
      { "retry-after": "1" },
    ),
  webhookVerificationFailed: () =>
    new GraphError(403, {
      message: "(#100) Webhook verification failed: wrong hub.mode or hub.verify_token",
      type: "OAuthException",
      code: 100,
    }),
  notFound: (method: string, path: string) =>
    new GraphError(404, {
      message: `Unknown path components: ${method} ${path}`,
      type: "OAuthException",
      code: 100,
    }),
  internal: () =>
    new GraphError(500, {
      message: "An unexpected error has occurred. Please retry your request later.",
      type: "OAuthException",
      code: 1,
      is_transient: true,
    }),
};
