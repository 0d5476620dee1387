/**
 * The tests' randomness (test/support/randomness.ts): one seed per run, one per test derived
 * from it, fast-check and shuffles driven by it, and a failure that names the seed. Without
 * these, a failing randomized test could not be replayed.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { RUN_SEED, replayHint, seedFor, shuffled, useTestSeed } from "../support/randomness.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
let restore: string | undefined;

afterEach(() => {
  // Give the rest of the file the seed setup-env.ts chose for it.
  if (restore) useTestSeed(restore);
});

describe("test seeds", () => {
  it("derive one seed per test name from the run's seed, stable across calls", () => {
    expect(seedFor("a > b")).toBe(seedFor("a > b"));
    expect(seedFor("a > b")).not.toBe(seedFor("a > c"));
    expect(seedFor("a > b", 1)).not.toBe(seedFor("a > b", 2));
    expect(Number.isInteger(seedFor("x"))).toBe(true);
  });

  it("take the run's seed from FC_SEED", () => {
    const read = (seed: string) =>
      execFileSync(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          "const m = await import('./test/support/randomness.ts'); process.stdout.write(String(m.RUN_SEED))",
        ],
        { cwd: ROOT, encoding: "utf8", env: { ...process.env, FC_SEED: seed } },
      );
    expect(read("42")).toBe("42");
    expect(read("-7")).toBe("-7");
  });

  it("make fast-check replay the same failure, and name the seed in its report", ({ task }) => {
    restore = task.fullName;
    const failing = fc.property(fc.nat(), (n) => n < 5_000);
    useTestSeed("some file > some test");
    const first = fc.check(failing);
    useTestSeed("some file > some test");
    const again = fc.check(failing);
    expect(first.failed).toBe(true);
    expect(first.seed).toBe(seedFor("some file > some test"));
    expect(again.counterexample).toEqual(first.counterexample);
    expect(() => fc.assert(failing)).toThrow(`seed: ${seedFor("some file > some test")}`);
  });

  it("shuffle from the test's seed: a permutation, the same one again on replay", ({ task }) => {
    restore = task.fullName;
    const items = Array.from({ length: 40 }, (_, i) => i);
    useTestSeed("replayed test");
    const runs = [shuffled(items), shuffled(items)];
    useTestSeed("replayed test");
    expect([shuffled(items), shuffled(items)]).toEqual(runs);
    for (const permutation of runs) expect([...permutation].sort((a, b) => a - b)).toEqual(items);
    // The n-th shuffle of a test differs from the one before it (a 1 in 40! coincidence otherwise).
    expect(runs[0]).not.toEqual(runs[1]);
  });

  // vitest shortens names made from long `it.each`/`it.for` values: these two are both "seed of xxx…".
  const seen: unknown[] = [];
  it.for([{ key: `${"x".repeat(60)}-first` }, { key: `${"x".repeat(60)}-second` }])(
    "seed of $key",
    (_, { task }) => {
      seen.push(fc.readConfigureGlobal().seed);
      expect(task.name).toMatch(/…$/);
    },
  );
  it("differ between tests whose shortened names are the same", () => {
    expect(seen).toHaveLength(2);
    expect(seen[0]).not.toBe(seen[1]);
  });

  it("tell a failure how to replay its file with the run's seed", () => {
    expect(replayHint("test/reliability/fuzz.test.ts")).toBe(
      `random inputs of this run came from FC_SEED=${RUN_SEED}; replay: FC_SEED=${RUN_SEED} npx vitest run test/reliability/fuzz.test.ts`,
    );
  });
});
