/**
 * What the document says about GET /health: the operation and the HealthReport schema
 * (generated from functions/core/health/health-report.ts).
 */
import { healthReportSchema } from "../functions/core/health/health-report.ts";
import { describeProperties, type JsonSchema, jsonSchemaOf } from "./json-schema.ts";
import type { OperationInfo } from "./operations.ts";
import { ref } from "./schemas.ts";

const report = (description: string) => ({
  description,
  content: { "application/json": { schema: ref("HealthReport") } },
});

export const healthOperations: Record<string, OperationInfo> = {
  "GET /health": {
    operationId: "getHealth",
    tags: ["operations"],
    summary: "Whether this deployment can serve",
    description:
      "The store answers one read within 1.5 s and every required secret is set (names only, " +
      "never values); with the version and git commit deployed. For post-deploy smoke tests, load balancers " +
      "and uptime checks: no authentication, no call to Meta.",
    security: [],
    responses: {
      "200": report("Healthy: every check passed"),
      "429": { $ref: "#/components/responses/Throttled" },
      "503": report("Unhealthy: `checks` says which check failed"),
      default: { $ref: "#/components/responses/InternalError" },
    },
  },
};

export function healthSchemas(): Record<string, JsonSchema> {
  return {
    HealthReport: {
      description: "The health of a deployment: the checks and the build.",
      ...describeProperties(jsonSchemaOf(healthReportSchema), {
        status: "`ok` (HTTP 200) when every check passed, `unavailable` (HTTP 503) otherwise.",
        version: "The service's version (package.json).",
        commit: "The git commit deployed; `-dirty` when it had uncommitted changes; `unknown` if not known.",
        checks:
          "`store`: `latency_ms`, and on failure `error` (`timeout`, or the error's name or code). " +
          "`secrets`: the names of required secrets without a value.",
      }),
      examples: [
        {
          status: "ok",
          version: "0.2.0",
          commit: "ab9655f0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6",
          checks: { store: { status: "ok", latency_ms: 7 }, secrets: { status: "ok", missing: [] } },
        },
        {
          status: "unavailable",
          version: "0.2.0",
          commit: "ab9655f0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6",
          checks: {
            store: { status: "failed", latency_ms: 1500, error: "timeout" },
            secrets: { status: "failed", missing: ["MetaVerifyToken"] },
          },
        },
      ],
    },
  };
}
