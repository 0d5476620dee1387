/**
 * Answers Meta's Graph API really gives that do not fit the tidy envelope the sandbox's own
 * rules produce, each with the status, headers and exact bytes Meta sends: an error without
 * `type`, `error_data` as a JSON string or without `messaging_product`, throttles with the usage
 * headers that say when access returns, a transient error with `Retry-After`. Inject one with a
 * "status" fault naming it (`{ mode: "status", example: "business-use-case-throttle" }`); tests
 * compare what the proxy answers with these bytes. Bodies are written as Graph writes JSON
 * (compact, `\/` for a slash, non-ASCII as `\uXXXX`), so a proxy that re-serialises them shows.
 */

export interface MetaAnswerExample {
  /** What Meta says with it, in a sentence. */
  description: string;
  status: number;
  /** Lower-case names, as Graph sends them. */
  headers: Record<string, string>;
  /** The body exactly as Meta sends it. */
  body: string;
}

const WWW_AUTHENTICATE_THROTTLED =
  'OAuth "Facebook Platform" "invalid_request" "(#80007) There have been too many calls to this WhatsApp Business account."';

export const META_ANSWER_EXAMPLES = {
  "unknown-error-untyped": {
    description: "A server error without `type`, `is_transient` or trace id (code 1, subcode 99)",
    status: 500,
    headers: { "x-fb-debug": "kJ3Vd9q0zWm1RhXo+4Tn2Q==" },
    body: '{"error":{"code":1,"message":"An unknown error occurred","error_subcode":99}}',
  },
  "error-data-string": {
    description:
      "A refused parameter whose `error_data` is a JSON string, with user-facing title and message",
    status: 400,
    headers: {},
    body:
      '{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,' +
      '"error_data":"{\\"blame_field_specs\\":[[\\"username\\"]]}","error_subcode":2494010,"is_transient":false,' +
      '"error_user_title":"Nom d\\u2019utilisateur invalide","error_user_msg":"See https:\\/\\/developers.facebook.com\\/docs",' +
      '"fbtrace_id":"AZx9QwErTy12UiOpAsDfGh3"}}',
  },
  "blame-field": {
    description: "A refused parameter whose `error_data` names the field but has no `messaging_product`",
    status: 400,
    headers: {},
    body:
      '{"error":{"message":"(#100) The parameter username is required","type":"OAuthException","code":100,' +
      '"error_data":{"blame_field":"username"},"fbtrace_id":"AbLaMeFiElD0123456789"}}',
  },
  "business-use-case-throttle": {
    description: "The WhatsApp Business account's rate limit (80007): usage header says when access returns",
    status: 429,
    headers: {
      "x-business-use-case-usage":
        '{"102290129340398":[{"type":"whatsapp_business_management","call_count":100,"total_cputime":12,"total_time":18,"estimated_time_to_regain_access":7}]}',
      "www-authenticate": WWW_AUTHENTICATE_THROTTLED,
      "x-fb-trace-id": "ThRoTtLeD80007Ab",
      "x-fb-request-id": "A0b1C2d3E4f5G6h7I8j9",
    },
    body:
      '{"error":{"message":"(#80007) There have been too many calls to this WhatsApp Business account. Wait a bit and try again.",' +
      '"type":"OAuthException","is_transient":true,"code":80007,"error_subcode":2494055,"fbtrace_id":"ThRoTtLeD80007Ab"}}',
  },
  "app-throttle": {
    description: "The app's rate limit (code 4) with HTTP 400: a throttle whatever its status",
    status: 400,
    headers: {
      "x-app-usage": '{"call_count":100,"total_cputime":25,"total_time":40}',
      "www-authenticate":
        'OAuth "Facebook Platform" "invalid_request" "(#4) Application request limit reached"',
    },
    body:
      '{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","is_transient":true,' +
      '"code":4,"fbtrace_id":"AppThrottle4xYz"}}',
  },
  "transient-retry-after": {
    description: "A transient outage (code 2) that says when to come back",
    status: 503,
    headers: { "retry-after": "1" },
    body:
      '{"error":{"message":"An unexpected error has occurred. Please retry your request later.",' +
      '"type":"OAuthException","is_transient":true,"code":2,"fbtrace_id":"RetryAfter2Trace"}}',
  },
  "error-with-extras": {
    description: "A final refusal carrying fields the tidy envelope lacks (`error_user_title`, an array)",
    status: 400,
    headers: {},
    body:
      '{"error":{"message":"Username is not available","type":"OAuthException","code":147001,' +
      '"error_data":{"messaging_product":"whatsapp","details":"This username is already taken."},' +
      '"error_user_title":"Taken","suggestions":["lucky_shrub_1"],"fbtrace_id":"ExTrAs147001"},"debug":[1,2]}',
  },
} as const satisfies Record<string, MetaAnswerExample>;

export type MetaAnswerExampleName = keyof typeof META_ANSWER_EXAMPLES;

export const META_ANSWER_EXAMPLE_NAMES = Object.keys(META_ANSWER_EXAMPLES) as MetaAnswerExampleName[];

/** The headers Graph puts on every answer: its trace and request ids and the debug token. */
export function graphAnswerHeaders(random: () => string): Record<string, string> {
  return {
    "x-fb-trace-id": random().slice(0, 11),
    "x-fb-request-id": random(),
    "x-fb-debug": `${random()}${random()}==`,
  };
}
