import { defineConfig } from "vitest/config";

/**
 * Tests that measure behaviour under load (many concurrent calls sharing a wait budget, as a
 * Lambda's deadline is) run after the rest of the suite, one file at a time, so the suite's
 * other files do not eat the budget they are about: on a 2-core machine, running them beside
 * other files turns "takes turns in time" into "ran out of CPU".
 */
const UNDER_LOAD = [
  "test/reliability/contention.test.ts",
  "test/reliability/load.test.ts",
  "test/integration/webhook-isolation.test.ts",
  // A real browser waiting for what a person would see (polls, a webhook's effect on the page).
  "test/console/browser.test.ts",
  "test/integration/webhook-deadline.test.ts",
  // Not timed, but it writes thousands of items at once: alone, it slows no other file's DynamoDB Local.
  "test/integration/webhook-sweep-fairness.test.ts",
  // Seeds 200 numbers at once: beside another file, DynamoDB Local can time out on its own locks.
  "test/integration/meta-webhook.test.ts",
];

export default defineConfig({
  test: {
    globalSetup: ["test/support/global-setup.ts"],
    setupFiles: ["test/support/setup-env.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two files at a time (vitest's default is one less than the cores: one on CI's 2 cores).
    // Each file has a table of its own; most of a file's time is waiting on DynamoDB Local and
    // the sandbox, so two overlap well. The under-load project below still runs one at a time.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "suite",
          include: ["test/**/*.test.ts"],
          exclude: UNDER_LOAD,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "under-load",
          include: UNDER_LOAD,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
