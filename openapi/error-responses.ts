/**
 * components.responses for errors: every one a Graph error envelope. The service's own errors
 * are produced by the very code that answers them (graphErrors, the request parsers), so the
 * examples cannot drift; Meta's pass-through errors are written from docs/spec.md, "Errors".
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { GraphError, graphErrors } from "../functions/core/errors/graph-error.ts";
import { WEBHOOK_BODY_LIMIT_BYTES } from "../functions/core/http/meta-webhook-delivery.ts";
import { API_BODY_LIMIT_BYTES, parsePathParameters } from "../functions/core/http/request.ts";
import { validateParameters } from "../functions/core/http/request-parameters.ts";
import {
  claimUsernameBodySchema,
  pathParametersSchema,
} from "../functions/core/validation/username-request.ts";
import { metaHeaders } from "./parameter-forms.ts";
import { ref } from "./schemas.ts";

/** Stands in for a request id in examples (deterministic output). */
const EXAMPLE_TRACE_ID = "AbCdEf0123456789";

function ours(error: GraphError) {
  return error.toBody(EXAMPLE_TRACE_ID);
}

/** The error a parser throws for this input, exactly as the handler would answer it. */
function thrownBy(parse: () => unknown) {
  try {
    parse();
  } catch (error) {
    if (error instanceof GraphError) return ours(error);
    throw error;
  }
  throw new Error("expected the example input to be refused");
}

function event(input: Partial<APIGatewayProxyEventV2>): APIGatewayProxyEventV2 {
  return { isBase64Encoded: false, ...input } as APIGatewayProxyEventV2;
}

function fromMeta(code: number, message: string, details: string, type = "OAuthException") {
  return {
    error: {
      message,
      type,
      code,
      error_data: { messaging_product: "whatsapp", details },
      fbtrace_id: "A1b2C3d4E5f6G7h8",
    },
  };
}

/** The claim route's parameter validation, as the handler runs it. */
function claimParameters(values: Record<string, unknown>) {
  return validateParameters({ values, repeated: new Set() }, claimUsernameBodySchema);
}

interface Example {
  summary: string;
  value: unknown;
}

function errorResponse(description: string, examples: Record<string, Example>) {
  return { description, content: { "application/json": { schema: ref("GraphError"), examples } } };
}

/** An error status Meta's own answers come with too: they carry the Meta headers clients act on. */
function orFromMeta(response: ReturnType<typeof errorResponse> & { headers?: Record<string, unknown> }) {
  return { ...response, headers: { ...metaHeaders(), ...response.headers } };
}

