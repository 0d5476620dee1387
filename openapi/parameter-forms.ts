/**
 * How the document describes Graph's parameter forms and the Meta headers passed through: the
 * query parameters every username route reads, the POST body's three media types, and the
 * response headers of functions/core/graph/client.ts's `PASSED_THROUGH_HEADERS`.
 */
import { PASSED_THROUGH_HEADERS } from "../functions/core/graph/client.ts";
import { METHOD_OVERRIDE_DESCRIPTION, METHOD_OVERRIDE_PATTERN, ref } from "./schemas.ts";

export const PARAMETER_PRECEDENCE =
  "Parameters are taken as Graph takes them: a JSON body, a form body (`application/x-www-form-urlencoded` " +
  "or `multipart/form-data` text fields) or the query string, all validated and forwarded to Meta " +
  "identically (as JSON, only `username` and `transfer_action`). When more than one form is present, the " +
  "body's value of a parameter wins over the query string's. Without a Content-Type, a body that starts " +
  "like a form (`name=`) is read as one, any other as JSON; a form-typed body that starts with `{` is JSON " +
  "(curl's `-d`). A parameter given twice in one form is refused.";

/** `access_token`: the API key as Graph SDKs send a token. */
export function accessTokenParameter() {
  return {
    name: "access_token",
    in: "query",
    required: false,
    description:
      "The API key, as Graph SDKs send an access token (also accepted as a form field or JSON field of the " +
      "body). `X-API-Key` and `Authorization: Bearer` come first when present. The same key rules apply; it " +
      "is never forwarded to Meta and never logged.",
    schema: { type: "string" },
  };
}

/** POST's parameters in the query string (the body's win). */
export function claimQueryParameters() {
  return [
    {
      name: "username",
      in: "query",
      required: false,
      description: "The username, when not in the body (the body's wins).",
      schema: ref("Username"),
    },
    {
      name: "transfer_action",
      in: "query",
      required: false,
      description: "As the body's `transfer_action`.",
      schema: { type: "string", enum: ["none", "force_transfer"] },
    },
    {
      name: "method",
      in: "query",
      required: false,
      description: `${METHOD_OVERRIDE_DESCRIPTION} Also accepted in the body (the body's wins).`,
      // A pattern, not an enum: the service takes any case (`GET`, `Delete`), as Graph does.
      schema: { type: "string", pattern: METHOD_OVERRIDE_PATTERN },
      examples: { read: { summary: "A Graph client's read", value: "GET" } },
    },
  ];
}

/** The POST body in each media type Graph takes. */
export function claimRequestBody(description: string) {
  const schema = ref("ClaimUsernameRequest");
  return {
    required: false,
    description: `${description}. ${PARAMETER_PRECEDENCE}`,
    content: {
      "application/json": { schema },
      "application/x-www-form-urlencoded": { schema },
      "multipart/form-data": { schema },
    },
  };
}

const HEADER_DESCRIPTIONS: Record<(typeof PASSED_THROUGH_HEADERS)[number], string> = {
  "x-business-use-case-usage":
    "Meta's usage of the WhatsApp Business account (JSON); on a throttle, `estimated_time_to_regain_access` (minutes).",
  "x-app-usage": "Meta's usage of the app's rate limit (JSON, percentages).",
  "retry-after": "Seconds (or an HTTP date) after which Meta asks to be called again.",
  "www-authenticate": "Meta's OAuth challenge, e.g. on its 401 or a throttle.",
  "x-fb-trace-id": "Meta's trace id for the call (give it to Meta's support).",
  "x-fb-request-id": "Meta's request id for the call.",
  "x-fb-debug": "Meta's debug token for the call.",
};

/** components.headers: each Meta header passed through. */
export function metaHeaderComponents(): Record<string, unknown> {
  return Object.fromEntries(
    PASSED_THROUGH_HEADERS.map((name) => [
      name,
      {
        description: `Passed through from Meta when Meta sent it. ${HEADER_DESCRIPTIONS[name]}`,
        schema: { type: "string" },
      },
    ]),
  );
}

/** A response's `headers` referencing every Meta header passed through. */
export function metaHeaders(): Record<string, unknown> {
  return Object.fromEntries(
    PASSED_THROUGH_HEADERS.map((name) => [name, { $ref: `#/components/headers/${name}` }]),
  );
}
