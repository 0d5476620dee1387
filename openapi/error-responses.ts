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
import { META_ANSWER_EXAMPLES, type MetaAnswerExampleName } from "../meta-sandbox/meta-errors.ts";
import { GATEWAY_THROTTLED_DESCRIPTION } from "./gateway-answers.ts";
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

/** Meta's own answer, as Meta sends it (meta-sandbox/meta-errors.ts), for an example. */
function metaAnswer(name: MetaAnswerExampleName): unknown {
  return JSON.parse(META_ANSWER_EXAMPLES[name].body);
}

/**
 * An error response: `ServiceError` (the service's own envelope, exactly) where only the service
 * answers, `GraphError` (also any envelope Meta passes through) where Meta's may come back.
 */
function errorResponse(
  description: string,
  examples: Record<string, Example>,
  schema: "GraphError" | "ServiceError" = "GraphError",
) {
  return { description, content: { "application/json": { schema: ref(schema), examples } } };
}

/** An error status API Gateway's throttle also answers: our envelope, or its `{"message"}`. */
function orThrottled(response: ReturnType<typeof errorResponse>, schema: "GraphError" | "ServiceError") {
  const content = response.content["application/json"];
  return {
    ...response,
    description: `${response.description} Or: ${GATEWAY_THROTTLED_DESCRIPTION}`,
    content: {
      "application/json": {
        ...content,
        schema: { anyOf: [ref(schema), ref("ApiGatewayMessage")] },
        examples: {
          ...content.examples,
          gatewayThrottle: { summary: "API Gateway's throttle", value: { message: "Too Many Requests" } },
        },
      },
    },
  };
}

const RETRY_AFTER_OURS = {
  description: "Seconds until the tenant's window resets (whole seconds, at least 1).",
  schema: { type: "string", pattern: "^[1-9][0-9]*$" },
};

const WWW_AUTHENTICATE = {
  description:
    'Graph\'s OAuth challenge: `OAuth "Facebook Platform" "invalid_token" "<message>"` ' +
    "(`invalid_request` when no key was sent).",
  schema: { type: "string" },
};

/** An error status Meta's own answers come with too: they carry the Meta headers clients act on. */
function orFromMeta(response: ReturnType<typeof errorResponse> & { headers?: Record<string, unknown> }) {
  return { ...response, headers: { ...metaHeaders(), ...response.headers } };
}

