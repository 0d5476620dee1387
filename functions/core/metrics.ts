/**
 * The one configured metrics instance: CloudWatch embedded metric format (EMF) through Powertools,
 * beside the logger (same service name). Every metric is a count in namespace METRICS_NAMESPACE
 * with the dimensions `service` and `stage`; infra/alarms.ts alarms on them by these names.
 *
 * Each count is written at once as its own EMF line (`countMetric`), at the point of failure,
 * instead of being buffered in the shared instance and flushed at the end of the invocation:
 *  - the local gateway (`npm start`) runs overlapping invocations in one process, and a shared
 *    buffer would publish one invocation's counts with another's flush (or drop them when the
 *    other one cleared it);
 *  - an invocation cut at its deadline never reaches a flush, and its failures are the ones
 *    that matter most.
 * A line costs one `console.log` on a failure path; successful requests write none.
 *
 * Disabled with POWERTOOLS_METRICS_DISABLED=true (the admin CLI sets it: its stdout is its output).
 */
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { config } from "./config.ts";
import { METRICS_NAMESPACE, SERVICE_NAME } from "./service.ts";

export { METRICS_NAMESPACE };

/**
 * Every metric the service emits, with the failure that emits it (docs/runbook.md has one
 * section per alarm on them).
 */
export const METRIC_NAMES = [
  /** Meta could not be reached, timed out, or answered a 5xx / a non-Graph answer. */
  "UpstreamUnavailable",
  /** Meta throttled a call (HTTP 429 or a throttling code). */
  "UpstreamThrottled",
  /** DynamoDB refused or failed a request after the SDK's retries (throttling, 5xx, network). */
  "StorageUnavailable",
  /** A POST to the Meta webhook without a valid `X-Hub-Signature-256`. */
  "WebhookSignatureInvalid",
  /** A Meta webhook change for a WABA id + number the service does not know. */
  "UnknownPhoneNumber",
  /** Meta revoked a username (`context: revoked` in a webhook), recorded. */
  "UsernameRevoked",
  /** A change no request through this service explains was recorded (`origin: outside`). */
  "UsernameChangedOutside",
  /** The reconciler found a recorded state that differed from Meta's. */
  "DriftDetected",
  /** The reconciler settled a change whose outcome had not been recorded. */
  "IntentReconciled",
  /** A tenant went over its per-minute limit of calls that reach Meta (429 code 4). */
  "RateLimited",
  /** A tenant webhook attempt failed (non-2xx, timeout, unreachable); it is retried. */
  "EventDeliveryFailed",
  /** A tenant webhook delivery gave up: its last attempt failed, or its endpoint was removed. */
  "EventDeliveryExhausted",
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

/** The shared instance: namespace, service and stage dimensions. Use `countMetric` to emit. */
export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: SERVICE_NAME,
  defaultDimensions: { stage: config.stage() },
});

/**
 * Writes one EMF line now: `name` counted `count` times (nothing for 0). `context` goes into the
 * line as metadata (searchable in Logs Insights, not a dimension): ids and reasons only, never a
 * secret, a token or a request body.
 */
export function countMetric(
  name: MetricName,
  count = 1,
  context: Record<string, string | number | boolean | undefined> = {},
): void {
  if (!(count > 0)) return;
  const line = metrics.singleMetric();
  for (const [key, value] of Object.entries(context)) {
    if (value !== undefined) line.addMetadata(key, String(value));
  }
  line.addMetric(name, MetricUnit.Count, count);
}
