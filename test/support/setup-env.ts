/** Runs in every test file before its imports: quiet logs, no API key cache across assertions. */
import { beforeEach } from "vitest";
import { installMetricLineFilter } from "./metric-lines.ts";
import { replayHint, useTestSeed } from "./randomness.ts";

process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
process.env.API_KEY_CACHE_TTL_MS ??= "0";
process.env.AWS_REGION ??= "local";
// Metric lines (EMF) stay off the test output like log lines; tests capture them (metric-lines.ts).
installMetricLineFilter();
// The Meta call limit stays on (its counter write is part of every Meta-bound request), but high enough that
// only the tests that lower it (test/reliability/) ever reach it.
process.env.TENANT_META_LIMIT_PER_MINUTE ??= "1000000";

// Every test draws its random inputs from its own seed, and a failure says how to replay them.
// The name alone is not enough: vitest shortens names made from `it.each` values ("GET /meta/…"),
// so two tests can share one; its task id (file and position) tells them apart, run after run.
beforeEach(({ task, onTestFailed }) => {
  useTestSeed(`${task.fullName} [${task.id}]`);
  onTestFailed(() => {
    console.error(replayHint(task.file.name));
  });
});