export function errorResponses() {
  const unavailable = (
    status: 502 | 503 | 504,
    summary: string,
    detail: string,
    schema: "GraphError" | "ServiceError" = "GraphError",
  ) =>
    errorResponse(
      `${summary}. Code 2, \`is_transient: true\`: retry with backoff.`,
      { [`code2_${status}`]: { summary, value: ours(graphErrors.upstreamUnavailable(status, detail)) } },
      schema,
    );
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
          metaErrorDataString: {
            summary: "From Meta, byte for byte: `error_data` as a JSON string, extra fields",
            value: metaAnswer("error-data-string"),
          },
          metaBlameField: {
            summary: "From Meta, byte for byte: `error_data` without `messaging_product`",
            value: metaAnswer("blame-field"),
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
        "ServiceError",
      ),
      headers: { "www-authenticate": { ...WWW_AUTHENTICATE, required: true } },
    },
    UnauthorizedOrFromMeta: orFromMeta({
      ...errorResponse(
        "Missing, unknown or revoked API key (code 190, `OAuthException`), whether sent as X-API-Key, Bearer " +
          "or `access_token`; or Meta's own 401 (the number's Meta access token expired or was revoked, code " +
          "190), passed through: the operator sets a new token (`wau-admin phone set-token`).",
        { invalidApiKey: { summary: "No valid API key", value: ours(graphErrors.invalidApiKey()) } },
      ),
      headers: {
        "www-authenticate": {
          ...WWW_AUTHENTICATE,
          description: `${WWW_AUTHENTICATE.description} Meta's own challenge on Meta's 401.`,
        },
      },
    }),
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
    PayloadTooLarge: errorResponse(
      `Request body over ${API_BODY_LIMIT_BYTES} bytes (code 100).`,
      {
        tooLarge: {
          summary: "Body too large",
          value: ours(graphErrors.payloadTooLarge(API_BODY_LIMIT_BYTES)),
        },
      },
      "ServiceError",
    ),
    RateLimited: {
      ...orThrottled(
        errorResponse(
          "Rate limited. Every request that reaches Meta (GET username, GET username_suggestions, POST, " +
            "DELETE) counts against the tenant's limit per minute (code 4, with `retry-after`). Meta's own limits " +
            "(codes 4, 80007, 130429, 131056) are passed through as Meta sends them, sometimes with another " +
            "status. Back off and retry.",
          {
            tenantMetaLimit: {
              summary: "The tenant's limit on requests to Meta (4)",
              value: ours(graphErrors.rateLimited("at most 120 requests to Meta per minute per tenant", 42)),
            },
            metaThrottle: {
              summary: "From Meta, byte for byte: the WhatsApp Business account's limit (80007)",
              value: metaAnswer("business-use-case-throttle"),
            },
          },
        ),
        "GraphError",
      ),
      headers: {
        ...metaHeaders(),
        "retry-after": {
          description:
            "On the service's own 429: seconds until the tenant's window resets (at least 1). On Meta's: as Meta sent it.",
          schema: { type: "string" },
        },
      },
    },
    ReadRateLimited: {
      ...orThrottled(
        errorResponse(
          "Rate limited: the tenant's reads of `/v1` per minute are counted, and one over its limit is refused " +
            "before anything is read (code 4, `is_transient`, with `retry-after`). Back off and retry.",
          {
            tenantReadLimit: {
              summary: "The tenant's read limit (4)",
              value: ours(graphErrors.rateLimited("at most 600 reads of /v1 per minute per tenant", 17)),
            },
          },
          "ServiceError",
        ),
        "ServiceError",
      ),
      headers: { "retry-after": RETRY_AFTER_OURS },
    },
    IdempotencyKeyInFlight: errorResponse(
      "A request with this Idempotency-Key is still running (code 100, transient): retry the same request shortly.",
      { inFlight: { summary: "Still running", value: ours(graphErrors.idempotencyKeyInFlight()) } },
      "ServiceError",
    ),
    IdempotencyKeyReused: errorResponse(
      "This Idempotency-Key was used with a different request (code 100): send a new key.",
      { reused: { summary: "Key reused", value: ours(graphErrors.idempotencyKeyReused()) } },
      "ServiceError",
    ),
    BadGateway: orFromMeta(
      unavailable(502, "Meta could not be reached or answered unusably", "could not reach Meta (ECONNRESET)"),
    ),
    ServiceUnavailable: {
      ...orFromMeta(
        unavailable(
          503,
          "Meta or the service's storage is temporarily unavailable, or another change to the number was still " +
            "running when this one's turn should have come (before Meta was called)",
          "storage temporarily unavailable",
        ),
      ),
      headers: {
        ...metaHeaders(),
        "retry-after": {
          description:
            "Meta's, passed through when Meta sent it; or the service's own `1` when another change to the " +
            "number was still running (retry in a second).",
          schema: { type: "string" },
        },
      },
    },
    Unavailable: unavailable(
      503,
      "The service's storage is temporarily unavailable, or the request could not finish before its deadline",
      "storage temporarily unavailable",
      "ServiceError",
    ),
    GatewayTimeout: unavailable(504, "Meta did not answer in time", "Meta did not answer in time"),
    UnexpectedError: orFromMeta(
      errorResponse(
        "Any other error, in the same envelope: an unexpected failure (500, code 1, transient), or an error " +
          "Meta answered with another status, passed through unchanged (here Meta's server error without `type`).",
        {
          internal: { summary: "Unexpected error", value: ours(graphErrors.internal()) },
          metaUntyped: {
            summary: "From Meta, byte for byte: no `type`",
            value: metaAnswer("unknown-error-untyped"),
          },
        },
      ),
    ),
    InternalError: errorResponse(
      "An unexpected failure of the service (500, code 1, `is_transient`): retry later.",
      { internal: { summary: "Unexpected error", value: ours(graphErrors.internal()) } },
      "ServiceError",
    ),
    WebhookBadRequest: errorResponse(
      "The body is not JSON, or not a WhatsApp Business Account payload (code 100).",
      {
        notWaba: {
          summary: "Body is not JSON",
          value: ours(graphErrors.invalidParameter("Body is not valid JSON")),
        },
      },
      "ServiceError",
    ),
    WebhookForbidden: errorResponse(
      "Wrong `hub.verify_token`, or not a subscribe request.",
      {
        verificationFailed: {
          summary: "Verification refused",
          value: ours(graphErrors.webhookVerificationFailed()),
        },
      },
      "ServiceError",
    ),
    WebhookUnauthorized: errorResponse(
      "`X-Hub-Signature-256` missing or not the HMAC-SHA256 of the raw body with the app secret. Nothing is stored.",
      { invalidSignature: { summary: "Bad signature", value: ours(graphErrors.invalidSignature()) } },
      "ServiceError",
    ),
    WebhookPayloadTooLarge: errorResponse(
      `Payload over ${WEBHOOK_BODY_LIMIT_BYTES} bytes (Meta's maximum).`,
      {
        tooLarge: {
          summary: "Payload too large",
          value: ours(graphErrors.payloadTooLarge(WEBHOOK_BODY_LIMIT_BYTES)),
        },
      },
      "ServiceError",
    ),
    WebhookNotStored: errorResponse(
      "Some updates could not be stored: what was stored stays, and Meta's redelivery applies only the rest.",
      { internal: { summary: "Retry later", value: ours(graphErrors.internal()) } },
      "ServiceError",
    ),
  };
}
