/**
 * The headers every answer carries, written into every response of the document by
 * openapi/document.ts (so routes added later get them too): API Gateway's request id on every
 * answer, and the service's security headers (`cache-control: no-store`,
 * `x-content-type-options: nosniff`) on every answer a function gives. A response that API
 * Gateway's throttle may give instead (a 429) gets them as optional.
 */
import { SECURITY_HEADERS } from "../functions/core/http/response.ts";

export function commonHeaderComponents(): Record<string, unknown> {
  return {
    "apigw-requestid": {
      description:
        "API Gateway's id of the request (the local gateway's too): the `fbtrace_id` of the service's own " +
        "errors and the `correlation_id` of its log lines.",
      schema: { type: "string", minLength: 1 },
    },
    "cache-control": {
      description: "Every answer of the service: nothing here may be stored by a cache.",
      schema: { type: "string", const: SECURITY_HEADERS["cache-control"] },
    },
    "x-content-type-options": {
      description: "Every answer of the service: no content sniffing.",
      schema: { type: "string", const: SECURITY_HEADERS["x-content-type-options"] },
    },
  };
}

type Response = { headers?: Record<string, unknown>; $ref?: string };

/**
 * The response with the common headers written out (a Header Object per name, so it can say
 * `required`): required unless API Gateway's throttle may answer instead (`throttleable`), whose
 * answer has its request id only. A `$ref` is left as it is (its target gets them).
 */
export function withCommonHeaders<R extends Response>(response: R, throttleable: boolean): R {
  if (response.$ref) return response;
  const common = Object.fromEntries(
    Object.entries(commonHeaderComponents()).map(([name, header]) =>
      name === "apigw-requestid" || !throttleable
        ? [name, { $ref: `#/components/headers/${name}` }]
        : [name, { ...(header as object), required: false }],
    ),
  );
  return { ...response, headers: { ...common, ...response.headers } };
}

/** components.headers of the common headers, each `required` (optional ones are written inline). */
export function requiredCommonHeaderComponents(): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(commonHeaderComponents()).map(([name, header]) => [
      name,
      { ...(header as object), required: true },
    ]),
  );
}
