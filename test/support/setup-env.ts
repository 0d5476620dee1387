/** Runs in every test file before its imports: quiet logs, no API key cache across assertions, concurrent invocations. */
import { beforeEach } from "vitest";
import { enableConcurrentInvocations } from "../../dev/gateway/concurrent-invocations.ts";
import { installMetricLineFilter } from "./metric-lines.ts";
import { replayHint, useTestSeed } from "./randomness.ts";

// Before any AWS SDK call of the file: the local gateway runs overlapping invocations, each with
// its own log keys, as Lambda does (dev/gateway/concurrent-invocations.ts).
await enableConcurrentInvocations();

process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
process.env.API_KEY_CACHE_TTL_MS ??= "0";
process.env.AWS_REGION ??= "local";
// DynamoDB Local shares 2 cores with the whole suite: one big transaction can take over 10 s there.
process.env.DYNAMODB_REQUEST_TIMEOUT_MS ??= "30000";
// Metric lines (EMF) stay off the test output like log lines; tests capture them (metric-lines.ts).
installMetricLineFilter();
// The Meta call limit stays on (its counter write is part of every Meta-bound request), but high enough that
// only the tests that lower it (test/reliability/) ever reach it.
process.env.TENANT_META_LIMIT_PER_MINUTE ??= "1000000";
// The same for the per-tenant /v1 read limit: counted on every read, reached only where a test lowers it.
process.env.TENANT_READ_LIMIT_PER_MINUTE ??= "1000000";

// Every test draws its random inputs from its own seed, and a failure says how to replay them.
// The name alone is not enough: vitest shortens names made from `it.each` values ("GET /meta/…"),
// so two tests can share one; its task id (file and position) tells them apart, run after run.
beforeEach(({ task, onTestFailed }) => {
  useTestSeed(`${task.fullName} [${task.id}]`);
  onTestFailed(() => {
    console.error(replayHint(task.file.name));
  });
});
