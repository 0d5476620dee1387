/** Runs in every test file before its imports: quiet logs, no API key cache across assertions, concurrent invocations, a data folder (DATA_DIR) of its own. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach } from "vitest";
import { enableConcurrentInvocations } from "../../dev/gateway/concurrent-invocations.ts";
import { installMetricLineFilter } from "./metric-lines.ts";
import { replayHint, useTestSeed } from "./randomness.ts";

// Before any AWS SDK call of the file: the local gateway runs overlapping invocations, each with
// its own log keys, as Lambda does (dev/gateway/concurrent-invocations.ts).
await enableConcurrentInvocations();

// An `npm start` a test spawns gets a data folder of the file's own unless the test names one: never
// the checkout's .data/ (nor a DATA_DIR of the developer's shell), where the developer's own npm
// start may be running with its DynamoDB Local.
const dataDir = mkdtempSync(join(tmpdir(), "wau-test-data-"));
process.env.DATA_DIR = dataDir;
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
process.env.API_KEY_CACHE_TTL_MS ??= "0";
// A key's last use is recorded by the files that are about it (self-service-api-keys.test.ts, the
// fuzz): elsewhere its write, once per key per period, would shift the exact store calls tests count.
process.env.API_KEY_USE_PERIOD_SECONDS ??= "0";
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
