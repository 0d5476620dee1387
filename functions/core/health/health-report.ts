/**
 * The answer of GET /health (zod schema: the handler's type and the OpenAPI document's).
 * Names and outcomes only: which secret is missing, never a secret's value; which kind of error
 * the store gave, never its message.
 */
import * as z from "zod/mini";
import { REQUIRED_SECRETS } from "../config.ts";

const checkStatus = z.enum(["ok", "failed"]);

export const healthReportSchema = z.object({
  /** `ok` (HTTP 200) when every check passed, `unavailable` (HTTP 503) otherwise. */
  status: z.enum(["ok", "unavailable"]),
  /** package.json `version` of the deployed build. */
  version: z.string(),
  /** The git commit the deployed build was made from (`-dirty`: with uncommitted changes), or `unknown`. */
  commit: z.string(),
  checks: z.object({
    store: z.object({
      status: checkStatus,
      /** How long the store's answer (or the failure) took, in milliseconds. */
      latency_ms: z.number(),
      /** On failure: `timeout`, or the error's name or code (e.g. `ResourceNotFoundException`, `ECONNREFUSED`). */
      error: z.optional(z.string()),
    }),
    secrets: z.object({
      status: checkStatus,
      /** Names of the required secrets that have no value (empty when all are set). */
      missing: z.array(z.enum(REQUIRED_SECRETS)),
    }),
  }),
});

export type HealthReport = z.infer<typeof healthReportSchema>;
