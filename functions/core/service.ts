/**
 * The service's names in its telemetry: `service` in every log line and every metric (a
 * dimension), and the CloudWatch namespace of its metrics. Plain constants: infra/alarms.ts alarms
 * on the same names.
 */
export const SERVICE_NAME = "whatsapp-usernames";

/** The CloudWatch namespace of the service's own metrics (functions/core/metrics.ts). */
export const METRICS_NAMESPACE = "WhatsAppUsernames";
