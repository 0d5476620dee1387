/**
 * What the document says about answers no function gives: API Gateway's own. An HTTP API
 * throttles each route (infra/stage-settings.ts ROUTE_THROTTLING) and answers an empty bucket
 * itself with 429 `{"message":"Too Many Requests"}`, before any function runs: no Graph
 * envelope, no security headers. The local gateway emulates it (dev/gateway/throttle.ts) so the
 * contract test can call it.
 */
import { ROUTE_THROTTLING } from "../infra/stage-settings.ts";
import type { JsonSchema } from "./json-schema.ts";

export const GATEWAY_THROTTLED_DESCRIPTION =
  `API Gateway's own throttle: more than ${ROUTE_THROTTLING.rateLimit} requests a second ` +
  `(bursts of ${ROUTE_THROTTLING.burstLimit}) on this route across all callers. Answered by API Gateway ` +
  'itself, before the service runs, as `{"message":"Too Many Requests"}` (not a Graph envelope, without ' +
  "the security headers): back off and retry.";

export function gatewaySchemas(): Record<string, JsonSchema> {
  return {
    ApiGatewayMessage: {
      description:
        "An answer of API Gateway itself, not of the service (its throttle's 429, or a failure to invoke the " +
        "function): only a message.",
      type: "object",
      properties: { message: { type: "string" } },
      required: ["message"],
      additionalProperties: false,
      examples: [{ message: "Too Many Requests" }],
    },
  };
}

/** components.responses: API Gateway's 429, for routes whose own errors never include a 429. */
export function gatewayResponses() {
  return {
    Throttled: {
      description: GATEWAY_THROTTLED_DESCRIPTION,
      content: {
        "application/json": {
          schema: { $ref: "#/components/schemas/ApiGatewayMessage" },
          examples: {
            throttled: { summary: "API Gateway's throttle", value: { message: "Too Many Requests" } },
          },
        },
      },
    },
  };
}
