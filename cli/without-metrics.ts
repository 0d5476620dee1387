/**
 * Imported first by the CLI's entry point: metric lines (CloudWatch EMF, functions/core/metrics.ts)
 * mean something only in a Lambda's log stream, and the CLI's stdout is the command's output
 * (`--json`: exactly one document). The metrics instance reads this when its module loads.
 */
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