export function errorResponses() {
  const unavailable = (status: 502 | 503 | 504, summary: string, detail: string) =>
    errorResponse(`${summary}. Code 2, \`is_transient: true\`: retry with backoff.`, {
      [`code2_${status}`]: { summary, value: ours(graphErrors.upstreamUnavailable(status, detail)) },
    });
  return {
    BadRequest: orFromMeta(
      errorResponse(
        "Invalid request (code 100: path, body or username format, checked before anything reaches Meta), " +
          "a phone number that is unknown or not the caller's tenant's (code 33, the same answer for both), " +
          "or Meta's own 400 errors passed through: 147001 username not available, 147002 account not eligible, " +
          "147003 Facebook Page must be linked, 147004 Instagram account must be linked, 147005 name in use in " +
          "the same portfolio (resend with `force_transfer`), 133010 number not registered, 33 invalid access.",
        {
          invalidPath: {
            summary: "Bad version or phone number id (code 100)",
            value: thrownBy(() =>
              parsePathParameters(
                event({ pathParameters: { version: "24.0", phone_number_id: "106540352242922" } }),
                pathParametersSchema,
              ),
            ),
          },
          invalidUsername: {
            summary: "Username format (code 100)",
            value: thrownBy(() => claimParameters({ username: "lucky.shrub.com" })),
          },
          wrongType: {
            summary: "A parameter of the wrong type (code 100)",
            value: thrownBy(() => claimParameters({ username: 123 })),
          },
          phoneNotAccessible: {
            summary: "Unknown phone number, or another tenant's (code 33)",
            value: ours(graphErrors.phoneNumberNotAccessible("106540352242922")),
          },
          usernameNotAvailable: {
            summary: "From Meta: the name is taken (147001)",
            value: fromMeta(
              147001,
              "Username is not available",
              "This username is already taken. Try a different username.",
            ),
          },
          usernameInPortfolio: {
            summary: "From Meta: another number of the portfolio holds it (147005)",
            value: fromMeta(
              147005,
              "Username is in use by another phone number in this business portfolio",
              "Resend the request with transfer_action set to force_transfer to move the username to this phone number.",
            ),
          },
        },
      ),
    ),
    Unauthorized: {
      ...errorResponse(
        "Missing, unknown or revoked API key (code 190, `OAuthException`), whether sent as X-API-Key, Bearer " +
          "or `access_token`.",
        { invalidApiKey: { summary: "No valid API key", value: ours(graphErrors.invalidApiKey()) } },
      ),
      headers: {
        "www-authenticate": {
          description:
            'Graph\'s OAuth challenge: `OAuth "Facebook Platform" "invalid_token" "<message>"` ' +
            "(`invalid_request` when no key was sent).",
          schema: { type: "string" },
        },
      },
    },
    Forbidden: orFromMeta(
      errorResponse("From Meta: the number's access token lacks a permission (code 10).", {
        permission: {
          summary: "From Meta: missing permission (10)",
          value: fromMeta(
            10,
            "(#10) Application does not have permission for this action",
            "The access token is missing the whatsapp_business_management permission for this asset.",
          ),
        },
      }),
    ),
    PayloadTooLarge: errorResponse(`Request body over ${API_BODY_LIMIT_BYTES} bytes (code 100).`, {
      tooLarge: { summary: "Body too large", value: ours(graphErrors.payloadTooLarge(API_BODY_LIMIT_BYTES)) },
    }),
    RateLimited: orFromMeta({
      ...errorResponse(
        "Rate limited. Every request that reaches Meta (GET username, GET username_suggestions, POST, " +
          "DELETE) counts against the tenant's limit per minute (code 4, with Retry-After). Meta's own limits (codes 4, 80007, 130429, 131056) are passed through as Meta sends " +
          "them, sometimes with another status. Back off and retry.",
        {
          tenantMetaLimit: {
            summary: "The tenant's limit on requests to Meta (4)",
            value: ours(graphErrors.rateLimited("at most 120 requests to Meta per minute per tenant", 42)),
          },
        },
      ),
      headers: {
        "retry-after": {
          description: "Seconds until the tenant's limit resets (on the service's own 429).",
          schema: { type: "integer", minimum: 1 },
        },
      },
    }),
    IdempotencyKeyInFlight: errorResponse(
      "A request with this Idempotency-Key is still running (code 100, transient): retry the same request shortly.",
      { inFlight: { summary: "Still running", value: ours(graphErrors.idempotencyKeyInFlight()) } },
    ),
    IdempotencyKeyReused: errorResponse(
      "This Idempotency-Key was used with a different request (code 100): send a new key.",
      { reused: { summary: "Key reused", value: ours(graphErrors.idempotencyKeyReused()) } },
    ),
    BadGateway: orFromMeta(
      unavailable(502, "Meta could not be reached or answered unusably", "could not reach Meta (ECONNRESET)"),
    ),
    ServiceUnavailable: orFromMeta(
      unavailable(
        503,
        "Meta or the service's storage is temporarily unavailable",
        "storage temporarily unavailable",
      ),
    ),
    GatewayTimeout: unavailable(504, "Meta did not answer in time", "Meta did not answer in time"),
    UnexpectedError: orFromMeta(
      errorResponse(
        "Any other error, in the same envelope: an unexpected failure (500, code 1, transient), or an error " +
          "Meta answered with another status, passed through unchanged.",
        { internal: { summary: "Unexpected error", value: ours(graphErrors.internal()) } },
      ),
    ),
    WebhookBadRequest: errorResponse(
      "The body is not JSON, or not a WhatsApp Business Account payload (code 100).",
      {
        notWaba: {
          summary: "Body is not JSON",
          value: ours(graphErrors.invalidParameter("Body is not valid JSON")),
        },
      },
    ),
    WebhookForbidden: errorResponse("Wrong `hub.verify_token`, or not a subscribe request.", {
      verificationFailed: {
        summary: "Verification refused",
        value: ours(graphErrors.webhookVerificationFailed()),
      },
    }),
    WebhookUnauthorized: errorResponse(
      "`X-Hub-Signature-256` missing or not the HMAC-SHA256 of the raw body with the app secret. Nothing is stored.",
      { invalidSignature: { summary: "Bad signature", value: ours(graphErrors.invalidSignature()) } },
    ),
    WebhookPayloadTooLarge: errorResponse(
      `Payload over ${WEBHOOK_BODY_LIMIT_BYTES} bytes (Meta's maximum).`,
      {
        tooLarge: {
          summary: "Payload too large",
          value: ours(graphErrors.payloadTooLarge(WEBHOOK_BODY_LIMIT_BYTES)),
        },
      },
    ),
    WebhookNotStored: errorResponse(
      "Some updates could not be stored: what was stored stays, and Meta's redelivery applies only the rest.",
      { internal: { summary: "Retry later", value: ours(graphErrors.internal()) } },
    ),
  };
}
