/**
 * Imported first by the CLI's entry point: metric lines (CloudWatch EMF, functions/core/metrics.ts)
 * mean something only in a Lambda's log stream, and the CLI's stdout is the command's output
 * (`--json`: exactly one document). The metrics instance reads this when its module loads.
 */
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
// The CLI runs one command, never overlapping Lambda invocations: without the invoke store that
// a parent process (npm start, a test run) announces to Powertools through this variable, the
// metrics and logger modules would fail to load.
delete process.env.AWS_LAMBDA_MAX_CONCURRENCY;
